"""A clip's runs: a person's work stays the clip's text, the user picks another, two runs compared.

Two hand-built runs of one clip (tests/records.py) cut the same speech differently: run B splits A's
line 2 in two, rewords line 3's English (and starts it 0.1 s inside A's line 2), drops line 4 and adds
a sixth. Everything here is exact; no model runs (test_cli_archive.py reruns the real sample clip).
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from records import make_clip, make_transcript
from typer.testing import CliRunner

from tolmach.archive import Archive
from tolmach.archive.compare import Row, counts, diff, differing_keys
from tolmach.cli import app
from tolmach.records import ClipInfo, Segment, Transcript

REWORDED = "Mobilised men were sent to storm without training."


def run_b(a: Transcript) -> Transcript:
    one, two, three, _, five = a.segments
    first, second = (
        replace(two, id=2, end=4200, text="Командир роты сказал,", translation="The company commander said"),
        replace(two, id=3, start=4200, text="что в Бахмуте тихо.", translation="it was quiet in Bakhmut."),
    )
    segments = (
        one,
        first,
        second,
        replace(three, id=4, start=5400, translation=REWORDED),
        replace(five, id=5),
        Segment(id=6, start=15000, end=16500, text="Всё, уходим.", translation="That's it, we're leaving."),
    )
    return replace(a, segments=segments)


@pytest.fixture
def pair(archive_home: Path, tmp_path: Path) -> Iterator[tuple[Archive, str, str, str]]:
    """(archive, clip ID, run A, run B): A stored first and one line of it reviewed, then B."""
    a = make_transcript(make_clip(tmp_path, "clip.mp4", b"two runs of one clip " * 40))
    with Archive(archive_home) as archive:
        run_a = archive.save(a, ClipInfo(source="clip.mp4"), {"k": 1, "lang": "ru"})
        archive.edit(run_a, 1, "reviewed", "1", "Olena")
        run_b_id = archive.save(run_b(a), ClipInfo(source="clip.mp4"), {"k": 2, "lang": "ru"})
        yield archive, a.media.sha256, run_a, run_b_id


def tolmach(*args: str | Path) -> tuple[int, str]:
    result = CliRunner().invoke(app, [str(a) for a in args], env={"COLUMNS": "200"})
    return result.exit_code, result.output


# -- the comparison ------------------------------------------------------------------------------


def test_lines_are_matched_by_time_not_by_number(tmp_path: Path) -> None:
    a = make_transcript(make_clip(tmp_path, "c.mp4", b"x"))
    rows = diff(a.segments, run_b(a).segments)
    assert [(r.kind, r.a_lines, r.b_lines, r.start, r.end) for r in rows] == [
        ("same", (1,), (1,), 0, 2500),
        ("same", (2,), (2, 3), 3000, 5500),  # split in two, the same words: not a difference
        ("changed", (3,), (4,), 5400, 8500),  # 0.1 s of overlap with line 2 does not join them
        ("only_a", (4,), (), 9000, 11500),
        ("same", (5,), (5,), 12000, 14500),
        ("only_b", (), (6,), 15000, 16500),
    ]
    assert rows[2] == Row(
        start=5400,
        end=8500,
        kind="changed",
        a_lines=(3,),
        b_lines=(4,),
        a_text="Мобиков отправили на штурм без подготовки.",
        b_text="Мобиков отправили на штурм без подготовки.",
        a_translation="The mobiks were sent to assault without training.",
        b_translation=REWORDED,
    )
    assert counts(rows) == {"same": 3, "changed": 1, "only_a": 1, "only_b": 1}
    assert [r.kind for r in diff(a.segments, a.segments)] == ["same"] * 5
    assert [r.kind for r in diff(a.segments, ())] == ["only_a"] * 5


def test_a_line_overlapping_only_a_little_still_finds_its_partner(tmp_path: Path) -> None:
    a = make_transcript(make_clip(tmp_path, "c.mp4", b"x")).segments[:1]  # 0-2500
    b = (replace(a[0], start=2400, end=6000, translation="Reworded."),)  # 100 ms of 2500: its only overlap
    [row] = diff(a, b)
    assert (row.kind, row.a_lines, row.b_lines) == ("changed", (1,), (1,))


def test_differing_keys_name_what_tells_runs_apart() -> None:
    keys = [{"lang": "ru", "beam_size": 5, "tool": "0.1"}, {"lang": "uk", "beam_size": 5, "tool": "0.1"}]
    assert differing_keys(keys) == [{"lang": "ru"}, {"lang": "uk"}]
    assert differing_keys([{"lang": "ru"}, {"lang": "ru", "engine": "llm"}]) == [
        {"engine": None},
        {"engine": "llm"},
    ]


# -- the policy, in the archive ------------------------------------------------------------------


def test_a_new_run_is_stored_beside_the_reviewed_one(pair: tuple[Archive, str, str, str]) -> None:
    archive, clip_id, run_a, run_b_id = pair
    assert archive.current_run(clip_id) == run_a
    kept = archive.kept_instead(run_b_id)
    assert kept is not None and (kept.id, kept.reviewed, kept.revisions, kept.lines) == (run_a, 1, 1, 5)
    assert archive.kept_instead(run_a) is None
    runs = {r.id: r for r in archive.runs(clip_id)}
    assert (runs[run_a].current, runs[run_b_id].current) == (True, False)
    assert (runs[run_b_id].lines, runs[run_b_id].reviewed, runs[run_b_id].worked_on) == (6, 0, False)
    archive.note_source(clip_id, ClipInfo(source="again.mp4"), current_run=run_b_id)  # met again
    assert archive.current_run(clip_id) == run_a
    assert archive.use_run(run_b_id).current  # the user's choice holds, whatever A holds
    assert archive.current_run(clip_id) == run_b_id
    archive.note_source(clip_id, ClipInfo(source="again.mp4"), current_run=run_a)  # B is unreviewed
    assert archive.current_run(clip_id) == run_a


# -- the CLI -------------------------------------------------------------------------------------


def test_runs_list_use_and_show(pair: tuple[Archive, str, str, str]) -> None:
    _, clip_id, run_a, run_b_id = pair
    code, output = tolmach("runs", "list", clip_id[:8])
    assert code == 0, output
    [row_a] = [line for line in output.splitlines() if run_a[:12] in line]
    [row_b] = [line for line in output.splitlines() if run_b_id[:12] in line]
    assert row_a.split("\t")[2:8] == ["ru", "k=1", "5", "1", "1", "yes"]  # tab-separated: not a terminal
    assert row_b.split("\t")[2:8] == ["ru", "k=2", "6", "0", "0", ""]
    code, output = tolmach("show", clip_id[:8], "--lines", "0")
    assert code == 0, output
    assert f"{run_a[:12]} (current) " in output and "ru, 1 of 5 lines reviewed, 1 change k=1" in output
    assert f"'tolmach runs diff {clip_id[:12]} RUN' compares" in output
    code, output = tolmach("runs", "use", run_b_id[:8])
    assert (code, output.strip()) == (
        0,
        f"clip {clip_id[:12]} now shows run {run_b_id[:12]} (0 of 6 lines reviewed)",
    )
    code, output = tolmach("show", clip_id[:8], "--lines", "0")
    assert f"{run_b_id[:12]} (current) " in output
    code, output = tolmach("runs", "use", "ffff0000")
    assert code == 2 and "no clip or run with ID ffff0000" in output


def test_runs_diff_prints_what_changed_side_by_side(pair: tuple[Archive, str, str, str]) -> None:
    _, clip_id, run_a, run_b_id = pair
    code, output = tolmach("runs", "diff", clip_id[:8], run_b_id[:8])  # a clip ID: its current run
    assert code == 0, output
    assert output.splitlines() == [
        f"a = run {run_a[:12]} (ru, 5 lines, 1 of 5 lines reviewed, 1 change, current)",
        f"b = run {run_b_id[:12]} (ru, 6 lines, 0 of 6 lines reviewed)",
        "",
        "0:05.4-0:08.5  changed  (a 3, b 4)",
        "  both    Мобиков отправили на штурм без подготовки.",
        "  a EN    The mobiks were sent to assault without training.",
        f"  b EN    {REWORDED}",
        "0:09.0-0:11.5  only in a  (a 4)",
        "  a       Из Бахмута нас вывели в апреле.",
        "  a EN    We were withdrawn from Bakhmut in April.",
        "0:15.0-0:16.5  only in b  (b 6)",
        "  b       Всё, уходим.",
        "  b EN    That's it, we're leaving.",
        "1 changed, 1 only in a, 1 only in b, 3 the same",
    ]
    code, output = tolmach("runs", "diff", run_a[:8], run_b_id[:8], "--all")
    assert code == 0 and "0:03.0-0:05.5  same  (a 2, b 2-3)" in output.splitlines()


def test_runs_diff_refuses_runs_of_two_clips(pair: tuple[Archive, str, str, str], tmp_path: Path) -> None:
    archive, clip_id, run_a, _ = pair
    other = archive.save(make_transcript(make_clip(tmp_path, "o.mp4", b"another clip")), ClipInfo("o"), {})
    code, output = tolmach("runs", "diff", run_a[:8], other[:8])
    assert code == 2 and f"no run {other[:8]} in clip {clip_id[:12]}" in output


@pytest.mark.parametrize("command", ["runs", "runs list", "runs use", "runs diff"])
def test_runs_help_has_an_example(command: str) -> None:
    code, output = tolmach(*command.split(), "--help")
    assert code == 0 and "Example" in output
    assert re.search(rf"^\s*tolmach {command}\b", output, re.MULTILINE)


# -- the web API ---------------------------------------------------------------------------------


@pytest.fixture
def web(archive_home: Path) -> Iterator[Any]:
    pytest.importorskip("fastapi", reason="needs the 'web' extra")
    from test_web_api import client

    with client(archive_home) as c:
        yield c


def test_api_lists_runs_and_switches_with_csrf(pair: tuple[Archive, str, str, str], web: Any) -> None:
    from test_web_api import csrf, error_of

    _, clip_id, run_a, run_b_id = pair
    data = web.get(f"/api/clips/{clip_id[:12]}/runs").json()
    assert (data["clip_id"], data["current"]) == (clip_id, run_a)
    runs = {r["id"]: r for r in data["runs"]}
    assert {k: runs[run_a][k] for k in ("current", "lines", "reviewed", "revisions", "differs")} == {
        "current": True,
        "lines": 5,
        "reviewed": 1,
        "revisions": 1,
        "differs": {"k": 1},
    }
    assert (runs[run_b_id]["current"], runs[run_b_id]["lines"], runs[run_b_id]["differs"]) == (
        False,
        6,
        {"k": 2},
    )
    assert "no session cookie" in error_of(
        web.put(f"/api/clips/{clip_id[:12]}/current", json={"run": run_b_id[:8]}), 403
    )
    headers = csrf(web)
    r = web.put(f"/api/clips/{clip_id[:12]}/current", json={"run": run_b_id[:8]}, headers=headers)
    assert r.status_code == 200, r.text
    assert r.json()["current"] == run_b_id
    shown = web.get(f"/api/clips/{clip_id[:12]}").json()
    assert shown["run"]["id"] == run_b_id and len(shown["segments"]) == 6
    missing = web.put(f"/api/clips/{clip_id[:12]}/current", json={"run": "ffff0000"}, headers=headers)
    assert "no clip or run with ID ffff0000" in error_of(missing, 404)
    extra = web.put(f"/api/clips/{clip_id[:12]}/current", json={"run": run_a, "x": 1}, headers=headers)
    error_of(extra, 422)


def test_api_diff_of_two_runs(pair: tuple[Archive, str, str, str], web: Any, tmp_path: Path) -> None:
    from test_web_api import error_of

    archive, clip_id, run_a, run_b_id = pair
    data = web.get(f"/api/clips/{clip_id[:12]}/diff", params={"b": run_b_id[:8]}).json()
    assert (data["a"]["id"], data["b"]["id"]) == (run_a, run_b_id)
    assert (data["a"]["differs"], data["b"]["differs"]) == ({"k": 1}, {"k": 2})
    assert data["counts"] == {"same": 3, "changed": 1, "only_a": 1, "only_b": 1}
    assert [r["kind"] for r in data["rows"]] == ["same", "same", "changed", "only_a", "same", "only_b"]
    assert data["rows"][1] == {
        "start": 3000,
        "end": 5500,
        "kind": "same",
        "a_lines": [2],
        "b_lines": [2, 3],
        "a_text": "Командир роты сказал, что в Бахмуте тихо.",
        "b_text": "Командир роты сказал, что в Бахмуте тихо.",
        "a_translation": "The company commander said it was quiet in Bakhmut.",
        "b_translation": "The company commander said it was quiet in Bakhmut.",
    }
    backwards = web.get(f"/api/clips/{clip_id[:12]}/diff", params={"a": run_b_id, "b": run_a}).json()
    assert [r["kind"] for r in backwards["rows"]] == ["same", "same", "changed", "only_b", "same", "only_a"]
    other = archive.save(make_transcript(make_clip(tmp_path, "o.mp4", b"another clip")), ClipInfo("o"), {})
    wrong = web.get(f"/api/clips/{clip_id[:12]}/diff", params={"b": other})
    assert f"no run {other} in clip {clip_id[:12]}" in error_of(wrong, 404)


@pytest.mark.slow
def test_a_batch_reusing_a_stored_run_names_the_file_given(tmp_path: Path) -> None:
    from batchclips import FAST_FLAGS, cut_clips

    clips = cut_clips(tmp_path / "clips")
    for name in ("first", "second"):
        (tmp_path / name).mkdir()
        shutil.copyfile(clips[2], tmp_path / name / f"{name}.flac")  # the same bytes, two names
        code, output = tolmach("batch", tmp_path / name, "-o", tmp_path / f"out-{name}", *FAST_FLAGS)
        assert code == 0, output
    again = json.loads((tmp_path / "out-second" / "second.json").read_text(encoding="utf-8"))
    assert Path(again["media"]["path"]).name == "second.flac"  # reused, yet named as given
    with Archive() as archive:
        [clip] = archive.clips()
        assert (clip.runs, clip.filename) == (1, "first.flac")
        reused = archive.conn.execute("SELECT source, reused FROM jobs ORDER BY created, source").fetchall()
    assert [(Path(source).name, flag) for source, flag in reused] == [("first.flac", 0), ("second.flac", 1)]
