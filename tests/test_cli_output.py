"""The command line's output for pipes and scripts, and its errors, in real processes.

Piped (not a terminal), every table is a header line and tab-separated rows with every value whole, the
same whatever COLUMNS says; on a terminal (a real pseudo-terminal here) IDs and hashes are never broken;
``--json`` holds exactly the fields docs/FORMATS.md lists; a malformed option value is one ``error:``
line and exit 2; a failed run leaves no folder it made; counts read "1 file", "1 problem".
The archive is built by hand (tests/records.py): no speech model runs, except in the one progress test.
"""

from __future__ import annotations

import json
import os
import pty
import re
import select
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pytest
from records import make_clip, make_transcript
from typer.testing import CliRunner

from tolmach.archive import Archive
from tolmach.archive import jobs as job_table
from tolmach.cli import app
from tolmach.publish import trust
from tolmach.records import ClipInfo
from tolmach.subtitles.formats.jsonformat import segment_to_dict

DOCS = Path(__file__).parent.parent / "docs" / "FORMATS.md"
BOX = set("│┃┆┊║─━┄┈═┌┐└┘┏┓┗┛╭╮╰╯├┤┬┴┼┡┩╇╈╞╡╪")
TITLE = "Assault\tnear\nBakhmut: what the company commander said, filmed from the second floor of the school"
LONG_ERROR = (
    "/srv/intake/2023-04/very long folder name/clip-07.mp4: looks truncated or corrupt (moov atom not found)"
)
FINGERPRINT = "3f9a0c41d2e87b65a1c0f4e29d7b3c18"


def tolmach(*args: str | Path, columns: int = 80, **env: str) -> subprocess.CompletedProcess[str]:
    """``tolmach ARGS`` in a process of its own, stdout and stderr piped (not a terminal)."""
    return subprocess.run(
        [sys.executable, "-m", "tolmach", *(str(a) for a in args)],
        capture_output=True,
        text=True,
        env={**os.environ, "HF_HUB_OFFLINE": "1", "COLUMNS": str(columns), **env},
        timeout=300,
    )


def on_terminal(*args: str | Path, columns: int, **env: str) -> str:
    """What ``tolmach ARGS`` shows on a terminal ``columns`` wide: stdout and stderr on a pseudo-terminal."""
    main, child = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "tolmach", *(str(a) for a in args)],
        stdin=subprocess.DEVNULL,
        stdout=child,
        stderr=child,
        env={**os.environ, "HF_HUB_OFFLINE": "1", "COLUMNS": str(columns), **env},
    )
    os.close(child)
    chunks, deadline = [], time.monotonic() + 120
    while time.monotonic() < deadline:
        ready, _, _ = select.select([main], [], [], 1)
        if not ready:
            if process.poll() is not None:
                break
            continue
        try:
            data = os.read(main, 65536)
        except OSError:  # the child closed the terminal
            break
        if not data:
            break
        chunks.append(data)
    process.wait(timeout=60)
    os.close(main)
    return b"".join(chunks).decode("utf-8").replace("\r\n", "\n")


def plain(text: str) -> str:
    """Terminal output without its escape sequences."""
    return re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", text)


def one_line(value: str) -> str:
    """A value as a plain table prints it: tabs and line breaks as spaces."""
    return re.sub(r"[\t\r\n]+", " ", value)


def agree(text: str) -> list[str]:
    """The counts in ``text`` whose noun disagrees with the number ("1 files", "2 problem")."""
    nouns = r"(file|problem|line|term|stored file|paragraph|change|more line)"
    return [
        m.group(0)
        for m in re.finditer(rf"\b(\d+) {nouns}(s?)\b", text)
        if (m.group(1) == "1") == (m.group(3) == "s")
    ]


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An archive with three clips (one titled with a tab, a line break and more text than fits), a
    failed batch job with a long error, and one trusted key."""
    home = tmp_path_factory.mktemp("archive")
    clips = tmp_path_factory.mktemp("clips")
    with Archive(home) as archive:
        for n, title in enumerate((TITLE, "Kreminna", "")):
            transcript = make_transcript(make_clip(clips, f"clip{n}.mp4", f"clip {n}".encode()))
            archive.save(transcript, ClipInfo(source=f"clip{n}.mp4", title=title, tags=("bakhmut",)), {})
        [job] = job_table.add_batch(
            archive.conn, "0a1b2c3d", "local", [("clip-07.mp4", "/srv/clip-07.mp4", {}, ClipInfo(""), "")]
        )
        job_table.fail(archive.conn, job.id, LONG_ERROR, "fetch the file again")
    trust(home, FINGERPRINT, "Kyiv desk")
    return home


@pytest.fixture(scope="module")
def clip_ids(home: Path) -> list[str]:
    with Archive(home) as archive:
        return [c.id for c in archive.clips()]


# -- piped: tab-separated, whole, whatever COLUMNS says ------------------------------------------------

Whole = Callable[[Mapping[str, Any]], str]
# (the command, the JSON document's list, the values of each record that must appear whole on one line)
PIPED: list[tuple[list[str], str, list[Whole]]] = [
    (["list"], "clips", [lambda r: r["id"], lambda r: one_line(r["title"])]),
    (["search", "Бахмут"], "hits", [lambda r: r["id"], lambda r: r["translation"]]),
    (["speakers", "{clip}"], "speakers", [lambda r: r["first_line"]]),
    (["runs", "list", "{clip}"], "runs", [lambda r: r["id"][:12], lambda r: r["created"]]),
    (["jobs"], "jobs", [lambda r: r["id"], lambda r: r["error"]]),
    (["keys", "list"], "keys", [lambda r: r["fingerprint"]]),
    (["engines"], "engines", [lambda r: r["name"], lambda r: r["description"]]),
    (["models", "list"], "models", [lambda r: r["sha256"] or "-", lambda r: r["path"]]),
    (["voices"], "voices", [lambda r: r["description"], lambda r: r["path"] or "-"]),
]


def _args(args: list[str], home: Path, clip_ids: list[str]) -> list[str]:
    needs_home = args[0] in ("list", "search", "speakers", "runs", "jobs", "keys")
    return [a.replace("{clip}", clip_ids[0][:8]) for a in args] + (
        ["--home", str(home)] if needs_home else []
    )


@pytest.mark.parametrize(("command", "key", "whole"), PIPED, ids=[" ".join(p[0]) for p in PIPED])
def test_piped_tables_are_tab_separated_and_whole(
    command: list[str], key: str, whole: list[Whole], home: Path, clip_ids: list[str]
) -> None:
    args = _args(command, home, clip_ids)
    records = json.loads(tolmach(*args, "--json").stdout)[key]
    assert records, f"{command}: nothing to show"
    shown = {}
    for columns in (40, 80):
        proc = tolmach(*args, columns=columns)
        assert proc.returncode == 0, proc.stderr
        shown[columns] = proc.stdout
        lines = proc.stdout.splitlines()
        header = lines[0].split("\t")
        assert len(header) >= 2 and all(h and h == h.strip() for h in header), lines[0]
        assert len(lines) == 1 + len(records)  # one line a row: nothing wrapped onto another
        assert all(len(line.split("\t")) == len(header) for line in lines)
        assert not BOX & set(proc.stdout) and "\x1b" not in proc.stdout
        for record in records:
            for value in (w(record) for w in whole):
                assert any(value in line for line in lines), f"{value!r} not whole in:\n{proc.stdout}"
    assert shown[40] == shown[80]  # COLUMNS changes nothing off a terminal


def test_piped_list_cell_of_a_title_with_tab_and_line_break(home: Path, clip_ids: list[str]) -> None:
    proc = tolmach("list", "--home", home, columns=40)
    header, *rows = [line.split("\t") for line in proc.stdout.splitlines()]
    by_id = {row[0]: dict(zip(header, row, strict=True)) for row in rows}
    assert set(by_id) == {c[:12] for c in clip_ids}
    assert one_line(TITLE) in [row["title"] for row in by_id.values()]
    assert "clip2.mp4" in [row["title"] for row in by_id.values()]  # no title: the file name


def test_piped_show_is_a_record_with_every_value_on_one_line(home: Path, clip_ids: list[str]) -> None:
    """``show`` is no table (a clip's fields, then its lines); piped, no line of it is broken either."""
    proc = tolmach("show", clip_ids[0][:8], "--home", home, columns=40)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert f"    clip  {clip_ids[0]}" in lines
    data = json.loads(tolmach("show", clip_ids[0][:8], "--home", home, "--json").stdout)
    for segment in data["segments"]:
        assert f"    EN: {segment['translation']}" in lines
    assert not BOX & set(proc.stdout) and "\x1b" not in proc.stdout


def test_empty_listings_print_the_header_and_say_why_on_stderr(tmp_path: Path) -> None:
    proc = tolmach("list", "--home", tmp_path)
    header = ["id", "title", "language", "duration", "lines", "doubtful", "runs", "tags", "added"]
    assert (proc.returncode, proc.stdout.splitlines()) == (0, ["\t".join(header)])
    assert "the archive is empty" in proc.stderr
    proc = tolmach("search", "Бахмут", "--home", tmp_path)
    assert proc.returncode == 1 and len(proc.stdout.splitlines()) == 1 and "no matches" in proc.stderr
    proc = tolmach("search", "Бахмут", "--home", tmp_path, "--json")
    assert proc.returncode == 1 and json.loads(proc.stdout) == {"query": "Бахмут", "hits": []}


# -- on a terminal: IDs and hashes never broken --------------------------------------------------------


@pytest.mark.parametrize("columns", [40, 80, 132])
def test_on_a_terminal_ids_are_never_broken(columns: int, home: Path, clip_ids: list[str]) -> None:
    shown = plain(on_terminal("list", "--home", home, columns=columns))
    lines = shown.splitlines()
    for clip_id in clip_ids:
        assert any(clip_id[:12] in line for line in lines), shown
    assert "\t" not in shown
    if columns == 40:  # too narrow for nine columns: a block of "name value" lines per clip
        assert [line for line in lines if line.startswith("id ")] == [f"id        {c[:12]}" for c in clip_ids]
    else:  # a table as wide as the terminal at most, its header on top
        assert lines[0].split()[:2] == ["id", "title"] or lines[1].split()[:2] == ["id", "title"], shown
        assert max(len(line.rstrip()) for line in lines) <= columns, shown


def test_on_a_terminal_a_sha256_is_whole() -> None:
    records = json.loads(tolmach("models", "list", "--json").stdout)["models"]
    shown = plain(on_terminal("models", "list", columns=80))
    for record in records:
        assert any(record["sha256"] in line for line in shown.splitlines()), shown


def test_no_color_is_honoured(home: Path, clip_ids: list[str]) -> None:
    colour = re.compile(r"\x1b\[[0-9;]*(3[0-7]|9[0-7]|38;[0-9;]+)m")
    coloured = on_terminal("show", clip_ids[0][:8], "--home", home, columns=100)
    assert colour.search(coloured), coloured  # the test can fail: colour is there without NO_COLOR
    assert not colour.search(on_terminal("show", clip_ids[0][:8], "--home", home, columns=100, NO_COLOR="1"))


# -- --json: the fields docs/FORMATS.md lists ---------------------------------------------------------


def documented() -> dict[str, tuple[set[str], set[str]]]:
    """FORMATS.md's "Command output as JSON" table: command -> (the document's fields, an item's fields)."""
    text = DOCS.read_text(encoding="utf-8").split("## Command output as JSON", 1)[1]
    table: dict[str, tuple[set[str], set[str]]] = {}
    for line in text.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) != 3 or not cells[0].startswith("`"):
            continue
        command = " ".join(re.findall(r"`([^`]+)`", cells[0]))
        table[command] = tuple(set(re.findall(r"`([a-z_0-9]+)`", cell)) for cell in cells[1:])  # type: ignore[assignment]
    return table


JSON_COMMANDS = [
    (["list"], "list", "clips"),
    (["runs", "list", "{clip}"], "runs list", "runs"),
    (["search", "Бахмут"], "search", "hits"),
    (["speakers", "{clip}"], "speakers", "speakers"),
    (["jobs"], "jobs", "jobs"),
    (["engines"], "engines", "engines"),
    (["models", "list"], "models list", "models"),
    (["voices"], "voices", "voices"),
    (["keys", "list"], "keys list", "keys"),
]


@pytest.mark.parametrize(("command", "name", "key"), JSON_COMMANDS, ids=[c[1] for c in JSON_COMMANDS])
def test_json_holds_the_documented_fields(
    command: list[str], name: str, key: str, home: Path, clip_ids: list[str]
) -> None:
    fields, item = documented()[name]
    proc = tolmach(*_args(command, home, clip_ids), "--json")
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert set(data) == fields
    assert data[key] and all(set(record) == item for record in data[key])


def test_json_of_list_and_search_agrees_with_the_archive(home: Path, clip_ids: list[str]) -> None:
    clips = json.loads(tolmach("list", "--home", home, "--json").stdout)["clips"]
    assert sorted(c["clip_id"] for c in clips) == sorted(clip_ids)
    assert {c["id"] for c in clips} == {c[:12] for c in clip_ids}
    assert TITLE in [c["title"] for c in clips]  # JSON keeps the tab and the line break
    assert all(c["duration_ms"] == 15000 and c["lines"] == 5 and c["tags"] == ["bakhmut"] for c in clips)
    hits = json.loads(tolmach("search", "Бахмут", "--home", home, "--json").stdout)["hits"]
    assert {h["clip_id"] for h in hits} == set(clip_ids)
    assert all(any(m.startswith("Бахмут") for m in h["matched"]) for h in hits)


def test_show_json_holds_the_clip_its_runs_and_the_lines_asked_for(
    home: Path, clip_ids: list[str], tmp_path: Path
) -> None:
    table = documented()
    proc = tolmach("show", clip_ids[0][:8], "--lines", "2", "--home", home, "--json")
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert set(data) == table["show"][0]
    assert set(data["clip"]) == table["show clip"][1] and data["clip"]["clip_id"] == clip_ids[0]
    assert all(set(r) == table["runs list"][1] for r in data["runs"]) and data["runs"][0]["current"]
    assert data["lines"] == 5 and [s["id"] for s in data["segments"]] == [1, 2]
    transcript = make_transcript(make_clip(tmp_path, "x.mp4", b"x"))  # only for a segment's shape
    assert set(data["segments"][0]) == set(segment_to_dict(transcript.segments[0])) - {"words"}


def test_check_prints_json_lines_with_or_without_json(tmp_path: Path) -> None:
    pairs = tmp_path / "pairs.tsv"
    pairs.write_text(
        "source\tenglish\nМы не отказываемся.\tWe refuse.\nЭто дом.\tThis is a house.\n", "utf-8"
    )
    _, item = documented()["check"]
    plain_run, json_run = tolmach("check", pairs), tolmach("check", pairs, "--json")
    assert plain_run.returncode == json_run.returncode == 0
    assert plain_run.stdout == json_run.stdout
    records = [json.loads(line) for line in json_run.stdout.splitlines()]
    assert [r["line"] for r in records] == [1, 2] and all(set(r) == item for r in records)
    assert records[0]["doubtful"] and records[0]["flags"][0]["kind"] == "negation"
    assert "checked 2 lines (ru): 1 doubtful" in json_run.stderr


# -- errors: one line, exit 2 --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "starts"),
    [
        (["translate", "{sample}", "--beam-size", "x"], "error: --beam-size: 'x' is not a whole number"),
        (["translate", "{sample}", "--beam-size=x"], "error: --beam-size: 'x' is not a whole number"),
        (["search", "Бахмут", "--since", "yesterday"], "error: --since 'yesterday' is not a date"),
        (["search", "Бахмут", "--limit", "many"], "error: --limit: 'many' is not a whole number"),
        (["batch", "{sample}", "--timeout", "soon"], "error: --timeout: 'soon' is not a number"),
        (["render", "{sample}", "--burn", "en", "--format", "avi"], "error: --format: 'avi' is not one of"),
        (
            ["translate", "{sample}", "--beam"],
            "error: no such option: --beam (hint: did you mean --beam-size?",
        ),
        (["transl", "{sample}"], "error: no such command 'transl' (hint: did you mean 'translate'"),
        (["translate"], "error: missing argument"),
        (["models", "lst"], "error: no such command 'lst' (hint: did you mean 'list'?"),
    ],
)
def test_a_bad_option_value_is_one_line_and_exit_2(
    args: list[str], starts: str, sample: Path, tmp_path: Path
) -> None:
    proc = tolmach(*(a.replace("{sample}", str(sample)) for a in args), "--home", tmp_path)
    assert proc.returncode == 2
    [line] = proc.stderr.splitlines()
    assert line.startswith(starts), line
    assert "(hint: " in line and line.endswith(")")
    assert proc.stdout == ""
    assert not BOX & set(proc.stderr)


def test_bad_option_value_in_process_too() -> None:
    """CliRunner runs the same group as the real command: the same line, the same code."""
    result = CliRunner().invoke(app, ["translate", "clip.mp4", "--beam-size", "x"])
    assert result.exit_code == 2
    assert result.output.splitlines() == [
        "error: --beam-size: 'x' is not a whole number (hint: see 'tolmach translate --help' for what"
        " --beam-size takes)"
    ]


def test_help_is_still_help() -> None:
    proc = tolmach("translate", "--help")
    assert proc.returncode == 0 and "Usage: tolmach translate" in proc.stdout and "--beam-size" in proc.stdout
    proc = tolmach("--help")
    assert proc.returncode == 0 and "translate" in proc.stdout and proc.stderr == ""


# -- a failed run leaves no folder it made ------------------------------------------------------------


def test_failed_translate_leaves_no_new_folder(sample: Path, tmp_path: Path) -> None:
    broken = tmp_path / "broken.mp4"
    broken.write_bytes(sample.read_bytes()[:5000])  # the moov atom is at the end: unreadable
    proc = tolmach("translate", broken, "-o", tmp_path / "new" / "deeper", "--lang", "ru")
    assert proc.returncode == 2 and "skipped" in proc.stderr
    assert sorted(os.listdir(tmp_path)) == ["broken.mp4"]
    (tmp_path / "mine").mkdir()  # a folder that was there stays, empty as it was
    proc = tolmach("translate", broken, "-o", tmp_path / "mine", "--lang", "ru")
    assert proc.returncode == 2 and (tmp_path / "mine").is_dir() and os.listdir(tmp_path / "mine") == []


def test_failed_publish_leaves_no_new_folder(home: Path, tmp_path: Path) -> None:
    proc = tolmach("publish", "ffff0000", "--thread", "-o", tmp_path / "press", "--home", home)
    assert proc.returncode == 2 and proc.stderr.startswith("error: no clip or run with ID ffff0000")
    assert os.listdir(tmp_path) == []


# -- counts in words: 1 file, 1 problem ---------------------------------------------------------------


def test_counts_agree_with_their_nouns(home: Path, clip_ids: list[str], tmp_path: Path) -> None:
    shutil.copytree(home, tmp_path / "home")
    home = tmp_path / "home"
    short = clip_ids[0][:8]
    said = []
    proc = tolmach("publish", short, "--thread", "-o", tmp_path / "one", "--home", home)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("wrote 1 file:\n")
    said.append(proc.stdout)
    proc = tolmach("publish", short, "--thread", "--manifest", "-o", tmp_path / "signed", "--home", home)
    assert proc.returncode == 0, proc.stderr
    [thread] = (tmp_path / "signed").glob("*.thread.txt")
    thread.write_text(thread.read_text(encoding="utf-8").replace("Bakhmut", "Bahmut"), encoding="utf-8")
    [manifest] = (tmp_path / "signed").glob("*.manifest.json")
    proc = tolmach("verify", manifest, thread, "--home", home)
    assert proc.returncode == 1 and "FAILED: 1 problem\n" in proc.stderr, proc.stderr
    said.append(proc.stderr)
    proc = tolmach("show", short, "--lines", "4", "--home", home)
    assert "... 1 more line (--lines -1 shows all)" in proc.stdout
    said.append(proc.stdout)
    pairs = tmp_path / "one.tsv"
    pairs.write_text("source\tenglish\nЭто дом.\tThis is a house.\n", encoding="utf-8")
    proc = tolmach("check", pairs)
    assert "checked 1 line (ru)" in proc.stderr
    said += [proc.stderr, tolmach("rm", short, "--yes", "--home", home).stdout]
    assert [bad for text in said for bad in agree(text)] == []
    assert agree("wrote 1 files, 2 problem, 3 lines") == ["1 files", "2 problem"]  # the check can fail


@pytest.mark.slow
def test_no_progress_bar_off_a_terminal_even_forced(sample: Path, tmp_path: Path) -> None:
    """A log file gets no bar, nor its blank line, even when FORCE_COLOR makes Rich draw anywhere; and
    "wrote 1 file" for a run that wrote one."""
    args = ["translate", sample, "-o", tmp_path, "--formats", "json", "--no-translate", "--no-archive"]
    proc = tolmach(*args, "--lang", "ru", "--beam-size", "1", "--speakers", "1", FORCE_COLOR="1")
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""  # no bar, no control characters, no empty line left by a transient bar
    assert f"wrote 1 file for {sample}:" in proc.stdout
    header, row = proc.stdout.splitlines()[:2]
    assert header.split("\t") == ["clip", "id", "language", "duration", "lines", "doubtful", "time"]
    assert row.split("\t")[:4] == ["sample-ru.mp4", "-", "ru", "0:32"]  # no archive: no ID
