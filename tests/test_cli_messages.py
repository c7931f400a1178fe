"""Messages that point the right way (issue: the CLI as a good citizen), on a real archive with a
hand-built clip: each refusal is one line with a hint and exit code 2, each accepted spelling works."""

from __future__ import annotations

from pathlib import Path

import pytest
from records import make_clip, make_transcript
from typer.testing import CliRunner

from tolmach.archive import Archive
from tolmach.cli import app
from tolmach.errors import OptionsError
from tolmach.options import Options
from tolmach.records import ClipInfo


@pytest.fixture
def home(tmp_path: Path) -> Path:
    home = tmp_path / "home"
    with Archive(home) as archive:
        archive.save(
            make_transcript(make_clip(tmp_path, "c.mp4", b"clip")),
            ClipInfo(source="x", tags=("bakhmut",)),
            {},
        )
    return home


def run(home: Path, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, [*args, "--home", str(home)], env={"COLUMNS": "200"})
    return result.exit_code, result.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("search", "x", "--since", "2023-13"), "error: --since '2023-13' is not a date (hint: use YYYY"),
        (("search", "x", "--until", "2023-02-30"), "error: --until '2023-02-30' is not a date"),
        (("search", "x", "--lang", "xx"), "error: unknown language code 'xx' (hint: use an ISO 639-1 code"),
        (("tag", "0", ""), "error: a tag cannot be empty (hint: give a word"),
        (("tag", "0", "--remove", " "), "error: a tag cannot be empty"),
    ],
)
def test_a_bad_value_is_refused_in_one_line(home: Path, args: tuple[str, ...], message: str) -> None:
    code, output = run(home, *args)
    assert code == 2 and output.startswith(message) and output.count("\n") == 1, output


def test_a_language_by_name_or_in_capitals(home: Path) -> None:
    assert run(home, "search", "Бахмут", "--lang", "Russian")[0] == 0
    assert run(home, "search", "Бахмут", "--lang", "RU")[0] == 0
    assert run(home, "search", "Бахмут", "--lang", "uk")[0] == 1  # no Ukrainian clip: no matches
    assert Options(lang="RU").validate().lang == "ru" and Options(lang=" ukrainian ").validate().lang == "uk"
    with pytest.raises(OptionsError, match="unknown language 'klingon'"):
        Options(lang="klingon").validate()


def test_list_by_a_tag_no_clip_has_says_so(home: Path) -> None:
    code, output = run(home, "list", "--tag", "nonexist")
    assert (
        code == 0
        and "no clip has the tag 'nonexist': 'tolmach list' shows every clip with its tags" in output
    )
    assert output.count("\n") == 2  # the header, then the message
    assert run(home, "list", "--tag", "bakhmut")[1].count("\n") == 2  # the header, then the clip


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ("translate", "x.mp4", "--threads", "-1"),
            "error: --threads cannot be negative (-1) (hint: --threads 0",
        ),
        (
            ("translate", "x.mp4", "--beam-size", "0"),
            "error: --beam-size must be at least 1, not 0 (hint: e.g.",
        ),
        (
            ("translate", "x.mp4", "--formats", ""),
            "error: no output format given (hint: e.g. --formats srt,vtt",
        ),
        (
            ("serve", "--port", "99999"),
            "error: port 99999 is outside 0-65535 (hint: e.g. tolmach serve --port",
        ),
        (
            ("batch", "x.mp4", "--workers", "0"),
            "error: --workers must be at least 1, not 0 (hint: --workers 1",
        ),
    ],
)
def test_a_hint_names_the_right_flag(home: Path, tmp_path: Path, args: tuple[str, ...], message: str) -> None:
    (tmp_path / "x.mp4").write_bytes(b"")
    code, output = run(home, *(str(tmp_path / a) if a == "x.mp4" else a for a in args))
    assert code != 0 and message in output, output


def test_shell_completion_completes_commands() -> None:
    """What bash's completion script asks for (tolmach --show-completion bash), and what it gets."""
    import os
    import subprocess
    import sys

    tolmach = Path(sys.executable).with_name("tolmach")
    env = {**os.environ, "COMP_WORDS": "tolmach tra", "COMP_CWORD": "1", "_TOLMACH_COMPLETE": "complete_bash"}
    done = subprocess.run([str(tolmach)], env=env, capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0 and done.stdout.split() == ["translate", "translate-text"], done.stderr
    script = CliRunner().invoke(app, ["--show-completion", "bash"])
    assert script.exit_code == 0 and "_TOLMACH_COMPLETE=complete_bash" in script.output


def test_serve_on_a_busy_port_says_so_before_serving(home: Path) -> None:
    import socket

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        code, output = run(home, "serve", "--port", str(port))
    assert code == 2 and "serving" not in output, output
    assert output.startswith(f"error: cannot serve on 127.0.0.1:{port}: ") and f"--port {port + 1}" in output


def test_ctrl_c_says_what_was_kept_and_how_to_go_on(
    home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ctrl+C while a clip is decoded (KeyboardInterrupt where the decoding runs): one line, exit 130,
    and no new empty output folder. A real SIGINT to a real process gives the same line."""
    import tolmach.cli

    def interrupted(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(tolmach.cli, "translate_to_files", interrupted)
    clip = tmp_path / "clip.mp4"
    clip.write_bytes(b"x")
    code, output = run(home, "translate", str(clip), "-o", str(tmp_path / "new"))
    assert code == 130 and not (tmp_path / "new").exists(), output
    assert output.startswith(
        f"error: interrupted while translating {clip}: nothing of it was written (hint: run"
    )
    assert "(a clip already in the archive is not decoded again)" in output


def test_glossary_add_help_is_whole_and_rm_takes_a_term_out(home: Path) -> None:
    result = CliRunner().invoke(app, ["glossary", "add", "--help"], env={"COLUMNS": "200"})
    assert "The short explanation that goes in [brackets]." in result.output
    assert (
        run(home, "glossary", "add", "накат|накатом", "nakat", "wave of infantry assaults", "--lang", "ru")[0]
        == 0
    )
    code, output = run(home, "glossary", "rm", "накатом")
    assert code == 0 and output.startswith("removed 'накат | накатом' from ") and "glossary.tsv" in output
    assert "накатом" not in (home / "glossary.tsv").read_text(encoding="utf-8")
    code, output = run(home, "glossary", "rm", "накатом")
    assert code == 2 and output.startswith(
        "error: your glossary has no term 'накатом' (hint: see 'tolmach glossary"
    )


def test_narrate_warns_when_an_english_voice_would_read_cyrillic(tmp_path: Path) -> None:
    from tolmach.document import read_document
    from tolmach.voice.narrate import language_warning

    russian, english = tmp_path / "post.txt", tmp_path / "notes.txt"
    russian.write_text("Мы стояли под Бахмутом три недели (3 weeks).\n", encoding="utf-8")
    english.write_text("We stood near Bakhmut (Бахмут) for three weeks.\n", encoding="utf-8")
    warning = language_warning(read_document(russian), "en_US", "joe")
    assert warning is not None and warning.startswith("post.txt is written mostly in Cyrillic (")
    assert (
        "the voice joe speaks English" in warning and "tolmach translate-text post.txt --from ru" in warning
    )
    assert language_warning(read_document(english), "en_US", "joe") is None
    assert language_warning(read_document(russian), "ru_RU", "irina") is None
