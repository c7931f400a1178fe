"""Nothing private leaves the machine: no folder in any published or exported file, no clip notes unless
asked for (docs/USER_GUIDE.md, "What stays private, what is published").

One real run of the shipped model on the sample clip, shared by the module: uploaded through the web app
(so the archive has seen the server's upload folder), then translated from the command line out of a
folder that must never be named ("DM from Ivan (do not share)"), with a glossary from that folder and
private notes. Every file that translate, publish, export and the web downloads produce is then read
and searched for the archive folder, the upload folder, the model cache, the home folder and the
source's folder.
"""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("fastapi", reason="needs the 'web' extra")

from fastapi.testclient import TestClient
from typer.testing import CliRunner

from tolmach.cli import app
from tolmach.web import WebConfig, create_app

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="needs ffmpeg"),
]
BASE = "http://127.0.0.1:8731"
SECRET = "DM from Ivan (do not share)"
NOTES = "PRIVATE the cousin of our source filmed this"
WEB_NOTES = "PRIVATE uploaded by the night desk"
FORMATS = ("srt", "vtt", "ass", "json", "txt")
EXPORTS = ("en.srt", "ru.srt", "en.vtt", "ru.vtt", "ass", "json", "txt")
PUBLISHED = ("thread.txt", "quotes.md", "quotes.html", "manifest.json")
runner = CliRunner()


def tolmach(*args: str | Path) -> str:
    result = runner.invoke(app, [str(a) for a in args], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    return result.output


class World:
    """The module's archive, its private source folder, and the web app serving the archive."""

    def __init__(self, root: Path, sample: Path) -> None:
        self.home = root / "archive"
        self.private = root / SECRET
        self.private.mkdir()
        self.source = self.private / "ivan.mp4"
        shutil.copyfile(sample, self.source)
        self.glossary = self.private / "terms.toml"
        self.glossary.write_text(
            '[[term]]\nterm = ["коробочка"]\nenglish = "box"\ngloss = "armoured vehicle"\n', "utf-8"
        )
        self.out = root / "out"
        self.clip_id = ""

    def forbidden(self) -> dict[str, str]:
        """What no published file may contain, by what it is."""
        return {
            "archive folder": str(self.home),
            "upload folder": str(self.home / "tmp" / "uploads"),
            "model cache": os.environ["TOLMACH_CACHE"],
            "home folder": str(Path.home()),
            "source folder": SECRET,
        }

    def web(self) -> TestClient:
        config = WebConfig(home=self.home, run_jobs=True, name="Olena")
        return TestClient(create_app(config), base_url=BASE)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory, sample: Path) -> World:
    w = World(tmp_path_factory.mktemp("privacy"), sample)
    with w.web() as c:
        headers = {"X-CSRF-Token": c.get("/api/session").json()["csrf"]}
        data = {"lang": "ru", "title": "Sample", "notes": WEB_NOTES}
        r = c.post(
            "/api/clips", files={"file": ("upload.mp4", sample.read_bytes())}, data=data, headers=headers
        )
        assert r.status_code == 202, r.text
        job = r.json()["jobs"][0]
        deadline = time.monotonic() + 600
        while (state := c.get(f"/api/jobs/{job['id']}").json())["state"] not in ("done", "failed"):
            assert time.monotonic() < deadline, state
            time.sleep(0.2)
        assert state["state"] == "done", state
        w.clip_id = state["clip_id"]
    tolmach(
        "translate", w.source, "-o", w.out, "--lang", "ru", "--formats", ",".join(FORMATS),
        "--glossary", w.glossary, "--notes", NOTES, "--home", w.home,
    )  # fmt: skip
    return w


def leaks(files: dict[str, str], forbidden: dict[str, str]) -> list[str]:
    return [
        f"{name}: {what} ({text!r})"
        for name, body in files.items()
        for what, text in forbidden.items()
        if text in body
    ]


def read_all(folder: Path) -> dict[str, str]:
    """Every file in ``folder`` (hidden ones too), as text."""
    files = {p.name: p.read_text(encoding="utf-8") for p in sorted(folder.iterdir()) if p.is_file()}
    assert files, f"nothing written in {folder}"
    return files


def test_translate_outputs_name_files_only(world: World) -> None:
    files = read_all(world.out)
    assert {f"ivan.{s}" for s in ("ass", "json", "txt", "en.srt", "ru.srt", "en.vtt", "ru.vtt")} <= set(files)
    assert leaks(files, world.forbidden()) == []
    assert '"path": "ivan.mp4"' in files["ivan.json"] and '"terms.toml"' in files["ivan.json"]
    assert "file:        ivan.mp4\n" in files["ivan.txt"]
    assert "Title: ivan.mp4 (sha256 " in files["ivan.ass"]
    # the archive keeps the whole path for itself
    from tolmach.archive import Archive

    with Archive(world.home) as archive:
        stored = archive.transcript(archive.run_of(world.clip_id))
    assert "/" in stored.media.path and "/" in stored.model.path


def test_publish_and_export_name_files_only_and_keep_notes_private(world: World, tmp_path: Path) -> None:
    clip = world.clip_id
    tolmach(
        "publish", clip, "--thread", "--quotes", "--manifest", "-o", tmp_path / "pub", "--home", world.home
    )
    published = read_all(tmp_path / "pub")
    assert leaks(published, {**world.forbidden(), "notes": "PRIVATE"}) == []
    exported = {}
    for fmt in FORMATS:
        for lang in ("en", "ru") if fmt in ("srt", "vtt") else ("en",):
            target = tmp_path / "export" / f"{lang}.{fmt}"
            target.parent.mkdir(exist_ok=True)
            tolmach("export", clip, "-f", fmt, "--lang", lang, "-o", target, "--home", world.home)
            exported[target.name] = target.read_text(encoding="utf-8")
    assert len(exported) == 7 and leaks(exported, world.forbidden()) == []

    tolmach(
        "publish", clip, "--thread", "--quotes", "--manifest", "--include-notes",
        "-o", tmp_path / "notes", "--home", world.home,
    )  # fmt: skip
    with_notes = read_all(tmp_path / "notes")
    assert leaks(with_notes, world.forbidden()) == []
    # the clip is filed under the first name the archive saw (upload.mp4): match by what each file is
    thread = next(body for name, body in with_notes.items() if name.endswith(".thread.txt"))
    notes = next(n for n in (NOTES, WEB_NOTES) if n in thread)  # the clip's latest notes
    assert sorted(name.split(".", 1)[1] for name in with_notes if notes in with_notes[name]) == [
        "manifest.json", "quotes.html", "quotes.md", "thread.txt",
    ]  # fmt: skip


def test_web_downloads_name_files_only_and_keep_notes_private(world: World) -> None:
    with world.web() as c:
        files: dict[str, Any] = {}
        for name in (*EXPORTS, *PUBLISHED):
            r = c.get(f"/api/clips/{world.clip_id}/export/{name}")
            assert r.status_code == 200, (name, r.text)
            files[name] = r.text
        assert leaks(files, {**world.forbidden(), "notes": "PRIVATE"}) == []
        for name in PUBLISHED:
            r = c.get(f"/api/clips/{world.clip_id}/export/{name}", params={"include_notes": "1"})
            assert r.status_code == 200 and "PRIVATE" in r.text, name
            assert leaks({name: r.text}, world.forbidden()) == []
