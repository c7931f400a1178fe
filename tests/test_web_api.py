"""The REST API and its safety rules (docs/WEB.md), through FastAPI's TestClient against a real archive.

Clips are hand-built transcripts (tests/records.py) stored in a real SQLite archive, or the real sample
clip for what needs video (media, thumbnail, upload); no speech model runs here (test_web_worker.py
runs it). Every assertion on the API is exact: nothing here comes from a model.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("fastapi", reason="needs the 'web' extra")

from fastapi.testclient import TestClient
from records import LINES, make_clip, make_transcript, with_words
from typer.testing import CliRunner

from tolmach.archive import Archive
from tolmach.cli import app as cli_app
from tolmach.errors import OptionsError
from tolmach.publish import line_sha256, trusted_keys, verify_manifest
from tolmach.records import ClipInfo
from tolmach.web import WebConfig, create_app

BASE = "http://127.0.0.1:8731"
TOKEN = "t" * 40
NAME = "Olena K."
EXPORTS = {
    "en.srt": "application/x-subrip",
    "ru.srt": "application/x-subrip",
    "en.vtt": "text/vtt",
    "ru.vtt": "text/vtt",
    "ass": "text/x-ssa",
    "json": "application/json",
    "txt": "text/plain",
    "thread.txt": "text/plain",
    "quotes.md": "text/markdown",
    "quotes.html": "text/html",
    "manifest.json": "application/json",
}
needs_ffmpeg = pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="needs ffmpeg")


def client(home: Path, **config: Any) -> TestClient:
    base_url = config.pop("base_url", BASE)
    config = {"run_jobs": False, "name": NAME, **config}
    return TestClient(create_app(WebConfig(home=home, **config)), base_url=base_url)


def csrf(c: TestClient) -> dict[str, str]:
    """The header a page sends with every change (and the session cookie, kept by the client)."""
    return {"X-CSRF-Token": c.get("/api/session").json()["csrf"]}


@pytest.fixture
def clip_id(archive_home: Path, tmp_path: Path) -> str:
    """The short ID of a stored five-line Russian clip with no video."""
    transcript = make_transcript(make_clip(tmp_path, "clip.mp4", b"not really a video " * 50))
    info = ClipInfo(source="clip.mp4", title="Near Bakhmut", tags=("bakhmut",))
    with Archive(archive_home) as archive:
        archive.save(transcript, info, {"k": 1})
    return transcript.media.sha256[:12]


@pytest.fixture
def video_id(archive_home: Path, sample: Path) -> str:
    """The short ID of the real sample clip (video and audio) with a hand-built transcript."""
    from tolmach.media import probe

    media = probe(sample)
    transcript = make_transcript(sample)
    transcript = replace(transcript, media=replace(media, path=str(sample)))
    with Archive(archive_home) as archive:
        archive.save(transcript, ClipInfo(source=str(sample)), {"k": 2})
    return media.sha256[:12]


@pytest.fixture
def api(archive_home: Path) -> Iterator[TestClient]:
    with client(archive_home) as c:
        yield c


def error_of(response: Any, status: int) -> str:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error", "hint"} and body["error"]
    return str(body["error"])


# -- reading -------------------------------------------------------------------------------------


def test_session_without_a_token(api: TestClient) -> None:
    r = api.get("/api/session")
    assert r.json()["name"] == NAME and r.json()["auth"] == "local" and len(r.json()["csrf"]) > 30
    cookie = r.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie
    assert api.get("/api/session").json()["csrf"] == r.json()["csrf"]  # the cookie keeps it


def test_list_and_get_a_clip(api: TestClient, clip_id: str) -> None:
    clips = api.get("/api/clips").json()["clips"]
    assert [c["id"] for c in clips] == [clip_id]
    summary = clips[0]
    assert set(summary) == {
        "id", "clip_id", "run_id", "title", "filename", "language", "duration_ms", "lines",
        "doubtful", "reviewed", "runs", "tags", "added", "has_video",
    }  # fmt: skip
    assert (summary["title"], summary["filename"], summary["lines"], summary["doubtful"]) == (
        "Near Bakhmut",
        "clip.mp4",
        5,
        1,
    )
    assert (summary["reviewed"], summary["has_video"], summary["tags"]) == (0, False, ["bakhmut"])
    assert api.get("/api/clips", params={"q": "bakhm"}).json()["clips"] == clips
    assert api.get("/api/clips", params={"q": "kherson"}).json()["clips"] == []
    assert api.get("/api/clips", params={"tag": "other"}).json()["clips"] == []

    data = api.get(f"/api/clips/{clip_id}").json()
    assert set(data) == {"clip", "run", "review", "segments"}
    assert data["review"] == {"reviewed": 0, "total": 5, "reviewer": None, "approver": None, "withdrawn": ""}
    assert data["run"]["label"]["translation"] == "Machine translation — not reviewed"
    assert [s["translation"] for s in data["segments"]] == [english for _, english in LINES]
    assert set(data["segments"][0]) == {
        "id", "start", "end", "speaker", "text", "translation", "doubtful", "flags", "dismissed", "notes",
        "entities", "confidence", "reviewed", "version", "mark", "comment",
    }  # fmt: skip
    assert data["segments"][2]["doubtful"]
    assert data["segments"][2]["flags"] == [{"kind": "low-logprob", "detail": "unsure"}]
    line = api.get(f"/api/clips/{clip_id}/segments/2")
    assert line.json() == data["segments"][1]
    assert (line.json()["version"], line.headers["etag"]) == (1, '"1"')


def test_missing_things_are_404_with_a_hint(api: TestClient, clip_id: str) -> None:
    assert "no line 99" in error_of(api.get(f"/api/clips/{clip_id}/segments/99"), 404)
    assert "no clip" in error_of(api.get("/api/clips/abcdef12"), 404)
    assert "not an archive ID" in error_of(api.get("/api/clips/xyz!"), 404)
    assert "no job" in error_of(api.get("/api/jobs/0000"), 404)
    assert error_of(api.get("/api/nothing"), 404) == "not found"
    assert "no export" in error_of(api.get(f"/api/clips/{clip_id}/export/en.docx"), 404)
    assert "no de track" in error_of(api.get(f"/api/clips/{clip_id}/tracks/de.vtt"), 404)


# -- review --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value", "shown"),
    [
        ("text", "  Мы стояли под Бахмутом.  ", "Мы стояли под Бахмутом."),
        ("translation", "We held near Bakhmut.", "We held near Bakhmut."),
        ("speaker", "Company  commander", "Company commander"),
        ("start", 100, 100),
        ("end", 2900, 2900),
        ("reviewed", True, True),
    ],
)
def test_patch_each_field(api: TestClient, clip_id: str, field: str, value: object, shown: object) -> None:
    r = api.patch(f"/api/clips/{clip_id}/segments/1", json={field: value}, headers=csrf(api))
    assert r.status_code == 200, r.text
    assert r.json()["segment"][field] == shown
    (revision,) = r.json()["revisions"]
    assert set(revision) == {
        "id",
        "segment",
        "field",
        "before",
        "after",
        "author",
        "at",
        "undoes",
        "action",
        "step",
    }
    assert (revision["segment"], revision["field"], revision["author"]) == (1, field, NAME)
    assert api.get(f"/api/clips/{clip_id}/segments/1").json()[field] == shown


def test_patch_several_fields_moves_a_line_later(api: TestClient, clip_id: str) -> None:
    # line 1 ends at 2500: its new start is only valid once its end has moved
    r = api.patch(f"/api/clips/{clip_id}/segments/1", json={"start": 2600, "end": 2900}, headers=csrf(api))
    assert (r.json()["segment"]["start"], r.json()["segment"]["end"]) == (2600, 2900)


@pytest.mark.parametrize(
    ("body", "status", "says"),
    [
        ({"start": 5000}, 422, "must start before it ends"),  # the archive says so, hint from here
        ({"end": 0}, 422, "end: Input should be greater than or equal to 1"),
        ({"reviewed": "yes"}, 422, "reviewed: Input should be a valid boolean"),
        ({"start": "100"}, 422, "start: Input should be a valid integer"),
        ({"colour": "red"}, 422, "colour: Extra inputs are not permitted"),
        ({"text": "x" * 2001}, 422, "text: String should have at most 2000 characters"),
        ({"text": "a\x00b"}, 422, "not a line of text"),
        ({}, 422, "nothing to change"),
    ],
)
def test_bad_values_are_refused_with_a_hint(
    api: TestClient, clip_id: str, body: dict[str, object], status: int, says: str
) -> None:
    r = api.patch(f"/api/clips/{clip_id}/segments/1", json=body, headers=csrf(api))
    assert says in error_of(r, status)
    assert r.json()["hint"]
    assert api.get(f"/api/clips/{clip_id}/revisions").json()["revisions"] == []


def test_revisions_and_undo(api: TestClient, clip_id: str) -> None:
    headers = csrf(api)
    url = f"/api/clips/{clip_id}"
    first = api.patch(f"{url}/segments/2", json={"translation": "One."}, headers=headers).json()
    second = api.patch(f"{url}/segments/2", json={"translation": "Two."}, headers=headers).json()
    api.patch(f"{url}/segments/3", json={"speaker": "S9"}, headers=headers)
    first_id, second_id = first["revisions"][-1]["id"], second["revisions"][-1]["id"]
    assert [r["after"] for r in second["revisions"]] == ["One.", "Two."]
    history = api.get(f"{url}/revisions").json()["revisions"]
    assert [(r["segment"], r["after"]) for r in history] == [(2, "One."), (2, "Two."), (3, "S9")]
    assert [r["id"] for r in api.get(f"{url}/revisions?segment=2").json()["revisions"]] == [
        first_id,
        second_id,
    ]

    conflict = api.post(f"{url}/revisions/{first_id}/undo", headers=headers)
    assert "changed again" in error_of(conflict, 409)
    undone = api.post(f"{url}/revisions/{second_id}/undo", headers=headers).json()
    assert undone["segment"]["translation"] == "One."
    assert (undone["revision"]["undoes"], undone["revision"]["author"]) == (second_id, NAME)
    undone = api.post(f"{url}/revisions/{first_id}/undo", headers=headers).json()
    assert undone["segment"]["translation"] == LINES[1][1]
    assert "no revision" in error_of(api.post(f"{url}/revisions/9999/undo", headers=headers), 404)


def test_reviewing_every_line_changes_the_label(api: TestClient, clip_id: str) -> None:
    headers = csrf(api)
    label = "Machine translation — not reviewed"
    assert label in api.get(f"/api/clips/{clip_id}/export/en.srt").text
    for n in range(1, 6):
        api.patch(f"/api/clips/{clip_id}/segments/{n}", json={"reviewed": True}, headers=headers)
    data = api.get(f"/api/clips/{clip_id}").json()
    assert data["review"] == {"reviewed": 5, "total": 5, "reviewer": NAME, "approver": None, "withdrawn": ""}
    assert data["run"]["label"]["translation"] == f"Reviewed by {NAME}"
    assert api.get("/api/clips").json()["clips"][0]["reviewed"] == 5
    for name in ("en.srt", "en.vtt", "json", "quotes.md", "thread.txt"):
        text = api.get(f"/api/clips/{clip_id}/export/{name}").text
        assert f"Reviewed by {NAME}" in text and label not in text, name
    manifest = api.get(f"/api/clips/{clip_id}/export/manifest.json").json()
    assert manifest["reviewer"] == NAME


# -- integrity of review: times reach the cues, no lost update, marks and names that hold ------------


@pytest.fixture
def timed_id(archive_home: Path, tmp_path: Path) -> str:
    """The five-line clip with every word timed, as Whisper's are: its cues follow the words."""
    transcript = make_transcript(make_clip(tmp_path, "timed.mp4", b"timed clip " * 50))
    transcript = replace(transcript, segments=tuple(with_words(s) for s in transcript.segments))
    with Archive(archive_home) as archive:
        archive.save(transcript, ClipInfo(source="timed.mp4"), {"k": 3})
    return transcript.media.sha256[:12]


def test_a_timing_edit_reaches_the_tracks_and_exports(api: TestClient, timed_id: str) -> None:
    url = f"/api/clips/{timed_id}"
    before = {name: api.get(f"{url}/{name}").text for name in ("tracks/en.vtt", "export/en.srt")}
    assert "00:00:06.000 --> 00:00:08.500" in before["tracks/en.vtt"]
    r = api.patch(f"{url}/segments/3", json={"end": 8900}, headers=csrf(api))
    assert (r.json()["segment"]["end"], r.json()["segment"]["version"], r.headers["etag"]) == (8900, 2, '"2"')
    # the cue ends at the new end and then, as the rules say, 2 frames before line 4 (a gap of 80 ms
    # would flicker); no other cue moves
    vtt, srt = api.get(f"{url}/tracks/en.vtt").text, api.get(f"{url}/export/en.srt").text
    assert (
        "00:00:06.000 --> 00:00:08.920" in vtt and vtt.replace("08.920", "08.500") == before["tracks/en.vtt"]
    )
    assert (
        "00:00:06,000 --> 00:00:08,920" in srt and srt.replace("08,920", "08,500") == before["export/en.srt"]
    )
    assert "00:00:06.000 --> 00:00:08.920" in api.get(f"{url}/tracks/ru.vtt").text
    assert json.loads(api.get(f"{url}/export/json").text)["segments"][2]["end"] == 8900


@pytest.mark.parametrize(
    ("n", "body", "says"),
    [
        (5, {"end": 16900}, "line 5 would end at 16.900 s, after the clip ends (15.000 s)"),
        (3, {"start": 1000, "end": 999999}, "line 3 would end at 999.999 s, after the clip ends (15.000 s)"),
        (3, {"end": 9500}, "line 3 would end at 9.500 s, after line 4 starts (9.000 s)"),
        (2, {"start": 2000}, "line 2 would start at 2.000 s, before line 1 ends (2.500 s)"),
        (3, {"start": 1000, "end": 2000}, "line 3 would start at 1.000 s, before line 2 ends (5.500 s)"),
    ],
)
def test_a_time_past_the_clip_or_over_a_neighbour_is_refused(
    api: TestClient, clip_id: str, n: int, body: dict[str, int], says: str
) -> None:
    before = api.get(f"/api/clips/{clip_id}").json()["segments"]
    r = api.patch(f"/api/clips/{clip_id}/segments/{n}", json=body, headers=csrf(api))
    assert error_of(r, 422) == says and r.json()["hint"]
    assert api.get(f"/api/clips/{clip_id}").json()["segments"] == before  # no line moved, none changed
    assert api.get(f"/api/clips/{clip_id}/revisions").json()["revisions"] == []


def test_a_stale_write_is_409_with_the_newer_line(api: TestClient, clip_id: str) -> None:
    url = f"/api/clips/{clip_id}/segments/2"
    headers = csrf(api)
    shown = api.get(url).json()  # two pages show version 1
    first = api.patch(url, json={"translation": "First page.", "version": shown["version"]}, headers=headers)
    assert first.status_code == 200 and first.json()["segment"]["version"] == 2

    stale = api.patch(url, json={"translation": "Second page.", "version": 1}, headers=headers)
    assert stale.status_code == 409 and stale.headers["etag"] == '"2"'
    body = stale.json()
    assert set(body) == {"error", "hint", "segment"}
    assert body["error"].startswith(f"line 2 was changed by {NAME} at ")
    assert body["error"].endswith(": your page shows version 1, the archive has 2")
    assert (body["segment"]["translation"], body["segment"]["version"]) == ("First page.", 2)
    assert api.get(url).json() == body["segment"]  # nothing changed
    assert [r["after"] for r in api.get(f"/api/clips/{clip_id}/revisions").json()["revisions"]] == [
        "First page."
    ]

    # If-Match says the same as "version"; the right one is accepted, a stale one is not
    r = api.patch(url, json={"translation": "Third."}, headers={**headers, "If-Match": '"1"'})
    assert (r.status_code, r.json()["segment"]["translation"]) == (409, "First page.")
    r = api.patch(url, json={"translation": "Third."}, headers={**headers, "If-Match": '"2"'})
    assert (r.status_code, r.json()["segment"]["translation"], r.headers["etag"]) == (200, "Third.", '"3"')
    assert "If-Match must be a line's ETag" in error_of(
        api.patch(url, json={"speaker": "A"}, headers={**headers, "If-Match": "latest"}), 422
    )
    assert "If-Match says version 3, the body says 2" in error_of(
        api.patch(url, json={"speaker": "A", "version": 2}, headers={**headers, "If-Match": '"3"'}), 422
    )
    assert api.get(url).json()["version"] == 3


def test_any_change_to_a_reviewed_line_takes_the_mark_away(api: TestClient, clip_id: str) -> None:
    url = f"/api/clips/{clip_id}"
    headers = csrf(api)

    def mark() -> None:
        r = api.patch(f"{url}/segments/2", json={"reviewed": True}, headers=headers)
        assert r.json()["segment"]["reviewed"] and r.json()["review"]["reviewed"] == 1

    mark()
    r = api.patch(f"{url}/segments/2", json={"speaker": "Commander"}, headers=headers)
    assert r.json()["segment"]["reviewed"]  # who speaks is not what the reviewer checked
    edited = api.patch(f"{url}/segments/2", json={"translation": "Quiet in Bakhmut."}, headers=headers).json()
    assert not edited["segment"]["reviewed"] and edited["review"]["reviewed"] == 0
    assert [(r["field"], r["before"], r["after"]) for r in edited["revisions"][-2:]] == [
        ("translation", LINES[1][1], "Quiet in Bakhmut."),
        ("reviewed", "1", "0"),
    ]
    mark()
    translation_edit = edited["revisions"][-2]["id"]
    undone = api.post(f"{url}/revisions/{translation_edit}/undo", headers=headers).json()
    assert undone["segment"]["translation"] == LINES[1][1]
    assert not undone["segment"]["reviewed"] and undone["review"]["reviewed"] == 0
    mark()
    emptied = api.patch(f"{url}/segments/2", json={"translation": ""}, headers=headers).json()
    assert (emptied["segment"]["translation"], emptied["segment"]["reviewed"]) == ("", False)
    # a change sent with the mark is reviewed as changed
    both = api.patch(f"{url}/segments/2", json={"translation": "Quiet.", "reviewed": True}, headers=headers)
    assert both.json()["segment"]["reviewed"] and both.json()["segment"]["translation"] == "Quiet."


def test_the_label_names_only_the_current_reviewers(archive_home: Path, clip_id: str) -> None:
    with client(archive_home, token=TOKEN) as c:

        def by(name: str, n: int, reviewed: bool) -> Any:
            headers = {"Authorization": f"Bearer {TOKEN}", "X-Tolmach-Author": name}
            r = c.patch(f"/api/clips/{clip_id}/segments/{n}", json={"reviewed": reviewed}, headers=headers)
            assert r.status_code == 200, r.text
            return r.json()["review"]

        for n in range(1, 5):
            by("Olena", n, True)
        assert by("Ivan", 5, True) == {
            "reviewed": 5,
            "total": 5,
            "reviewer": "Olena and Ivan",
            "approver": None,
            "withdrawn": "",
        }
        by("Olena", 5, False)  # Ivan's mark taken back; Olena checks the line herself
        assert by("Olena", 5, True) == {
            "reviewed": 5,
            "total": 5,
            "reviewer": "Olena",
            "approver": None,
            "withdrawn": "",
        }
        srt = c.get(f"/api/clips/{clip_id}/export/en.srt", headers={"Authorization": f"Bearer {TOKEN}"}).text
        assert "Reviewed by Olena\n" in srt and "Ivan" not in srt


def test_notes_are_edited_and_removed_as_revisions(api: TestClient, clip_id: str) -> None:
    url = f"/api/clips/{clip_id}"
    headers = csrf(api)
    machine = ["мобик (mobik): mobilised soldier, derogatory"]
    assert api.get(f"{url}/segments/3").json()["notes"] == machine
    assert "mobilised soldier" in api.get(f"{url}/export/quotes.md").text
    better = ["mobik: a mobilised soldier (army slang, scornful)", "  second note  "]
    r = api.patch(f"{url}/segments/3", json={"notes": better}, headers=headers).json()
    assert r["segment"]["notes"] == ["mobik: a mobilised soldier (army slang, scornful)", "second note"]
    (edit,) = r["revisions"]
    assert (edit["field"], edit["before"], edit["author"]) == ("notes", machine[0], NAME)
    assert edit["after"] == "mobik: a mobilised soldier (army slang, scornful)\nsecond note"

    removed = api.patch(f"{url}/segments/3", json={"notes": []}, headers=headers).json()
    assert removed["segment"]["notes"] == [] and removed["revisions"][-1]["after"] == ""
    exported = json.loads(api.get(f"{url}/export/json").text)["segments"][2]
    assert exported["notes"] == []
    assert "mobilised soldier" not in api.get(f"{url}/export/quotes.md").text

    back = api.post(f"{url}/revisions/{removed['revisions'][-1]['id']}/undo", headers=headers).json()
    assert back["segment"]["notes"] == r["segment"]["notes"]
    says = error_of(api.patch(f"{url}/segments/3", json={"notes": ["one\ntwo"]}, headers=headers), 422)
    assert "a note is one line" in says
    assert "notes: Input should be a valid list" in error_of(
        api.patch(f"{url}/segments/3", json={"notes": "one"}, headers=headers), 422
    )


# -- files ---------------------------------------------------------------------------------------


def test_every_export_downloads_the_latest_text(
    api: TestClient, clip_id: str, tmp_path: Path, archive_home: Path
) -> None:
    edited = "The company commander said Bakhmut was quiet that week."
    api.patch(f"/api/clips/{clip_id}/segments/2", json={"translation": edited}, headers=csrf(api))
    for name, media_type in EXPORTS.items():
        r = api.get(f"/api/clips/{clip_id}/export/{name}")
        assert r.status_code == 200, (name, r.text)
        assert r.headers["content-type"] == f"{media_type}; charset=utf-8", name
        assert r.headers["content-disposition"].startswith(f'attachment; filename="clip.{name}"'), name
        (tmp_path / f"clip.{name}").write_bytes(r.content)
        flat = " ".join(r.text.split())
        if name.startswith("ru."):
            assert LINES[1][0].split()[0] in flat, name
        elif name == "manifest.json":
            line = next(s for s in json.loads(r.text)["segments"] if s["id"] == 2)
            assert line["translation_sha256"] == line_sha256(edited)
            assert [e["after"] for e in json.loads(r.text)["edits"]] == [edited]
        else:
            assert edited.split()[-1] in flat and "commander" in flat, name
    # the manifest signs the very files that download beside it
    files = [tmp_path / f"clip.{n}" for n in ("en.srt", "ru.vtt", "json", "thread.txt", "quotes.html")]
    own = {k.fingerprint for k in trusted_keys(archive_home)}  # signed with the archive's own key
    report = verify_manifest(tmp_path / "clip.manifest.json", files, trusted=own)
    assert report.ok, report.problems


def test_tracks_for_the_player(api: TestClient, clip_id: str) -> None:
    for lang, first in (("en", "We stood near Bakhmut"), ("ru", "Мы стояли под Бахмутом")):
        r = api.get(f"/api/clips/{clip_id}/tracks/{lang}.vtt")
        assert r.headers["content-type"] == "text/vtt; charset=utf-8"
        assert r.text.startswith("WEBVTT") and first in r.text
        assert "content-disposition" not in r.headers


def test_media_with_a_range(api: TestClient, clip_id: str, archive_home: Path) -> None:
    original = (b"not really a video " * 50)[:10]
    r = api.get(f"/api/clips/{clip_id}/media", headers={"Range": "bytes=0-9"})
    assert (r.status_code, r.content) == (206, original)
    assert r.headers["content-range"] == "bytes 0-9/950"
    assert "sandbox" in r.headers["content-security-policy"]
    assert api.get(f"/api/clips/{clip_id}/media").content == b"not really a video " * 50


@needs_ffmpeg
def test_video_media_and_thumbnail(api: TestClient, video_id: str, clip_id: str, sample: Path) -> None:
    r = api.get(f"/api/clips/{video_id}/media", headers={"Range": "bytes=100-199"})
    assert r.status_code == 206 and r.headers["content-type"] == "video/mp4"
    assert r.content == sample.read_bytes()[100:200]
    assert api.get("/api/clips").json()["clips"][0]["has_video"] is True
    thumb = api.get(f"/api/clips/{video_id}/thumbnail.jpg")
    assert thumb.status_code == 200 and thumb.headers["content-type"] == "image/jpeg"
    assert thumb.content[:3] == b"\xff\xd8\xff" and len(thumb.content) > 1000
    assert api.get(f"/api/clips/{video_id}/thumbnail.jpg").content == thumb.content  # cached
    assert "no video" in error_of(api.get(f"/api/clips/{clip_id}/thumbnail.jpg"), 404)


@needs_ffmpeg
def test_delete(api: TestClient, video_id: str, archive_home: Path) -> None:
    api.get(f"/api/clips/{video_id}/thumbnail.jpg")
    api.get(f"/api/clips/{video_id}/peaks")
    assert list((archive_home / "thumbs").iterdir()) and list((archive_home / "peaks").iterdir())
    r = api.delete(f"/api/clips/{video_id}", headers=csrf(api))
    assert r.status_code == 204 and r.content == b""
    error_of(api.get(f"/api/clips/{video_id}"), 404)
    assert api.get("/api/clips").json()["clips"] == []
    assert not list((archive_home / "thumbs").iterdir()) and not list((archive_home / "peaks").iterdir())
    assert not [p for p in (archive_home / "objects").rglob("*") if p.is_file()]


def test_search(api: TestClient, clip_id: str) -> None:
    hits = api.get("/api/search", params={"q": "Бахмут"}).json()["hits"]
    assert sorted(h["segment"] for h in hits) == [1, 2, 4]  # «Бахмутом», «Бахмуте», «Бахмута»
    first = next(h for h in hits if h["segment"] == 1)
    assert first["text"] == [["Мы стояли под ", False], ["Бахмутом", True], [" три недели.", False]]
    assert first["id"] == clip_id and first["title"] == "Near Bakhmut"
    doubtful = api.get("/api/search", params={"doubtful": "true", "q": ""}).json()["hits"]
    assert [h["segment"] for h in doubtful] == [3]
    assert "not a date" in error_of(api.get("/api/search", params={"q": "x", "since": "May"}), 422)
    assert "search is empty" in error_of(api.get("/api/search"), 422)


# -- safety --------------------------------------------------------------------------------------


def test_csp_forbids_inline_script_everywhere(api: TestClient, clip_id: str) -> None:
    for path in ("/", "/api/clips", f"/api/clips/{clip_id}", "/static/app.css", "/api/nothing"):
        csp = api.get(path).headers["content-security-policy"]
        directives = dict(d.strip().split(" ", 1) for d in csp.split(";"))
        assert directives["script-src"] == "'self'", path
        assert "unsafe-inline" not in csp and "unsafe-eval" not in csp, path
    page = api.get("/")
    assert page.headers["x-content-type-options"] == "nosniff"
    assert page.headers["x-frame-options"] == "DENY"
    assert api.get("/api/clips").headers["cache-control"] == "no-store"


def test_script_in_a_translation_stays_text(api: TestClient, clip_id: str) -> None:
    attack = "<script>alert(1)</script>"
    api.patch(f"/api/clips/{clip_id}/segments/1", json={"translation": attack}, headers=csrf(api))
    assert api.get(f"/api/clips/{clip_id}/segments/1").json()["translation"] == attack
    assert api.get(f"/api/clips/{clip_id}").headers["content-type"] == "application/json"
    for path in ("tracks/en.vtt", "export/en.vtt", "export/quotes.html"):
        text = api.get(f"/api/clips/{clip_id}/{path}").text
        assert "<script>" not in text and "&lt;script&gt;" in text, path
    page = api.get(f"/clips/{clip_id}").text
    assert "alert(1)" not in page  # the page has no transcript text: its script fetches it


def test_no_token_no_network(archive_home: Path) -> None:
    with pytest.raises(OptionsError, match=r"refusing to serve on 0\.0\.0\.0 without a token"):
        create_app(WebConfig(home=archive_home, host="0.0.0.0"))
    with pytest.raises(OptionsError, match="at least 32"):
        create_app(WebConfig(home=archive_home, host="0.0.0.0", token="short"))
    result = CliRunner().invoke(cli_app, ["serve", "--host", "192.168.1.5", "--home", str(archive_home)])
    assert result.exit_code == 2
    (line,) = result.output.strip().splitlines()
    assert line.startswith("error: refusing to serve on 192.168.1.5 without a token (hint: pass --token-file")


def test_with_a_token(archive_home: Path, clip_id: str) -> None:
    with client(archive_home, host="0.0.0.0", token=TOKEN, base_url="http://10.0.0.7:8731") as c:
        r = c.get("/api/clips")
        assert "wants a token" in error_of(r, 401) and r.headers["www-authenticate"] == "Bearer"
        error_of(c.get("/api/clips", headers={"Authorization": "Bearer " + "x" * 40}), 401)
        bearer = {"Authorization": f"Bearer {TOKEN}"}
        assert c.get("/api/clips", headers=bearer).status_code == 200
        r = c.patch(f"/api/clips/{clip_id}/segments/1", json={"speaker": "A"}, headers=bearer)
        assert "the token alone needs a name" in error_of(r, 400)  # never the server's --name
        named = {**bearer, "X-Tolmach-Author": "  Ivan   P. "}
        r = c.patch(f"/api/clips/{clip_id}/segments/1", json={"speaker": "A"}, headers=named)
        assert r.status_code == 200 and r.json()["revisions"][-1]["author"] == "Ivan P."
        assert c.get("/api/session", headers=named).json()["name"] == "Ivan P."
        page = c.get("/", follow_redirects=False)
        assert (page.status_code, page.headers["location"]) == (303, "/login?next=%2F")

        wrong = c.post("/login", data={"token": "x" * 40, "name": "Mallory"}, follow_redirects=False)
        assert wrong.status_code == 401 and "set-cookie" not in wrong.headers
        r = c.post(
            "/login", data={"token": TOKEN, "name": "Taras", "next": "/upload"}, follow_redirects=False
        )
        assert (r.status_code, r.headers["location"]) == (303, "/upload")
        assert "httponly" in r.headers["set-cookie"].lower()
        session = c.get("/api/session").json()
        assert (session["name"], session["auth"]) == ("Taras", "token")
        url = f"/api/clips/{clip_id}/segments/1"
        assert "X-CSRF-Token" in error_of(c.patch(url, json={"speaker": "B"}), 403)
        error_of(c.patch(url, json={"speaker": "B"}, headers={"X-CSRF-Token": "nope"}), 403)
        r = c.patch(url, json={"speaker": "B"}, headers={"X-CSRF-Token": session["csrf"]})
        assert r.status_code == 200 and r.json()["revisions"][-1]["author"] == "Taras"
        assert c.get("/").status_code == 200
        c.get("/logout")
        error_of(c.get("/api/clips"), 401)


def test_a_login_goes_only_to_this_server(archive_home: Path) -> None:
    with client(archive_home, token=TOKEN) as c:
        for target in ("//evil.example/", "https://evil.example/", "/\\evil.example"):
            r = c.post("/login", data={"token": TOKEN, "name": "T", "next": target}, follow_redirects=False)
            assert r.headers["location"] == "/", target


def test_mutations_need_the_csrf_header_without_a_token(api: TestClient, clip_id: str) -> None:
    url = f"/api/clips/{clip_id}/segments/1"
    assert "no session cookie" in error_of(
        TestClient(api.app, base_url=BASE).patch(url, json={"speaker": "A"}), 403
    )
    headers = csrf(api)
    error_of(api.patch(url, json={"speaker": "A"}), 403)
    error_of(api.delete(f"/api/clips/{clip_id}"), 403)
    error_of(api.post("/api/clips", files={"file": ("a.mp4", b"x")}), 403)
    other_site = {**headers, "Origin": "http://evil.example"}
    assert "another site" in error_of(api.patch(url, json={"speaker": "A"}, headers=other_site), 403)
    same_site = {**headers, "Origin": BASE}
    assert api.patch(url, json={"speaker": "A"}, headers=same_site).status_code == 200


@pytest.mark.parametrize("host", ["evil.example", "evil.example:8731", "127.0.0.1.evil.example", ""])
def test_wrong_host_header_is_refused(archive_home: Path, host: str) -> None:
    with client(archive_home) as c:
        r = c.get("/api/clips", headers={"Host": host})
        assert "Host header" in error_of(r, 400)
        assert "content-security-policy" in r.headers
        for good in ("127.0.0.1:8731", "localhost:8731", "[::1]:8731"):
            assert c.get("/api/clips", headers={"Host": good}).status_code == 200


def test_pages_carry_the_csrf_value(api: TestClient, clip_id: str) -> None:
    for path in ("/", "/upload", f"/clips/{clip_id}"):
        r = api.get(path)
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
        assert f'<meta name="csrf-token" content="{api.get("/api/session").json()["csrf"]}">' in r.text
    assert api.get("/login", follow_redirects=False).status_code == 303  # no login without a token
    error_of(api.get("/clips/not-an-id"), 404)


# -- uploads -------------------------------------------------------------------------------------


def uploads(home: Path) -> list[Path]:
    folder = home / "tmp" / "uploads"
    return sorted(p for p in folder.rglob("*")) if folder.exists() else []


def test_upload_creates_a_job(api: TestClient, archive_home: Path, sample: Path) -> None:
    form = {"lang": "ru", "formats": "srt,vtt", "title": "Sample", "tags": "test, bakhmut"}
    with sample.open("rb") as fp:
        r = api.post("/api/clips", data=form, files={"file": ("sample-ru.mp4", fp)}, headers=csrf(api))
    assert r.status_code == 202, r.text
    (job,) = r.json()["jobs"]
    assert (job["source"], job["state"], job["title"]) == ("sample-ru.mp4", "queued", "Sample")
    assert job["options"] == {"lang": "ru", "formats": "srt,vtt"}
    assert "path" not in job
    stored = [p for p in uploads(archive_home) if p.is_file()]
    assert [p.name for p in stored] == ["sample-ru.mp4"]
    assert stored[0].read_bytes() == sample.read_bytes()
    assert api.get("/api/jobs").json()["jobs"] == [job]
    assert api.get(f"/api/jobs/{job['id']}").json() == job


def test_two_files_in_one_upload_are_two_jobs(api: TestClient, archive_home: Path) -> None:
    files = [("file", ("a.mp4", b"a" * 100)), ("file", ("b.mp4", b"b" * 100))]
    r = api.post("/api/clips", files=files, headers=csrf(api))
    assert [j["source"] for j in r.json()["jobs"]] == ["a.mp4", "b.mp4"]
    assert len([p for p in uploads(archive_home) if p.is_file()]) == 2


def test_an_upload_over_the_limit_leaves_nothing(archive_home: Path) -> None:
    with client(archive_home, max_upload=1000) as c:
        files = [("file", ("small.mp4", b"s" * 500)), ("file", ("big.mp4", b"b" * 5000))]
        r = c.post("/api/clips", files=files, headers=csrf(c))
        assert "big.mp4 is larger than the limit of 1,000 bytes" in error_of(r, 413)
        assert uploads(archive_home) == []
        assert c.get("/api/jobs").json()["jobs"] == []


@pytest.mark.parametrize(
    ("files", "data", "status", "says"),
    [
        ({"file": ("empty.mp4", b"")}, {}, 400, "empty.mp4 is empty (0 bytes)"),
        ({"other": ("a.mp4", b"abc")}, {}, 400, "unexpected file in the form field 'other'"),
        (None, {"title": "no file"}, 400, "no file in the upload"),
        ({"file": ("a.mp4", b"abc")}, {"lang": "xx"}, 422, "unknown language code 'xx'"),
        ({"file": ("a.mp4", b"abc")}, {"formats": "srt,docx"}, 422, "unknown output format 'docx'"),
    ],
)
def test_a_refused_upload_leaves_nothing(
    api: TestClient, archive_home: Path, files: Any, data: dict[str, str], status: int, says: str
) -> None:
    if files is None:  # httpx sends a form without files urlencoded: write the multipart body by hand
        r = api.post(
            "/api/clips",
            content=b'--b\r\nContent-Disposition: form-data; name="title"\r\n\r\nx\r\n--b--\r\n',
            headers={**csrf(api), "Content-Type": "multipart/form-data; boundary=b"},
        )
    else:
        r = api.post("/api/clips", data=data, files=files, headers=csrf(api))
    assert says in error_of(r, status)
    assert uploads(archive_home) == []


def test_not_multipart(api: TestClient) -> None:
    r = api.post("/api/clips", json={"file": "x"}, headers=csrf(api))
    assert "multipart/form-data" in error_of(r, 400)


@pytest.mark.parametrize("name", ["../../etc/passwd", "/etc/passwd", "..\\..\\boot.ini", "..", ".hidden.mp4"])
def test_the_client_file_name_is_never_a_path(
    api: TestClient, archive_home: Path, tmp_path: Path, name: str
) -> None:
    r = api.post("/api/clips", files={"file": (name, b"data")}, headers=csrf(api))
    assert r.status_code == 202, r.text
    (job,) = r.json()["jobs"]
    assert job["source"] == name  # kept, as metadata
    (stored,) = [p for p in uploads(archive_home) if p.is_file()]
    assert stored.parent.parent == archive_home / "tmp" / "uploads"
    assert not stored.name.startswith(".") and "/" not in stored.name and "\\" not in stored.name
    assert stored.read_bytes() == b"data"


def test_a_cancelled_upload_leaves_nothing(api: TestClient, archive_home: Path) -> None:
    """The client goes away half-way through the body: the part written so far is removed."""
    import anyio

    headers = csrf(api)
    cookie = "; ".join(f"{k}={v}" for k, v in api.cookies.items())
    head = b'--b\r\nContent-Disposition: form-data; name="file"; filename="a.mp4"\r\n\r\n'
    messages = [
        {"type": "http.request", "body": head + b"x" * 5000, "more_body": True},
        {"type": "http.disconnect"},
    ]
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/api/clips",
        "raw_path": b"/api/clips",
        "query_string": b"",
        "root_path": "",
        "client": ("127.0.0.1", 5000),
        "server": ("127.0.0.1", 8731),
        "headers": [
            (b"host", b"127.0.0.1:8731"),
            (b"content-type", b"multipart/form-data; boundary=b"),
            (b"x-csrf-token", headers["X-CSRF-Token"].encode()),
            (b"cookie", cookie.encode()),
        ],
    }
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return messages.pop(0) if messages else {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    anyio.run(api.app, scope, receive, send)
    assert sent[0]["status"] == 400
    assert json.loads(sent[1]["body"])["error"] == "the upload was cancelled"
    assert uploads(archive_home) == []


def test_without_the_web_extra(tmp_path: Path) -> None:
    """Other commands work; serve says which extra to install (the web packages made unimportable)."""
    import subprocess
    import sys

    block = "import sys; sys.modules.update(fastapi=None, uvicorn=None); from tolmach.cli import main; "
    run = [sys.executable, "-c"]
    helped = subprocess.run(
        [*run, block + "sys.argv[1:] = ['--help']; main()"], capture_output=True, text=True
    )
    assert helped.returncode == 0 and "serve" in helped.stdout
    served = subprocess.run(
        [*run, block + f"sys.argv[1:] = ['serve', '--home', {str(tmp_path)!r}]; main()"],
        capture_output=True,
        text=True,
        env={**__import__("os").environ, "COLUMNS": "200"},
    )
    assert served.returncode == 6, served.stderr
    assert "the web app needs the optional package set 'web'" in served.stderr
    assert "pip install 'tolmach[web]'" in served.stderr


def test_a_file_part_without_a_file_name(api: TestClient, archive_home: Path) -> None:
    body = b'--b\r\nContent-Disposition: form-data; name="file"\r\n\r\nclip bytes\r\n--b--\r\n'
    headers = {**csrf(api), "Content-Type": "multipart/form-data; boundary=b"}
    (job,) = api.post("/api/clips", content=body, headers=headers).json()["jobs"]
    assert job["source"] == "upload"
    assert [p.read_bytes() for p in uploads(archive_home) if p.is_file()] == [b"clip bytes"]


@pytest.mark.parametrize(
    ("text", "size"), [("1024", 1024), ("500M", 500 << 20), ("4G", 4 << 30), ("2gib", 2 << 30)]
)
def test_sizes(text: str, size: int) -> None:
    from tolmach.web.config import parse_size

    assert parse_size(text) == size


def test_a_bad_size_or_token_file_stops_serve(tmp_path: Path) -> None:
    short = tmp_path / "token"
    short.write_text("too-short\n")
    for args, says in (
        (["--max-upload", "4 gigs"], "'4 gigs' is not a size"),
        (["--token-file", str(short)], "the token has 9 characters; it needs at least 32"),
        (["--token-file", str(tmp_path / "missing")], "cannot read the token file"),
    ):
        result = CliRunner().invoke(cli_app, ["serve", "--home", str(tmp_path), *args])
        assert result.exit_code == 2 and says in result.output, result.output
