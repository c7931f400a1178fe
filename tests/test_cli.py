"""The command line, end to end: real processes for exit codes, CliRunner (model kept loaded) for the rest.

Covers ``translate`` (outputs beside the clip, ``-o``, ``--lang``, ``--model``, ``--formats``, several
inputs with "skipped X: reason", the summary), ``models list|verify|path|pull``, ``languages``,
``--version`` and the examples in every ``--help``. Bad input has its own file, test_bad_input.py.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pysubs2
import pytest
from rich.console import Console
from typer.testing import CliRunner

import tolmach
from tolmach import cli
from tolmach.asr.languages import LANGUAGES
from tolmach.asr.models import BASE_SHA256, resolve_model
from tolmach.cli import app
from tolmach.errors import InputError, ModelError, OptionsError
from tolmach.media.ledger import LEDGER
from tolmach.subtitles.formats import LABEL_TRANSCRIPT, LABEL_TRANSLATION

pytestmark = pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="needs ffmpeg")

runner = CliRunner()
DEFAULT_OUTPUTS = {"clip.ru.srt", "clip.en.srt", "clip.ru.vtt", "clip.en.vtt", "clip.json", "clip.txt"}
SAMPLE_MS = 32500  # tests/data/README.md


def tolmach_env(**changes: str | None) -> dict[str, str]:
    """The suite's environment (its fresh TOLMACH_CACHE) for a child process; never online."""
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "COLUMNS": "200"}
    for name, value in changes.items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    return env


def run_tolmach(
    *args: str | Path, cwd: Path | None = None, **env: str | None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tolmach", *(str(a) for a in args)],
        capture_output=True,
        text=True,
        env=tolmach_env(**env),
        cwd=cwd,
        timeout=300,
    )


def lines_of(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.strip()]


def summary_row(stdout: str, clip: str) -> list[str]:
    """The cells of the clip's first row in the summary (tab-separated: the output is not a terminal)."""
    for line in stdout.splitlines():
        cells = line.split("\t")
        if cells and cells[0] == clip:
            return cells
    raise AssertionError(f"no summary row for {clip} in:\n{stdout}")


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def events(path: Path) -> list[str]:
    return [e.plaintext for e in pysubs2.load(str(path)) if not e.is_comment]


# -- translate with the defaults, in a real process ----------------------------------------------------


@dataclass(frozen=True)
class Run:
    code: int
    stdout: str
    stderr: str
    folder: Path  # where the outputs are
    data: dict[str, Any]  # clip.json


@pytest.fixture(scope="module")
def default_run(sample: Path, tmp_path_factory: pytest.TempPathFactory) -> Run:
    """``tolmach translate /abs/clip.mp4`` from another working directory: outputs go beside the clip."""
    folder = tmp_path_factory.mktemp("beside")
    cwd = tmp_path_factory.mktemp("cwd")
    shutil.copyfile(sample, folder / "clip.mp4")
    proc = run_tolmach("translate", folder / "clip.mp4", cwd=cwd)
    assert proc.returncode == 0, proc.stderr
    assert os.listdir(cwd) == []
    data = json.loads((folder / "clip.json").read_text(encoding="utf-8"))
    return Run(proc.returncode, proc.stdout, proc.stderr, folder, data)


def test_default_run_writes_exactly_the_default_files_beside_the_clip(default_run: Run) -> None:
    assert default_run.code == 0
    # exact: no hidden temp files, no extra formats
    assert set(os.listdir(default_run.folder)) == DEFAULT_OUTPUTS | {"clip.mp4", LEDGER}
    for name in DEFAULT_OUTPUTS:
        assert (default_run.folder / name).stat().st_size > 0, name
    assert "skipped" not in default_run.stderr
    assert "error" not in default_run.stderr


def test_default_run_json_describes_clip_model_and_lines(default_run: Run) -> None:
    data = default_run.data
    assert data["schema"] == "tolmach.transcript/1"
    assert data["tool_version"] == tolmach.__version__
    assert data["media"]["sha256"] == sha256(default_run.folder / "clip.mp4")
    assert data["media"]["duration_ms"] == SAMPLE_MS
    # the folder's name only: outputs never carry local folders (test_privacy.py)
    assert data["model"] == {
        "name": "base",
        "path": Path(resolve_model("base").path).name,
        "sha256": BASE_SHA256,
    }
    assert data["language"]["code"] == "ru"
    assert data["language"]["forced"] is False
    assert data["options"]["formats"] == ["srt", "vtt", "json", "txt"]
    segments = data["segments"]
    assert 3 <= len(segments) <= 12
    assert [s["id"] for s in segments] == list(range(1, len(segments) + 1))
    for before, after in itertools.pairwise(segments):
        assert before["start"] <= after["start"]
    for s in segments:
        assert 0 <= s["start"] < s["end"] <= SAMPLE_MS
        assert re.search("[а-яё]", s["text"], re.IGNORECASE), s
        assert re.search("[a-z]", s["translation"], re.IGNORECASE), s


def test_default_run_subtitles_carry_text_translation_and_labels(default_run: Run) -> None:
    folder = default_run.folder
    ru, en = events(folder / "clip.ru.srt"), events(folder / "clip.en.srt")
    assert LABEL_TRANSCRIPT in ru[0]
    assert LABEL_TRANSLATION in en[0]
    assert "газет" in " ".join(ru)  # "Корреспондент американской газеты ..."
    assert "newspaper" in " ".join(en).lower()
    for name in ("clip.ru.vtt", "clip.en.vtt"):
        assert (folder / name).read_text(encoding="utf-8").startswith("WEBVTT\n")
    assert events(folder / "clip.ru.vtt") == ru
    assert events(folder / "clip.en.vtt") == en
    text = (folder / "clip.txt").read_text(encoding="utf-8")
    assert default_run.data["media"]["sha256"] in text
    assert text.count("EN: ") == len(default_run.data["segments"])


def test_default_run_summary_reports_language_duration_lines_doubtful_time_files(default_run: Run) -> None:
    stdout = default_run.stdout
    for column in ("language", "duration", "lines", "doubtful", "time"):
        assert column in stdout
    _, short_id, language, duration, count, doubtful, taken = summary_row(stdout, "clip.mp4")
    segments = default_run.data["segments"]
    assert short_id == default_run.data["media"]["sha256"][:12]  # the clip's archive ID
    assert re.fullmatch(r"ru \(\d+%\)", language)
    assert duration == "0:32"
    assert count == str(len(segments))
    assert doubtful == str(sum(s["doubtful"] for s in segments))
    assert re.fullmatch(r"\d+\.\d s", taken)
    assert f"wrote {len(DEFAULT_OUTPUTS)} files for " in stdout
    listed = [line.strip() for line in stdout.splitlines() if line.startswith("  ")]
    assert listed[0] == str(default_run.folder / "clip.ru.srt")
    assert sorted(listed) == sorted(str(default_run.folder / name) for name in DEFAULT_OUTPUTS)


# -- translate with options and several inputs, in process ---------------------------------------------


@pytest.fixture(scope="module")
def options_run(sample: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Run, Path, Path]:
    """Three inputs, the first two bad; ``-o`` a folder that does not exist yet; every option given."""
    source = tmp_path_factory.mktemp("sources")
    shutil.copyfile(sample, source / "clip.mp4")
    (source / "notes.mp4").write_text("not a video\n", encoding="utf-8")
    out = tmp_path_factory.mktemp("dest") / "out" / "today"
    model = resolve_model("base").path  # a model given as a folder
    args = ["translate", str(source / "missing.mp4"), str(source / "notes.mp4"), str(source / "clip.mp4")]
    args += ["-o", str(out), "--lang", "ru", "--model", model, "--formats", "srt,vtt,ass,json"]
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(cli, "out", Console(width=200))  # a wide terminal: summary cells unwrapped
        result = runner.invoke(app, args)
    data = (
        json.loads((out / "clip.json").read_text(encoding="utf-8")) if (out / "clip.json").is_file() else {}
    )
    return Run(result.exit_code, result.stdout, result.stderr, out, data), source, Path(model)


def test_several_inputs_report_skipped_ones_and_go_on(options_run: tuple[Run, Path, Path]) -> None:
    run, source, _ = options_run
    assert run.code == InputError.exit_code  # non-zero because some inputs failed
    skipped = [line for line in lines_of(run.stderr) if line.startswith("skipped")]
    assert len(skipped) == 2
    assert skipped[0].startswith(f"skipped {source / 'missing.mp4'}: ")
    assert "no such file" in skipped[0]
    assert skipped[1].startswith(f"skipped {source / 'notes.mp4'}: ")
    assert "not an audio or video file" in skipped[1]
    assert "(hint: " in skipped[0] and "(hint: " in skipped[1]
    assert summary_row(run.stdout, "clip.mp4")  # the good clip went on and is summed up
    assert "missing.mp4" not in run.stdout
    assert set(os.listdir(source)) == {"clip.mp4", "notes.mp4"}  # -o: nothing beside the sources


def test_output_folder_formats_lang_and_model_are_honoured(options_run: tuple[Run, Path, Path]) -> None:
    run, _, model = options_run
    wanted = {"clip.ru.srt", "clip.en.srt", "clip.ru.vtt", "clip.en.vtt", "clip.ass", "clip.json"}
    assert set(os.listdir(run.folder)) == wanted | {LEDGER}  # created, no txt, no temp files
    assert run.data["options"]["formats"] == ["srt", "vtt", "ass", "json"]
    language = run.data["language"]
    assert (language["code"], language["probability"], language["forced"], language["mismatch"]) == (
        "ru",
        1.0,
        True,
        False,
    )
    assert language["detected"]["code"] == "ru"  # a forced language is checked against the speech
    assert summary_row(run.stdout, "clip.mp4")[2] == "ru"
    assert run.data["model"] == {"name": model.name, "path": Path(model).name, "sha256": BASE_SHA256}
    ass = pysubs2.load(str(run.folder / "clip.ass"))
    texts = " ".join(e.plaintext for e in ass if not e.is_comment)
    assert "газет" in texts
    assert "newspaper" in texts.lower()


def test_real_process_exit_code_and_one_line_for_a_missing_clip(tmp_path: Path) -> None:
    gone = tmp_path / "gone.mp4"
    proc = run_tolmach("translate", gone)

    assert proc.returncode == InputError.exit_code == 2
    [line] = lines_of(proc.stderr)
    assert line.startswith(f"skipped {gone}: ")
    assert line.endswith(f"{gone}: no such file (hint: check the path and its spelling)")
    assert proc.stdout == ""
    assert os.listdir(tmp_path) == []


def test_real_process_exit_code_for_a_bad_option(sample: Path, tmp_path: Path) -> None:
    proc = run_tolmach("translate", sample, "--lang", "xx", "-o", tmp_path)

    assert proc.returncode == OptionsError.exit_code
    [line] = lines_of(proc.stderr)
    assert line.startswith("error: unknown language code 'xx'")
    assert os.listdir(tmp_path) == []


# -- models, languages, version, help --------------------------------------------------------------------


def test_models_list_shows_the_shipped_base() -> None:
    result = runner.invoke(app, ["models", "list"])

    assert result.exit_code == 0, result.stderr
    [row] = [line for line in result.stdout.splitlines() if line.startswith("base\t")]
    cells = row.split("\t")
    assert cells[:4] == ["base", "yes", "package", "145 MB"]
    for column in ("name", "installed", "source", "size", "sha256", "path"):
        assert column in result.stdout


def test_models_verify_base() -> None:
    result = runner.invoke(app, ["models", "verify", "base"])

    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith("base: ok, sha256 ")
    assert BASE_SHA256 in "".join(result.stdout.split())


def test_models_verify_prints_one_greppable_line() -> None:
    proc = run_tolmach("models", "verify", "base", COLUMNS=None)

    assert proc.returncode == 0, proc.stderr
    [line] = lines_of(proc.stdout)
    assert f"sha256 {BASE_SHA256}" in line


def test_models_verify_incomplete_folder(tmp_path: Path) -> None:
    (tmp_path / "config.json").write_text("{}", encoding="utf-8")

    result = runner.invoke(app, ["models", "verify", str(tmp_path)])

    assert result.exit_code == ModelError.exit_code == 4
    [line] = lines_of(result.stderr)
    assert f"{tmp_path}: incomplete model folder, missing model.bin" in line


def test_models_path_base_is_a_complete_model_folder() -> None:
    result = runner.invoke(app, ["models", "path", "base"])

    assert result.exit_code == 0, result.stderr
    folder = Path(result.stdout.strip())
    assert folder == Path(resolve_model("base").path)
    assert {"model.bin", "config.json"} <= set(os.listdir(folder))


def test_models_path_of_a_model_never_pulled() -> None:
    result = runner.invoke(app, ["models", "path", "small"])

    assert result.exit_code == ModelError.exit_code
    [line] = lines_of(result.stderr)
    assert "model 'small' is not installed" in line
    assert result.stdout == ""


def test_models_pull_offline_is_a_clear_error_and_leaves_nothing(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    # HF_HUB_OFFLINE stops the hub client; the dead proxy stops anything that would still try.
    proc = run_tolmach(
        "models", "pull", "small", TOLMACH_CACHE=str(cache), HTTPS_PROXY="http://127.0.0.1:9",
        HTTP_PROXY="http://127.0.0.1:9",
    )  # fmt: skip

    assert proc.returncode == ModelError.exit_code
    [line] = lines_of(proc.stderr)
    assert line.startswith("error: could not fetch model 'small': no network connection")
    assert "(hint: " in line
    assert proc.stdout == ""
    models = cache / "models"
    left = os.listdir(models) if models.is_dir() else []
    assert [n for n in left if n == "small" or ".tmp-" in n] == []


def test_languages_lists_every_code_lang_accepts() -> None:
    result = runner.invoke(app, ["languages"])

    assert result.exit_code == 0
    rows = [line.split(maxsplit=1) for line in lines_of(result.stdout)]
    assert ["ru", "Russian"] in rows
    assert ["uk", "Ukrainian"] in rows
    assert {code for code, _ in rows} == set(LANGUAGES)


def test_languages_output_is_tab_separated() -> None:
    proc = run_tolmach("languages")

    assert proc.returncode == 0
    assert "ru\tRussian" in proc.stdout.splitlines()


def test_version() -> None:
    proc = run_tolmach("--version")

    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == f"tolmach {tolmach.__version__}"


@pytest.mark.parametrize(
    "command",
    [
        "translate",
        "languages",
        "models verify",
        "models path",
        "models pull",
        "models list",
        "models",
        "",
    ],
)
def test_help_has_an_example(command: str) -> None:
    result = runner.invoke(app, [*command.split(), "--help"])

    assert result.exit_code == 0
    assert "Example" in result.stdout
    assert re.search(rf"^\s*tolmach {command}\b.*$", result.stdout, re.MULTILINE)
