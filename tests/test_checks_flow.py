"""The line checks where they run: inside translate (JSON, txt, archive, review API), after review edits
(dismissals kept per text, an edit checks the line again), in translate-text and in ``tolmach check``.

The checks themselves are tested line by line in tests/test_checks_*.py; here a clip goes through the
real pipeline (real ffmpeg and Whisper on the shipped sample) with a fake text engine behind the real
``Engine`` interface, whose English is wrong on purpose, and hand-built transcripts go into a real
SQLite archive.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from records import make_clip, make_transcript
from typer.testing import CliRunner

from tolmach import engines
from tolmach.archive import Archive
from tolmach.checks import check_segments
from tolmach.cli import app as cli_app
from tolmach.engines import Context, Engine
from tolmach.options import Options
from tolmach.pipeline import translate_clip, write_outputs
from tolmach.records import ClipInfo, Flag
from tolmach.subtitles.formats.jsonformat import transcript_from_json

HUMAN = "Olena K."
INVENTED = Flag("number", "number 1985 in the English is not in the original")
NEGATION = Flag("negation", "negation: the original says «не отказываемся», the English has none")
LINES = [
    ("Мы стояли под Бахмутом три недели.", "We stood near Bakhmut for three weeks."),
    ("Мы не отказываемся служить.", "We refuse to serve."),
    ("Из Бахмута нас вывели в апреле.", "We were withdrawn from Bakhmut in April."),
]


class Wrong(Engine):
    """Writes an English that adds a year the original never says, on every line."""

    name = "wrong"

    def __init__(self, options: Options | None = None) -> None:
        pass

    @property
    def label(self) -> str:
        return "wrong:1"

    def translate(self, lines: Sequence[str], context: Context) -> list[str]:
        return [f"In 1985, line {i} was said." for i in range(1, len(lines) + 1)]


@pytest.fixture(scope="module")
def wrong(sample: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Any, Path]:
    """The sample clip translated by the wrong engine, and the folder its outputs were written to."""
    patch = pytest.MonkeyPatch()
    patch.setattr(engines, "get_engine", lambda options, name=None: Wrong())
    try:
        options = Options(lang="ru", engine="llm", llm_model="wrong", formats=("json", "txt"), speakers="1")
        transcript = translate_clip(sample, options)
    finally:
        patch.undo()
    folder = tmp_path_factory.mktemp("wrong")
    write_outputs(transcript, options, folder, "clip")
    return transcript, folder


def test_a_wrong_english_is_flagged_in_the_json_and_the_txt(wrong: tuple[Any, Path]) -> None:
    transcript, folder = wrong
    assert transcript.segments and all(s.translated_by == "wrong:1" for s in transcript.segments)
    assert all(INVENTED in s.flags and s.doubtful for s in transcript.segments)
    assert "checks" in transcript.timings
    data = json.loads((folder / "clip.json").read_text(encoding="utf-8"))
    flag = {"kind": INVENTED.kind, "detail": INVENTED.detail}
    assert all(flag in s["flags"] and s["doubtful"] for s in data["segments"])
    read = transcript_from_json((folder / "clip.json").read_text(encoding="utf-8"))
    assert [s.flags for s in read.segments] == [s.flags for s in transcript.segments]
    txt = (folder / "clip.txt").read_text(encoding="utf-8")
    assert txt.count(f"    CHECK: {INVENTED.detail}\n") == len(transcript.segments)


def test_a_wrong_english_is_flagged_in_the_review_api(wrong: tuple[Any, Path], archive_home: Path) -> None:
    from test_web_api import client

    transcript, _ = wrong
    with Archive(archive_home) as archive:
        archive.save(transcript, ClipInfo(source="sample-ru.mp4"), {"k": "wrong"})
    with client(archive_home) as api:
        segments = api.get(f"/api/clips/{transcript.media.sha256[:12]}").json()["segments"]
    flag = {"kind": INVENTED.kind, "detail": INVENTED.detail}
    assert segments and all(flag in s["flags"] and s["doubtful"] for s in segments)


# -- review: dismiss, reload, edit ---------------------------------------------------------------


@pytest.fixture
def run(archive_home: Path, tmp_path: Path) -> tuple[str, str]:
    """(clip ID, run ID) of a stored three-line clip, checked as the pipeline checks it: line 2's English
    lost its negation."""
    transcript = make_transcript(make_clip(tmp_path, "clip.mp4", b"not really a video " * 50), LINES)
    transcript = replace(transcript, segments=check_segments(transcript.segments, "ru", None, entities=False))
    with Archive(archive_home) as archive:
        run_id = archive.save(transcript, ClipInfo(source="clip.mp4"), {"k": 1})
    return transcript.media.sha256[:12], run_id


def line(home: Path, run_id: str, n: int) -> Any:
    with Archive(home) as archive:  # a fresh connection each time: what a reload reads
        return next(s for s in archive.segments(run_id) if s.id == n)


def dismissal(*flags: Flag) -> str:
    return "\n".join(f"{f.kind}: {f.detail}" for f in flags)


def test_the_negation_is_flagged_and_the_good_lines_are_not(archive_home: Path, run: tuple[str, str]) -> None:
    _, run_id = run
    assert line(archive_home, run_id, 2).flags == (NEGATION,)
    assert line(archive_home, run_id, 2).doubtful
    assert [line(archive_home, run_id, n).flags for n in (1, 3)] == [(), (Flag("low-logprob", "unsure"),)]


def test_a_dismissal_survives_a_reload_and_an_edit_brings_the_flag_back(
    archive_home: Path, run: tuple[str, str]
) -> None:
    _, run_id = run
    with Archive(archive_home) as archive:
        (revision,) = archive.edit_line(run_id, 2, {"dismissed": dismissal(NEGATION)}, HUMAN)
    assert (revision.field, revision.before, revision.after, revision.author) == (
        "dismissed",
        "",
        dismissal(NEGATION),
        HUMAN,
    )
    kept = line(archive_home, run_id, 2)
    assert (kept.flags, kept.dismissed, kept.doubtful) == ((), (NEGATION,), False)
    with Archive(archive_home) as archive:  # another English, still without the negation
        written = archive.edit_line(run_id, 2, {"translation": "We will refuse to serve."}, HUMAN)
    assert [(r.field, r.after) for r in written] == [
        ("translation", "We will refuse to serve."),
        ("dismissed", ""),
    ]
    again = line(archive_home, run_id, 2)
    assert (again.flags, again.dismissed, again.doubtful) == (
        (Flag("negation", NEGATION.detail),),
        (),
        True,
    )
    with Archive(archive_home) as archive:  # the right English: nothing to find
        archive.edit_line(run_id, 2, {"translation": "We do not refuse to serve."}, HUMAN)
    fixed = line(archive_home, run_id, 2)
    assert (fixed.flags, fixed.doubtful) == ((), False)


def test_undoing_a_dismissal_flags_the_line_again(archive_home: Path, run: tuple[str, str]) -> None:
    _, run_id = run
    with Archive(archive_home) as archive:
        (revision,) = archive.edit_line(run_id, 2, {"dismissed": dismissal(NEGATION)}, HUMAN)
        back = archive.undo(run_id, revision.id, "Ivan P.")
    assert (back.field, back.before, back.after, back.undoes) == (
        "dismissed",
        dismissal(NEGATION),
        "",
        revision.id,
    )
    assert line(archive_home, run_id, 2).flags == (NEGATION,)


def test_only_a_line_check_the_line_has_can_be_dismissed(archive_home: Path, run: tuple[str, str]) -> None:
    from tolmach.errors import InputError, OptionsError

    _, run_id = run
    with Archive(archive_home) as archive:
        with pytest.raises(InputError, match="line 1 has no flag 'negation: "):
            archive.edit_line(run_id, 1, {"dismissed": dismissal(NEGATION)}, HUMAN)
        with pytest.raises(OptionsError, match="not a line check's finding"):
            archive.edit_line(run_id, 2, {"dismissed": "low-confidence: unsure"}, HUMAN)
    assert line(archive_home, run_id, 2).flags == (NEGATION,)


def test_an_edit_of_the_original_checks_the_line_again(archive_home: Path, run: tuple[str, str]) -> None:
    _, run_id = run
    with Archive(archive_home) as archive:  # the reviewer heard it wrong: there was no «не»
        archive.edit_line(run_id, 2, {"text": "Мы отказываемся служить."}, HUMAN)
    assert line(archive_home, run_id, 2).flags == ()


@pytest.fixture
def api(archive_home: Path) -> Iterator[TestClient]:
    from test_web_api import client

    with client(archive_home) as c:
        yield c


def test_the_api_dismisses_and_an_edit_brings_it_back(api: TestClient, run: tuple[str, str]) -> None:
    from test_web_api import NAME, csrf, error_of

    clip, _ = run
    url = f"/api/clips/{clip}/segments/2"
    shown = api.get(url).json()
    assert shown["flags"] == [{"kind": NEGATION.kind, "detail": NEGATION.detail}] and shown["dismissed"] == []
    r = api.patch(url, json={"dismissed": shown["flags"], "version": shown["version"]}, headers=csrf(api))
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["segment"]["flags"], body["segment"]["doubtful"]) == ([], False)
    assert body["segment"]["dismissed"] == shown["flags"]
    assert [(x["field"], x["author"]) for x in body["revisions"]] == [("dismissed", NAME)]
    assert api.get(url).json() == body["segment"]  # a reload shows it dismissed
    version = body["segment"]["version"]
    r = api.patch(url, json={"translation": "We refuse, to serve.", "version": version}, headers=csrf(api))
    assert r.status_code == 200, r.text
    assert (r.json()["segment"]["flags"], r.json()["segment"]["dismissed"]) == (shown["flags"], [])
    wrong = [{"kind": "number", "detail": "number 9 in the original is missing in the English"}]
    error = error_of(api.patch(url, json={"dismissed": wrong}, headers=csrf(api)), 400)
    assert error.startswith("line 2 has no flag 'number: number 9")


# -- tolmach check, translate-text ---------------------------------------------------------------


def check(*args: str) -> Any:
    return CliRunner().invoke(cli_app, ["check", *args])


def test_check_reads_a_tsv_and_prints_one_json_line_each(tmp_path: Path) -> None:
    pairs = tmp_path / "pairs.tsv"
    rows = ["id\tsource\tenglish", *(f"{i}\t{ru}\t{en}" for i, (ru, en) in enumerate(LINES, 1))]
    pairs.write_text("\n".join(rows) + "\n", encoding="utf-8")
    result = check(str(pairs))
    assert result.exit_code == 0, result.output
    out = [json.loads(x) for x in result.stdout.splitlines()]
    assert out == [
        {"line": 1, "doubtful": False, "flags": []},
        {"line": 2, "doubtful": True, "flags": [{"kind": "negation", "detail": NEGATION.detail}]},
        {"line": 3, "doubtful": False, "flags": []},
    ]
    assert result.stderr.strip() == "checked 3 lines (ru): 1 doubtful (negation 1)"


def test_check_reads_a_transcript_and_ignores_its_old_flags(tmp_path: Path) -> None:
    from tolmach.subtitles.formats.jsonformat import transcript_to_dict

    transcript = make_transcript(make_clip(tmp_path, "clip.mp4", b"video " * 40), LINES)
    stale = Flag("number", "number 7 in the original is missing in the English")
    segments = tuple(replace(s, flags=(stale,), doubtful=True) for s in transcript.segments)
    path = tmp_path / "clip.json"
    path.write_text(json.dumps(transcript_to_dict(replace(transcript, segments=segments))), encoding="utf-8")
    result = check(str(path), "--from", "ru")
    assert result.exit_code == 0, result.output
    assert [json.loads(x)["doubtful"] for x in result.stdout.splitlines()] == [False, True, False]


@pytest.mark.parametrize(
    ("content", "error"),
    [
        (None, "no such file"),
        ("", "the file is empty"),
        ("ru\ten\nМы\tWe\n", "the header has no column source or english (it has: ru, en)"),
        ("source\tenglish\n", "a header and no pairs"),
        ('{"schema": "other"}', "has schema 'other'"),
    ],
)
def test_check_bad_input_is_one_line_and_exit_1(tmp_path: Path, content: str | None, error: str) -> None:
    path = tmp_path / "in.tsv"
    if content is not None:
        path.write_text(content, encoding="utf-8")
    result = check(str(path))
    assert result.exit_code == 1
    assert result.stdout == ""
    (message,) = result.stderr.strip().splitlines()
    assert message.startswith("error: ") and error in message and "(hint: " in message


def test_check_refuses_a_language_it_cannot_read(tmp_path: Path) -> None:
    result = check(str(tmp_path / "x.tsv"), "--from", "de")
    assert result.exit_code == 1
    assert "the checks read Russian and Ukrainian originals, not 'de'" in result.stderr


def test_translate_text_reports_what_the_checks_find(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    class Literal(Wrong):
        def translate(self, lines: Sequence[str], context: Context) -> list[str]:
            return ["We refuse to serve." if "не отказываемся" in x else "We were in Bakhmut." for x in lines]

    monkeypatch.setattr(engines, "text_engine", lambda options: Literal())
    post = tmp_path / "post.txt"
    post.write_text("Мы были в Бахмуте.\n\nМы не отказываемся служить.\n", encoding="utf-8")
    result = CliRunner().invoke(cli_app, ["translate-text", str(post), "--from", "ru", "--no-glossary"])
    assert result.exit_code == 0, result.output
    assert f"CHECK paragraph 2: {NEGATION.detail}" in result.stderr
    assert "paragraph 1" not in result.stderr
