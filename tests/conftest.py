"""Shared fixtures. Tests run on real things: ffmpeg, the shipped Whisper model, the sample clip."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

DATA = Path(__file__).parent / "data"
SAMPLE = DATA / "sample-ru.mp4"

# The suite never reads the user's config or model cache: one fresh cache for the whole session, in
# which the shipped model is assembled once (about a second).
_SESSION_HOME = tempfile.mkdtemp(prefix="tolmach-tests-")
os.environ["TOLMACH_CACHE"] = os.path.join(_SESSION_HOME, "cache")
os.environ["TOLMACH_CONFIG"] = os.path.join(_SESSION_HOME, "no-config.toml")
# never the user's archive; module-scoped fixtures (set up before the per-test home) use this one
os.environ["TOLMACH_HOME"] = os.path.join(_SESSION_HOME, "home")
for _name in list(os.environ):
    if _name.startswith("TOLMACH_") and _name not in ("TOLMACH_CACHE", "TOLMACH_CONFIG", "TOLMACH_HOME"):
        del os.environ[_name]
# The default engine, auto, picks the local language model when it is installed (make test installs it),
# and that takes seconds a line: commands run by the tests use Whisper's English unless a test asks for
# another engine. Tests of the local model carry the marker llm; those of auto say which branch they take.
os.environ["TOLMACH_ENGINE"] = "whisper"


@pytest.fixture
def stored(tmp_path: Path) -> Iterator[tuple[object, str]]:
    """A real archive holding the five hand-built lines of tests/records.py, and its run ID."""
    from records import make_clip, make_transcript

    from tolmach.archive import Archive
    from tolmach.records import ClipInfo

    archive = Archive(tmp_path / "home")
    run = archive.save(make_transcript(make_clip(tmp_path, "c.mp4", b"clip")), ClipInfo(source="x"), {})
    yield archive, run
    archive.close()


@pytest.fixture
def timed(tmp_path: Path) -> Iterator[tuple[object, str]]:
    """Like ``stored``, with every word timed: the cues then follow the words, not the lines' spans."""
    import dataclasses

    from records import make_clip, make_transcript, with_words

    from tolmach.archive import Archive
    from tolmach.records import ClipInfo

    t = make_transcript(make_clip(tmp_path, "c.mp4", b"clip"))
    t = dataclasses.replace(t, segments=tuple(with_words(s) for s in t.segments))
    archive = Archive(tmp_path / "home")
    run = archive.save(t, ClipInfo(source="x"), {})
    yield archive, run
    archive.close()


@pytest.fixture(scope="session")
def sample() -> Path:
    assert SAMPLE.is_file(), "tests/data/sample-ru.mp4 is part of the repository"
    return SAMPLE


@pytest.fixture(scope="session")
def sample_reference() -> str:
    return (DATA / "sample-ru.txt").read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def sample_audio(sample: Path) -> object:
    from tolmach.media import decode_audio

    return decode_audio(sample)


@pytest.fixture(autouse=True)
def archive_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Each test gets an empty archive of its own (subprocesses inherit it through the environment)."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("TOLMACH_HOME", str(home))
    return home


_LLM = {"allowed": False}  # set for the tests marked llm


@pytest.fixture(autouse=True, scope="session")
def no_local_llm() -> Iterator[None]:
    """In this process, too, ``--engine auto`` finds no local model, except in tests marked llm. Patched
    for the whole session, so that fixtures of module scope (set up before a test's own) see it too."""
    from tolmach.engines import weights

    installed = weights.local_installed
    weights.local_installed = lambda name="1.5b": _LLM["allowed"] and installed(name)  # type: ignore[assignment]
    yield
    weights.local_installed = installed  # type: ignore[assignment]


@pytest.fixture(autouse=True)
def local_llm(request: pytest.FixtureRequest, no_local_llm: None) -> Iterator[None]:
    """Tests marked llm need the real model installed (make test installs it): a missing install fails,
    it is not skipped."""
    from tolmach.engines import weights

    _LLM["allowed"] = request.node.get_closest_marker("llm") is not None
    if _LLM["allowed"]:
        assert weights.local_installed("1.5b"), "the local model is not installed: run 'make test'"
    yield
    _LLM["allowed"] = False
