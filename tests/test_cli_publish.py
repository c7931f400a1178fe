"""``publish``, ``verify`` and ``glossary`` from the command line, over an archive built by hand.

The thread, quote sheet and manifest themselves are tested in test_publish.py and test_manifest.py;
here: the files the commands write, that what ``publish --manifest`` writes verifies, that a changed
cue, a changed manifest and a wrong key are each reported, and the glossary commands.
"""

from __future__ import annotations

import base64
import json
import stat
from pathlib import Path

import pytest
from records import make_clip, make_transcript
from typer.testing import CliRunner

from tolmach.archive import Archive
from tolmach.cli import app
from tolmach.options import Options
from tolmach.pipeline import USER_GLOSSARY, glossary_for
from tolmach.publish import fingerprint, load_or_create_key, public_key_bytes
from tolmach.records import ClipInfo

runner = CliRunner()


def tolmach(*args: str | Path) -> tuple[int, str]:
    result = runner.invoke(app, [str(a) for a in args], env={"COLUMNS": "200"})
    return result.exit_code, result.output


@pytest.fixture
def stored(tmp_path: Path, archive_home: Path) -> tuple[str, Path]:
    """A clip in the test's archive, filed from /home/anna/leaks/clip.mp4: (short ID, original file)."""
    clip = make_clip(tmp_path, "clip.mp4", b"the bytes of a clip")
    info = ClipInfo(source="/home/anna/leaks/clip.mp4", title="Trench at Bakhmut", place="Bakhmut")
    with Archive(archive_home) as archive:
        archive.save(make_transcript(clip), info, {"k": 1})
    return make_transcript(clip).media.sha256[:12], clip


def test_publish_writes_thread_quotes_and_a_manifest_that_verifies(
    stored: tuple[str, Path], tmp_path: Path
) -> None:
    short, clip = stored
    out = tmp_path / "pub"
    code, output = tolmach("publish", short, "--thread", "--quotes", "--manifest", "-o", out)
    assert code == 0, output
    names = sorted(p.name for p in out.iterdir() if not p.name.startswith("."))  # "." the overwrite ledger
    assert names == sorted(
        ["clip.thread.txt", "clip.quotes.md", "clip.quotes.html", "clip.manifest.json", "clip.json"]
        + [f"clip.{lang}.{fmt}" for lang in ("ru", "en") for fmt in ("srt", "vtt")]
    )
    posts = (out / "clip.thread.txt").read_text(encoding="utf-8").split("\n\n")
    assert all(len(p.strip()) <= 280 for p in posts)
    assert [p.split(" ", 1)[0] for p in posts] == [f"{i}/{len(posts)}" for i in range(1, len(posts) + 1)]
    assert "Source: clip.mp4" in posts[-1] and "/home/anna" not in "".join(posts)  # no local folders
    quotes = (out / "clip.quotes.md").read_text(encoding="utf-8")
    assert "DOUBTFUL" in quotes and "mobilised soldier" in quotes  # the doubtful line and its note

    published = [p for p in out.glob("clip.*") if p.name != "clip.manifest.json" and p.suffix != ".html"]
    files = [clip, *published]
    code, output = tolmach("verify", out / "clip.manifest.json", *files)
    assert code == 0, output
    assert "OK" in output and output.count("checked ") == len(files) + 1  # + the signature


def test_verify_names_the_changed_cue_and_a_changed_manifest(
    stored: tuple[str, Path], tmp_path: Path
) -> None:
    short, _ = stored
    out = tmp_path / "pub"
    assert tolmach("publish", short, "--manifest", "-o", out)[0] == 0
    srt = out / "clip.en.srt"
    srt.write_text(srt.read_text(encoding="utf-8").replace("mobiks", "volunteers"), encoding="utf-8")
    code, output = tolmach("verify", out / "clip.manifest.json", srt)
    assert code == 1
    assert "clip.en.srt: cue 3 at 0:06.0: text differs" in output

    manifest = json.loads((out / "clip.manifest.json").read_text(encoding="utf-8"))
    manifest["language"] = "uk"
    (out / "changed.json").write_text(json.dumps(manifest), encoding="utf-8")
    code, output = tolmach("verify", out / "changed.json")
    assert code == 1 and "the manifest was changed after signing" in output


def test_verify_without_a_trusted_signer_names_it_and_fails_until_it_is_trusted(
    stored: tuple[str, Path], tmp_path: Path
) -> None:
    # Another archive, with its own key, publishes the clip; someone then edits a subtitle.
    other = tmp_path / "other-archive"
    _, clip = stored
    with Archive(other) as archive:
        archive.save(make_transcript(clip), ClipInfo(source=str(clip)), {"k": 1})
    out = tmp_path / "pub"
    short = make_transcript(clip).media.sha256[:12]
    assert tolmach("publish", short, "--manifest", "-o", out, "--home", other)[0] == 0
    signer = json.loads((out / "clip.manifest.json").read_text())["signature"]["key_fingerprint"]
    srt = out / "clip.en.srt"
    srt.write_text(srt.read_text(encoding="utf-8").replace("mobiks", "volunteers"), encoding="utf-8")

    code, output = tolmach("verify", out / "clip.manifest.json", srt)
    assert code == 1
    assert f"unknown signer: signed with key {signer}, which is not a trusted key" in output
    assert f"FAILED: unknown signer {signer} (hint: compare it with the fingerprint" in output
    assert f"'tolmach keys trust {signer}'" in output
    assert "checked" not in output and "OK" not in output
    code, output = tolmach("verify", out / "clip.manifest.json", out / "clip.ru.srt")
    assert code == 1 and "unknown signer" in output  # even when every file matches

    code, output = tolmach("keys", "trust", signer, "--name", "Other desk")
    assert (code, output.strip()) == (0, f"key {signer} (Other desk): now trusted")
    code, output = tolmach("verify", out / "clip.manifest.json", srt)
    assert code == 1 and "unknown signer" not in output
    assert "clip.en.srt: cue 3 at 0:06.0: text differs" in output
    assert f"checked signature by key {signer}" in output
    code, output = tolmach("verify", out / "clip.manifest.json", out / "clip.ru.srt")
    assert code == 0 and f"OK: signed by trusted key {signer}" in output

    # --key names the one signer to accept, whatever else is trusted
    mine = fingerprint(public_key_bytes(load_or_create_key(tmp_path / "mine.pem")))
    code, output = tolmach("verify", out / "clip.manifest.json", "--key", mine)
    assert (
        code == 1 and f"FAILED: unknown signer {signer} (hint: the key given with --key is {mine})" in output
    )
    assert tolmach("keys", "untrust", signer)[0] == 0
    assert tolmach("verify", out / "clip.manifest.json")[0] == 1


def test_a_malformed_key_is_a_one_line_error(stored: tuple[str, Path], tmp_path: Path) -> None:
    short, _ = stored
    assert tolmach("publish", short, "--manifest", "-o", tmp_path)[0] == 0
    for bad in ("nope", "A" * 30, str(tmp_path / "clip.en.srt")):
        code, output = tolmach("verify", tmp_path / "clip.manifest.json", "--key", bad)
        assert code == 2, output
        assert output.startswith("error: --key ") and len(output.strip().splitlines()) == 1, output
    code, output = tolmach("keys", "trust", "nope")
    assert code == 2 and "is not a public key, a fingerprint or a key file" in output


def test_keys_list_shows_the_archives_own_key_and_the_trusted_ones(
    stored: tuple[str, Path], tmp_path: Path, archive_home: Path
) -> None:
    short, _ = stored
    code, output = tolmach("keys", "list")
    assert code == 0 and "no trusted keys yet" in output
    assert tolmach("publish", short, "--manifest", "-o", tmp_path)[0] == 0
    own = public_key_bytes(load_or_create_key(archive_home / "keys" / "manifest-ed25519.pem"))
    other = fingerprint(public_key_bytes(load_or_create_key(tmp_path / "other.pem")))
    assert tolmach("keys", "trust", other)[0] == 0
    code, output = tolmach("keys", "trust", other, "--name", "again")
    assert (code, output.strip()) == (0, f"key {other}: already trusted; left as it was")
    code, output = tolmach("keys", "list")
    assert code == 0
    assert fingerprint(own) in output and base64.b64encode(own).decode() in output and "(own key)" in output
    assert other in output and "(fingerprint only)" in output


def test_the_signing_key_is_made_once_and_private(
    stored: tuple[str, Path], tmp_path: Path, archive_home: Path
) -> None:
    short, _ = stored
    code, output = tolmach("publish", short, "--manifest", "-o", tmp_path / "a")
    assert code == 0 and "signed with key " in output
    public = output.strip().splitlines()[-1].strip()  # printed for the user to hand out
    code, output = tolmach("verify", tmp_path / "a" / "clip.manifest.json", "--key", public)
    assert code == 0, output
    key = archive_home / "keys" / "manifest-ed25519.pem"
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    first = key.read_bytes()
    assert tolmach("publish", short, "--manifest", "-o", tmp_path / "b")[0] == 0
    assert key.read_bytes() == first
    signatures = [
        json.loads((tmp_path / d / "clip.manifest.json").read_text())["signature"]["public_key"] for d in "ab"
    ]
    assert signatures[0] == signatures[1]


def test_publish_refuses_nothing_to_do_and_bad_ids(stored: tuple[str, Path], tmp_path: Path) -> None:
    short, _ = stored
    code, output = tolmach("publish", short, "-o", tmp_path)
    assert code == 2 and "nothing to publish" in output
    code, output = tolmach("publish", short, "--quotes", "--ids", "3,x", "-o", tmp_path)
    assert code == 2 and "not a list of line numbers" in output
    code, output = tolmach("publish", "ffffffffffff", "--thread", "-o", tmp_path)
    assert code == 2 and "no clip or run with ID ffffffffffff" in output
    assert list(tmp_path.glob("*.txt")) == []


def test_verify_reports_a_manifest_that_is_not_one(tmp_path: Path) -> None:
    bad = tmp_path / "bad.manifest.json"
    bad.write_text("{not json", encoding="utf-8")
    code, output = tolmach("verify", bad)
    assert code == 2 and "bad.manifest.json" in output and len(output.strip().splitlines()) == 1


def test_glossary_add_list_import_and_use(tmp_path: Path, archive_home: Path) -> None:
    code, output = tolmach(
        "glossary",
        "add",
        "накат|накаты",
        "nakat",
        "wave of infantry assaults",
        "--lang",
        "ru",
        "--note",
        "slang",
    )
    assert code == 0, output
    assert (archive_home / USER_GLOSSARY).is_file()
    code, output = tolmach("glossary", "list", "--search", "nakat")
    assert code == 0 and "wave of infantry assaults" in output
    code, output = tolmach("glossary", "list", "--search", "cargo 200")
    assert "killed" in output  # the built-in entries are listed too

    toml = tmp_path / "house.toml"
    toml.write_text('[[term]]\nterm = ["коробочка"]\nenglish = "box"\ngloss = "armoured vehicle"\n', "utf-8")
    code, output = tolmach("glossary", "import", toml)
    assert code == 0 and "imported 1 term into" in output
    glossary = glossary_for(Options(), archive_home)
    assert glossary is not None
    assert glossary.find("накат") is not None and glossary.find("коробочка") is not None

    bad = tmp_path / "bad.tsv"
    bad.write_text("term\tlang\nмобик\n", encoding="utf-8")
    code, output = tolmach("glossary", "import", bad)
    assert code == 2 and "bad.tsv" in output
    assert glossary_for(Options(), archive_home) == glossary  # nothing was added


def test_no_glossary_option_turns_it_off(archive_home: Path) -> None:
    assert glossary_for(Options(glossary=False), archive_home) is None
