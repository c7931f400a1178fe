"""The provenance manifest: exact structure, real Ed25519 keys, what verification reports, and the keys
the user trusts."""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import json
import os
import stat
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from tolmach.errors import InputError, OptionsError
from tolmach.publish import (
    SCHEMA,
    SIGNATURE_CHANGED,
    build_manifest,
    canonical_bytes,
    fingerprint,
    line_sha256,
    load_or_create_key,
    manifest_to_json,
    parse_key,
    public_key_bytes,
    sign_manifest,
    trust,
    trusted_keys,
    untrust,
    verify_manifest,
)
from tolmach.records import ClipInfo, Edit, Flag, MediaInfo, ModelInfo, Segment, Stream, Transcript
from tolmach.subtitles import LABEL_TRANSLATION, render
from tolmach.subtitles.formats.base import UNTRANSLATED

SOURCE_BYTES = b"\x00\x00\x00\x18ftypmp42 not really a video, but hashed like one\n" * 64
SOURCE_SHA = hashlib.sha256(SOURCE_BYTES).hexdigest()
SEGMENTS = (
    Segment(1, 1000, 4000, " Мы вышли из Бахмута утром.", "We left Bakhmut in the morning.", speaker="S1"),
    Segment(
        2,
        4500,
        9000,
        " Связи не было три дня, потому что всё разбили.",
        "There was no contact for three days, because everything was smashed.",
        speaker="S1",
    ),
    Segment(
        3,
        9500,
        11000,
        " Позывной «Гром».",
        "Call sign Grom.",
        doubtful=True,
        flags=(Flag("low-confidence", "unsure"),),
        speaker="S2",
    ),
    Segment(4, 27500, 30000, " Да.", "", speaker="S1"),
)
TRANSCRIPT = Transcript(
    media=MediaInfo(
        "/home/analyst/cases/retreat.mp4",
        SOURCE_SHA,
        len(SOURCE_BYTES),
        31_000,
        "mov,mp4,m4a,3gp,3g2,mj2",
        (
            Stream(0, "video", "h264", width=1280, height=720, fps=25.0),
            Stream(1, "audio", "aac", "rus", 1, 48000),
        ),
    ),
    language="ru",
    language_probability=0.96875,
    language_forced=False,
    model=ModelInfo("base", "/home/analyst/.cache/tolmach/models/base", "cd" * 32),
    segments=SEGMENTS,
    options={"model": "base", "formats": ("srt", "vtt"), "fps": 25.0, "glossary_file": "/home/analyst/g.tsv"},
    tool_version="0.1.0",
)
CLIP = ClipInfo(
    source="https://t.me/example/123",
    added="2024-05-01T10:00:00Z",
    title="Soldiers describe the retreat",
    place="Bakhmut",
    filmed="May 2023",
    tags=("bakhmut",),
)
EDITS = (Edit(3, "translation", "Call sign Thunder.", "Call sign Grom.", "olena", "2024-05-02T09:30:00Z"),)


def outputs() -> dict[str, bytes]:
    files = {f"retreat.{suffix}": text.encode() for suffix, text in render("srt", TRANSCRIPT).items()}
    files["retreat.en.vtt"] = render("vtt", TRANSCRIPT)["en.vtt"].encode()
    files["retreat.txt"] = b"thread text\n"
    return files


@pytest.fixture
def published(tmp_path: Path) -> dict[str, Path]:
    """A folder as `tolmach publish` would leave it: the source, the outputs and the signed manifest."""
    files = {"retreat.mp4": SOURCE_BYTES, **outputs()}
    paths = {}
    for name, data in files.items():
        paths[name] = tmp_path / name
        paths[name].write_bytes(data)
    key = load_or_create_key(tmp_path / "keys" / "signing.pem")
    manifest = sign_manifest(build_manifest(TRANSCRIPT, CLIP, outputs(), EDITS), key)
    paths["manifest.json"] = tmp_path / "manifest.json"
    paths["manifest.json"].write_text(manifest_to_json(manifest), encoding="utf-8")
    return paths


def signer_of(paths: dict[str, Path]) -> str:
    """The fingerprint of the key the ``published`` fixture signed with, from the key itself."""
    return fingerprint(
        public_key_bytes(load_or_create_key(paths["manifest.json"].parent / "keys" / "signing.pem"))
    )


def report_of(paths: dict[str, Path], *names: str, trusted: tuple[str, ...] | None = None) -> tuple[str, ...]:
    """The problems verification finds, trusting the fixture's key unless told otherwise."""
    keys = (signer_of(paths),) if trusted is None else trusted
    report = verify_manifest(paths["manifest.json"], [paths[n] for n in names], trusted=keys)
    assert report.ok is not report.problems
    return report.problems


def test_line_hash_is_sha256_of_the_canonical_line() -> None:
    assert (
        line_sha256(" Мы  вышли\nиз Бахмута ") == hashlib.sha256("Мы вышли из Бахмута".encode()).hexdigest()
    )
    assert line_sha256("Связи нет.") == "399d8c7c550a188b2092c7c58694aa3dfb58bec1ea6c4e5da07cab081a04c47a"
    assert line_sha256("й") == line_sha256("и\u0306")  # NFC: composed and decomposed letters agree


def test_manifest_exact_structure() -> None:
    files = outputs()
    manifest = build_manifest(TRANSCRIPT, CLIP, files, EDITS)
    assert sorted(manifest) == [
        "clip", "edits", "label", "language", "language_forced", "language_probability", "model",
        "options", "outputs", "reviewer", "schema", "segments", "source", "tool_version",
    ]  # fmt: skip
    assert manifest["schema"] == SCHEMA == "tolmach.manifest/1"
    assert manifest["source"] == {
        "name": "retreat.mp4",  # no folder: it would name the analyst's machine
        "sha256": SOURCE_SHA,
        "size": 3392,
        "duration_ms": 31_000,
        "container": "mov,mp4,m4a,3gp,3g2,mj2",
        "streams": [
            {"index": 0, "kind": "video", "codec": "h264", "language": None, "channels": None,
             "sample_rate": None, "width": 1280, "height": 720, "fps": 25.0},
            {"index": 1, "kind": "audio", "codec": "aac", "language": "rus", "channels": 1,
             "sample_rate": 48000, "width": None, "height": None, "fps": None},
        ],
    }  # fmt: skip
    assert manifest["clip"] == {
        "source": "https://t.me/example/123",
        "added": "2024-05-01T10:00:00Z",
        "title": "Soldiers describe the retreat",
        "place": "Bakhmut",
        "filmed": "May 2023",
        "tags": ["bakhmut"],  # no "notes": the clip's notes are private unless asked for
    }
    assert manifest["model"] == {"name": "base", "sha256": "cd" * 32}
    assert manifest["options"] == {
        "model": "base",
        "formats": ["srt", "vtt"],
        "fps": 25.0,
        "glossary_file": "g.tsv",
    }
    assert (manifest["language"], manifest["language_probability"], manifest["language_forced"]) == (
        "ru",
        0.96875,
        False,
    )
    assert (manifest["tool_version"], manifest["label"], manifest["reviewer"]) == (
        "0.1.0",
        LABEL_TRANSLATION,
        None,
    )
    assert manifest["segments"][2] == {
        "id": 3,
        "start": 9500,
        "end": 11000,
        "speaker": "S2",
        "text_sha256": line_sha256("Позывной «Гром»."),
        "translation_sha256": line_sha256("Call sign Grom."),
        "doubtful": True,
        "flags": ["low-confidence"],
    }
    assert manifest["segments"][3]["translation_sha256"] == hashlib.sha256(b"").hexdigest()
    assert manifest["edits"] == [
        {"segment_id": 3, "field": "translation", "before": "Call sign Thunder.", "after": "Call sign Grom.",
         "author": "olena", "at": "2024-05-02T09:30:00Z"},
    ]  # fmt: skip
    names = [o["name"] for o in manifest["outputs"]]
    assert names == ["retreat.en.srt", "retreat.en.vtt", "retreat.ru.srt", "retreat.txt"]
    txt = manifest["outputs"][3]
    assert txt == {"name": "retreat.txt", "size": 12, "sha256": hashlib.sha256(b"thread text\n").hexdigest()}
    en_srt = manifest["outputs"][0]
    assert en_srt["size"] == len(files["retreat.en.srt"])
    # Cue text as pysubs2 reads it: \\N between the lines of one cue.
    assert [(c["start"], c["end"], c["text_sha256"]) for c in en_srt["cues"]] == [
        (1000, 4000, line_sha256(f"{LABEL_TRANSLATION}\\NWe left Bakhmut in the morning.")),
        (4500, 9000, line_sha256("There was no contact for three days,\\Nbecause everything was smashed.")),
        (9500, 11000, line_sha256("Call sign Grom.")),
        (27500, 30000, line_sha256(UNTRANSLATED)),  # a line without English keeps its cue
    ]
    assert [len(o["cues"]) for o in manifest["outputs"][1:3]] == [4, 4]


def test_the_clips_notes_are_in_the_manifest_only_when_asked_for() -> None:
    clip = dataclasses.replace(CLIP, notes="Ivan's brother filmed it; do not name him.")
    assert "notes" not in build_manifest(TRANSCRIPT, clip, outputs(), EDITS)["clip"]
    asked = build_manifest(TRANSCRIPT, clip, outputs(), EDITS, include_notes=True)
    assert asked["clip"]["notes"] == "Ivan's brother filmed it; do not name him."


def test_manifest_is_deterministic_and_survives_its_json_file() -> None:
    first = build_manifest(TRANSCRIPT, CLIP, outputs(), EDITS, reviewer="Olena K.")
    assert first == build_manifest(TRANSCRIPT, CLIP, outputs(), EDITS, reviewer="Olena K.")
    assert (first["label"], first["reviewer"]) == ("Reviewed by Olena K.", "Olena K.")
    text = manifest_to_json(first)
    assert json.loads(text) == first
    assert "Позывной" not in text and "Grom" not in text.replace("Call sign Grom.", "")  # hashes, not lines
    assert canonical_bytes(first).startswith(b'{"clip":{"added":"2024-05-01T10:00:00Z","filmed":"May 2023",')


def test_signature_is_ed25519_over_the_canonical_bytes(tmp_path: Path) -> None:
    key = load_or_create_key(tmp_path / "signing.pem")
    manifest = build_manifest(TRANSCRIPT, CLIP, outputs(), EDITS)
    signed = sign_manifest(manifest, key)
    block = signed["signature"]
    raw = public_key_bytes(key)
    assert sorted(block) == ["algorithm", "key_fingerprint", "public_key", "signed", "value"]
    assert block["algorithm"] == "ed25519"
    assert base64.b64decode(block["public_key"]) == raw and len(raw) == 32
    assert block["key_fingerprint"] == fingerprint(raw) == hashlib.sha256(raw).hexdigest()[:32]
    expected = json.dumps(manifest, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    assert canonical_bytes(signed) == canonical_bytes(manifest) == expected
    Ed25519PublicKey.from_public_bytes(raw).verify(
        base64.b64decode(block["value"]), expected
    )  # raises if bad
    assert sign_manifest(signed, key) == signed  # re-signing replaces the block; Ed25519 is deterministic


def test_key_is_created_private_once_and_reused(tmp_path: Path) -> None:
    path = tmp_path / "config" / "signing.pem"
    first = load_or_create_key(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert path.read_bytes().startswith(b"-----BEGIN PRIVATE KEY-----\n")
    assert os.listdir(path.parent) == ["signing.pem"]  # no temporary file left behind
    second = load_or_create_key(path)
    assert public_key_bytes(second) == public_key_bytes(first)


def test_a_damaged_key_file_is_an_input_error(tmp_path: Path) -> None:
    path = tmp_path / "signing.pem"
    path.write_text("not a key\n")
    with pytest.raises(InputError, match=r"signing\.pem: not an unencrypted PEM private key"):
        load_or_create_key(path)


def test_verify_accepts_the_source_and_every_output(published: dict[str, Path]) -> None:
    names = ["retreat.mp4", "retreat.en.srt", "retreat.ru.srt", "retreat.en.vtt", "retreat.txt"]
    signer = signer_of(published)
    report = verify_manifest(published["manifest.json"], [published[n] for n in names], trusted=[signer])
    assert report.ok
    assert report.problems == ()
    assert (report.signer, report.signature_valid, report.signer_trusted) == (signer, True, True)
    assert report.checked == (f"signature by key {signer}", *(str(published[n]) for n in names))
    # The manifest itself, passed along with "every file in the folder", is skipped.
    alone = verify_manifest(published["manifest.json"], [published["manifest.json"]], trusted=[signer])
    assert alone.checked == (f"signature by key {signer}",)


def test_a_renamed_output_still_verifies(published: dict[str, Path]) -> None:
    published["thread.txt"] = published["retreat.txt"].rename(
        published["retreat.txt"].with_name("thread.txt")
    )
    assert report_of(published, "thread.txt") == ()


def test_a_changed_manifest_fails_its_signature(published: dict[str, Path]) -> None:
    path = published["manifest.json"]
    manifest = json.loads(path.read_text(encoding="utf-8"))
    manifest["segments"][2]["speaker"] = "S1"  # someone re-attributes a line
    path.write_text(json.dumps(manifest), encoding="utf-8")
    assert report_of(published, "retreat.txt") == (SIGNATURE_CHANGED,)
    report = verify_manifest(path, [], trusted=[signer_of(published)])
    assert (report.signature_valid, report.signer_trusted, report.checked) == (False, True, ())
    assert SIGNATURE_CHANGED == "signature does not match: the manifest was changed after signing"


def test_a_good_signature_by_a_key_nobody_trusts_is_an_unknown_signer(
    published: dict[str, Path], tmp_path: Path
) -> None:
    other = fingerprint(public_key_bytes(load_or_create_key(tmp_path / "other.pem")))
    signed_by = json.loads(published["manifest.json"].read_text())["signature"]["key_fingerprint"]
    unknown = f"unknown signer: signed with key {signed_by}, which is not a trusted key"
    for trusted in ((), (other,)):
        report = verify_manifest(published["manifest.json"], [published["retreat.txt"]], trusted=trusted)
        assert (report.ok, report.problems) == (False, (unknown,))
        assert (report.signer, report.signature_valid, report.signer_trusted) == (signed_by, True, False)
        assert report.checked == (str(published["retreat.txt"]),)  # the signature is not called checked


def test_a_missing_signature_is_reported(published: dict[str, Path]) -> None:
    manifest = json.loads(published["manifest.json"].read_text())
    del manifest["signature"]
    published["manifest.json"].write_text(json.dumps(manifest))
    assert report_of(published) == ("signature missing: the manifest is not signed",)


def test_a_changed_cue_text_is_reported_with_its_number_and_time(published: dict[str, Path]) -> None:
    srt = published["retreat.en.srt"]
    srt.write_text(srt.read_text().replace("everything was smashed", "nothing was left"))
    assert report_of(published, "retreat.en.srt") == ("retreat.en.srt: cue 2 at 0:04.5: text differs",)


def test_changed_cue_timing_and_missing_cues_are_reported(published: dict[str, Path]) -> None:
    vtt = published["retreat.en.vtt"]
    vtt.write_text(vtt.read_text().replace("00:00:04.500 --> 00:00:09.000", "00:00:04.500 --> 00:00:08.100"))
    srt = published["retreat.ru.srt"]
    srt.write_text(srt.read_text().split("\n3\n")[0] + "\n")  # the last two cues cut off
    assert report_of(published, "retreat.en.vtt", "retreat.ru.srt") == (
        "retreat.en.vtt: cue 2: timing differs (0:04.5-0:08.1 in the file, 0:04.5-0:09.0 signed)",
        "retreat.ru.srt: 2 cues missing (signed cues 3-4, from 0:09.5)",
    )


def test_small_timing_changes_extra_cues_and_header_edits_are_reported(published: dict[str, Path]) -> None:
    vtt = published["retreat.en.vtt"]
    text = vtt.read_text()
    vtt.write_text(
        text.replace("00:00:09.000", "00:00:09.040") + "4\n00:00:40.000 --> 00:00:41.000\nadded\n\n"
    )
    assert report_of(published, "retreat.en.vtt") == (
        "retreat.en.vtt: cue 2: timing differs (0:04.500-0:09.040 in the file, 0:04.500-0:09.000 signed)",
        "retreat.en.vtt: 1 extra cue (cue 5, at 0:40.0)",
    )
    vtt.write_text(text.replace("Machine translation — not reviewed. Source", "Checked. Source"))
    assert report_of(published, "retreat.en.vtt") == (
        "retreat.en.vtt: differs from the signed file, but every cue's timing and text match "
        "(a header, note or style changed)",
    )


def test_unknown_files_and_a_wrong_source_are_reported(published: dict[str, Path], tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("my notes\n")
    published["notes.txt"] = tmp_path / "notes.txt"
    published["retreat.mp4"].write_bytes(SOURCE_BYTES[:-1] + b"!")
    published["retreat.txt"].write_bytes(b"thread text, edited\n")
    sha = hashlib.sha256(b"my notes\n").hexdigest()[:16]
    wrong = hashlib.sha256(SOURCE_BYTES[:-1] + b"!").hexdigest()[:16]
    edited = hashlib.sha256(b"thread text, edited\n").hexdigest()[:16]
    assert report_of(published, "notes.txt", "retreat.mp4", "retreat.txt") == (
        f"notes.txt: not in the manifest (sha256 {sha}… matches neither the source nor an output)",
        f"retreat.mp4: not the signed source (sha256 {wrong}…, 3392 bytes; "
        f"signed {SOURCE_SHA[:16]}…, 3392 bytes)",
        f"retreat.txt: differs from the signed file (20 bytes, sha256 {edited}…)",
    )


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", r"manifest\.json: not a tolmach manifest \(Expecting property name"),
        (
            '{"schema": "other/1"}',
            r"manifest\.json: not a tolmach manifest \(schema 'other/1', expected tolmach",
        ),
        ("[1, 2]", r"manifest\.json: not a tolmach manifest \(schema None"),
        ('{"schema": "tolmach.manifest/1", "source": {}}', r"manifest\.json: malformed manifest"),
        ('{"schema": "tolmach.manifest/1", "schema": "tolmach.manifest/1"}', r"key 'schema' appears twice"),
    ],
)
def test_an_unreadable_manifest_is_an_input_error_naming_it(
    tmp_path: Path, content: str, message: str
) -> None:
    path = tmp_path / "manifest.json"
    path.write_text(content)
    with pytest.raises(InputError, match=message) as caught:
        verify_manifest(path, [])
    assert "\n" not in caught.value.message


def test_a_missing_manifest_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(
        InputError, match=r"manifest\.json: cannot read the manifest \(no such file or directory\)"
    ):
        verify_manifest(tmp_path / "manifest.json", [])


# ---------------------------------------------------------------- trusted keys


def test_a_key_is_read_as_a_fingerprint_a_public_key_or_a_key_file(tmp_path: Path) -> None:
    key = load_or_create_key(tmp_path / "signing.pem")
    raw = public_key_bytes(key)
    fp = fingerprint(raw)
    b64 = base64.b64encode(raw).decode()
    grouped = " ".join(fp[i : i + 4] for i in range(0, 32, 4)).upper()
    assert (
        parse_key(fp)
        == parse_key(grouped)
        == parse_key(":".join(fp[i : i + 2] for i in range(0, 32, 2)))
        == (fp, None)
    )
    assert parse_key(b64) == (fp, raw)
    pem = tmp_path / "desk.pub"
    pem.write_bytes(key.public_key().public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo))
    text = tmp_path / "desk.txt"
    text.write_text(b64 + "\n")
    assert parse_key(str(pem)) == parse_key(str(text)) == (fp, raw)
    with pytest.raises(OptionsError, match=r"signing\.pem: a private key"):
        parse_key(str(tmp_path / "signing.pem"))
    for bad in ("nope", fp[:-1], b64[:-4], ""):
        with pytest.raises(OptionsError, match="is not a public key, a fingerprint or a key file"):
            parse_key(bad)


def test_trusted_keys_are_private_files_written_once(tmp_path: Path) -> None:
    home = tmp_path / "home"
    assert trusted_keys(home) == []
    other = public_key_bytes(load_or_create_key(tmp_path / "other.pem"))
    fp = fingerprint(other)
    entry, new = trust(home, base64.b64encode(other).decode(), "  Kyiv   desk ")
    assert new and (entry.fingerprint, entry.name, entry.own) == (fp, "Kyiv desk", False)
    path = home / "keys" / "trusted" / f"{fp}.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    first = path.read_bytes()
    assert json.loads(first) == {
        "fingerprint": fp,
        "public_key": base64.b64encode(other).decode(),
        "name": "Kyiv desk",
        "added": entry.added,
    }
    assert trust(home, fp, "someone else") == (entry, False)  # already trusted: left as it was
    assert path.read_bytes() == first
    own = public_key_bytes(load_or_create_key(home / "keys" / "manifest-ed25519.pem"))
    assert [(k.fingerprint, k.own) for k in trusted_keys(home)] == [(fingerprint(own), True), (fp, False)]
    with pytest.raises(OptionsError, match="this archive's own signing key"):
        untrust(home, fingerprint(own))
    assert untrust(home, fp) == entry and not path.exists()
    with pytest.raises(OptionsError, match=f"no trusted key {fp}"):
        untrust(home, fp)


def test_a_trusted_key_file_edited_by_hand_is_refused(tmp_path: Path) -> None:
    other = fingerprint(public_key_bytes(load_or_create_key(tmp_path / "other.pem")))
    assert trust(tmp_path, other)[1]
    path = tmp_path / "keys" / "trusted" / f"{other}.json"
    data = json.loads(path.read_text())
    path.write_text(json.dumps({**data, "fingerprint": "0" * 32}))  # the file says another key
    with pytest.raises(InputError, match=rf"{other}\.json: not a readable trusted key"):
        trusted_keys(tmp_path)


def test_a_file_whose_line_endings_became_crlf_is_named_so(tmp_path: Path) -> None:
    """A Windows editor or a mail program turns LF into CRLF: the bytes differ, and the report says
    that only the line endings do (for a cue-checked subtitle file too), not that every cue changed."""
    from records import make_clip, make_transcript

    from tolmach.publish import check_file
    from tolmach.subtitles import render

    t = make_transcript(make_clip(tmp_path, "c.mp4", b"clip"))
    srt = render("srt", t)["en.srt"].encode()
    manifest = build_manifest(t, ClipInfo(source="x"), {"c.thread.txt": b"a\nb\n", "c.en.srt": srt}, ())
    (tmp_path / "c.thread.txt").write_bytes(b"a\r\nb\r\n")
    (tmp_path / "c.en.srt").write_bytes(srt.replace(b"\n", b"\r\n"))
    for name in ("c.thread.txt", "c.en.srt"):
        (problem,) = check_file(manifest, tmp_path / name)
        assert problem.startswith(f"{name}: differs from the signed file only in its line endings (CRLF")
        assert "dos2unix" in problem
    (tmp_path / "c.thread.txt").write_bytes(b"a\r\nc\r\n")  # another text: no such excuse
    (problem,) = check_file(manifest, tmp_path / "c.thread.txt")
    assert problem.startswith("c.thread.txt: differs from the signed file (6 bytes, sha256 ")
