"""Rendered video (``tolmach render``, ``media.render``): real ffmpeg and libass on the real sample clip.

What is checked on the files themselves, with ffprobe and decoded frames: streams, codecs, languages,
titles and durations; the video copied bit for bit (same packets) when nothing is burned; a burned frame
changed in the subtitle band and nowhere else; the label in the corner only for unreviewed text and only
in the first seconds; both languages stacked; Cyrillic drawn as letters; bad input refused in one line
with nothing left behind. Transcripts are built by hand (``records.make_transcript``): no model runs.
"""

from __future__ import annotations

import dataclasses
import json
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from records import make_transcript
from typer.testing import CliRunner

from tolmach.archive import Archive
from tolmach.cli import app
from tolmach.errors import InputError, MediaToolError, OptionsError, OutputError
from tolmach.media.burn import LABEL_SHOW_MS, ass_filter, burn_script, find_font
from tolmach.media.render import DUB_TITLE, RenderSpec, iso639_2, render_video
from tolmach.records import ClipInfo, Transcript
from tolmach.subtitles import LABEL_TRANSCRIPT, LABEL_TRANSLATION

WIDTH, HEIGHT = 320, 180  # the sample's picture
runner = CliRunner()


# -- helpers ------------------------------------------------------------------------------------------


def ffprobe(path: Path) -> dict[str, Any]:
    args = ["ffprobe", "-v", "error", "-print_format", "json", "-show_format", "-show_streams", str(path)]
    return json.loads(subprocess.run(args, capture_output=True, check=True).stdout)  # type: ignore[no-any-return]


def streams(path: Path, kind: str) -> list[dict[str, Any]]:
    return [s for s in ffprobe(path)["streams"] if s["codec_type"] == kind]


def packets(path: Path, stream: str) -> list[str]:
    """The size of every packet of one stream: equal lists mean the stream was copied, not re-encoded."""
    args = ["ffprobe", "-v", "error", "-select_streams", stream, "-show_entries", "packet=size"]
    out = subprocess.run([*args, "-of", "json", str(path)], capture_output=True, check=True).stdout
    return [p["size"] for p in json.loads(out)["packets"]]


def frame(path: Path, at: float) -> np.ndarray:
    """The luma plane of the frame at ``at`` seconds, as a HEIGHT x WIDTH array of floats."""
    args = ["ffmpeg", "-v", "error", "-ss", f"{at}", "-i", str(path), "-frames:v", "1"]
    raw = subprocess.run(
        [*args, "-f", "rawvideo", "-pix_fmt", "gray", "-"], capture_output=True, check=True
    ).stdout
    return np.frombuffer(raw, dtype=np.uint8).reshape(HEIGHT, WIDTH).astype(float)


def subtitle_text(path: Path, index: int) -> str:
    args = ["ffmpeg", "-v", "error", "-i", str(path), "-map", f"0:s:{index}", "-f", "srt", "-"]
    return subprocess.run(args, capture_output=True, check=True).stdout.decode("utf-8")


def tone(path: Path, seconds: float) -> Path:
    """A stand-in for a voice-over mix: a sine tone as a WAV, as ``voice.dub`` writes."""
    args = ["ffmpeg", "-v", "error", "-f", "lavfi", "-i", f"sine=frequency=440:duration={seconds}"]
    subprocess.run([*args, "-ar", "24000", str(path)], check=True)
    return path


def audio_only(sample: Path, folder: Path) -> Path:
    path = folder / "speech.m4a"
    args = ["ffmpeg", "-v", "error", "-i", str(sample), "-vn", "-c:a", "copy", str(path)]
    subprocess.run(args, check=True)
    return path


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


BOTTOM = slice(int(HEIGHT * 0.72), HEIGHT)  # where the subtitles go
MIDDLE = slice(int(HEIGHT * 0.2), int(HEIGHT * 0.6))  # the picture: never touched
CORNER = (slice(0, int(HEIGHT * 0.15)), slice(0, WIDTH // 2))  # the label's corner


@pytest.fixture(scope="module")
def transcript(sample: Path) -> Transcript:
    return make_transcript(sample)


@pytest.fixture(scope="module")
def burned_en(sample: Path, transcript: Transcript, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("render") / "clip.en-burned.mp4"
    return render_video(transcript, sample, out, RenderSpec(burn="en"))


# -- soft subtitles and the voice-over: everything copied ---------------------------------------------


def test_soft_mp4_copies_the_video_and_adds_tagged_mov_text_tracks(
    sample: Path, transcript: Transcript, tmp_path: Path
) -> None:
    out = render_video(transcript, sample, tmp_path / "clip.subs.mp4", RenderSpec(soft=True))
    assert [s["codec_name"] for s in streams(out, "video")] == ["h264"]
    assert packets(out, "v:0") == packets(sample, "v:0")  # not one bit of the picture re-encoded
    assert packets(out, "a:0") == packets(sample, "a:0")
    subs = streams(out, "subtitle")
    assert [s["codec_name"] for s in subs] == ["mov_text", "mov_text"]
    assert [s["tags"]["language"] for s in subs] == ["rus", "eng"]
    assert subs[0]["tags"]["handler_name"] == "Russian (machine transcript, not reviewed)"
    assert subs[1]["tags"]["handler_name"] == "English (machine translation, not reviewed)"
    assert [s["disposition"]["default"] for s in subs] == [0, 1]  # English shows by default
    english, russian = subtitle_text(out, 1), subtitle_text(out, 0)
    assert LABEL_TRANSLATION in english and "We stood near Bakhmut for three weeks." in english
    assert LABEL_TRANSCRIPT in russian and "Мы стояли под Бахмутом три недели." in russian
    assert float(ffprobe(out)["format"]["duration"]) == pytest.approx(32.5, abs=0.1)


def test_soft_mkv_with_dub_keeps_the_original_audio_first_and_tags_the_ai_voice(
    sample: Path, transcript: Transcript, tmp_path: Path
) -> None:
    wav = tone(tmp_path / "dub.wav", 32.5)
    spec = RenderSpec(soft=True, dub=wav)
    out = render_video(transcript, sample, tmp_path / "clip.subs.dubbed.mkv", spec)
    assert packets(out, "v:0") == packets(sample, "v:0")
    assert packets(out, "a:0") == packets(sample, "a:0")  # the original sound is evidence: copied
    original, voice = streams(out, "audio")
    assert (original["codec_name"], original["tags"]["language"]) == ("aac", "rus")
    assert original["tags"]["title"] == "Original audio (Russian)" and original["disposition"]["default"] == 1
    assert (voice["codec_name"], voice["tags"]["language"], voice["tags"]["title"]) == (
        "aac",
        "eng",
        DUB_TITLE,
    )
    assert "AI-generated" in voice["tags"]["COMMENT"] and voice["disposition"]["default"] == 0
    assert voice["tags"]["DURATION"].startswith("00:00:32.5")
    subs = streams(out, "subtitle")
    assert [(s["codec_name"], s["tags"]["language"]) for s in subs] == [("subrip", "rus"), ("subrip", "eng")]
    assert "AI-generated" in ffprobe(out)["format"]["tags"]["COMMENT"]


def test_dub_in_mp4_is_audio_track_two_titled_as_ai_voice(
    sample: Path, transcript: Transcript, tmp_path: Path
) -> None:
    wav = tone(tmp_path / "dub.wav", 32.5)
    out = render_video(transcript, sample, tmp_path / "clip.dubbed.mp4", RenderSpec(dub=wav))
    assert packets(out, "v:0") == packets(sample, "v:0")
    original, voice = streams(out, "audio")
    assert packets(out, "a:0") == packets(sample, "a:0") and original["disposition"]["default"] == 1
    assert voice["codec_name"] == "aac" and voice["tags"]["language"] == "eng"
    assert voice["tags"]["handler_name"] == DUB_TITLE  # what MP4 players show as the track's name
    assert float(voice["duration"]) == pytest.approx(32.5, abs=0.1)
    assert "AI-generated" in ffprobe(out)["format"]["tags"]["comment"]
    assert streams(out, "subtitle") == []


def test_soft_tracks_on_audio_only_input_make_a_matroska_audio_file(
    sample: Path, transcript: Transcript, tmp_path: Path
) -> None:
    out = render_video(
        transcript, audio_only(sample, tmp_path), tmp_path / "speech.subs.mka", RenderSpec(soft=True)
    )
    assert streams(out, "video") == []
    assert [s["codec_name"] for s in streams(out, "audio")] == ["aac"]
    assert [s["tags"]["language"] for s in streams(out, "subtitle")] == ["rus", "eng"]


def test_progress_reports_reach_the_clip_duration(
    sample: Path, transcript: Transcript, tmp_path: Path
) -> None:
    seen: list[int] = []
    render_video(transcript, sample, tmp_path / "p.mkv", RenderSpec(soft=True), progress=seen.append)
    assert seen and seen[-1] == 32500 and seen == sorted(seen)


# -- burned subtitles ---------------------------------------------------------------------------------


def test_burning_changes_the_subtitle_band_and_nothing_else(sample: Path, burned_en: Path) -> None:
    assert streams(burned_en, "video")[0]["codec_name"] == "h264"
    assert int(streams(burned_en, "video")[0]["nb_frames"]) == int(streams(sample, "video")[0]["nb_frames"])
    assert packets(burned_en, "a:0") == packets(sample, "a:0")  # audio copied while the video is re-encoded
    before, after = frame(sample, 1.0), frame(burned_en, 1.0)  # "We stood near Bakhmut..." is on screen
    diff = np.abs(after - before)
    assert diff[BOTTOM].max() > 150 and diff[BOTTOM].mean() > 3  # white letters, black outlines
    assert diff[MIDDLE].mean() < 1.5 and np.percentile(diff[MIDDLE], 99) < 12  # only x264's rounding


def test_the_label_shows_in_the_corner_for_the_first_seconds_only_while_unreviewed(
    sample: Path, transcript: Transcript, burned_en: Path, tmp_path: Path
) -> None:
    def corner_change(video: Path, at: float) -> float:
        return float(np.abs(frame(video, at) - frame(sample, at))[CORNER].mean())

    assert corner_change(burned_en, 1.0) > 4  # "Machine translation — not reviewed" in a box
    assert corner_change(burned_en, (LABEL_SHOW_MS + 1500) / 1000) < 1.5  # gone after five seconds
    reviewed = dataclasses.replace(transcript, reviewer="Anna")
    out = render_video(reviewed, sample, tmp_path / "reviewed.mp4", RenderSpec(burn="en"))
    assert corner_change(out, 1.0) < 1.5
    unlabelled = render_video(transcript, sample, tmp_path / "flag.mp4", RenderSpec(burn="en"), reviewed=True)
    assert corner_change(unlabelled, 1.0) < 1.5


def _changed_rows(video: Path, sample: Path, at: float) -> np.ndarray:
    rows = np.abs(frame(video, at) - frame(sample, at)).max(axis=1)
    below_label = int(HEIGHT * 0.3)
    return below_label + np.flatnonzero(rows[below_label:] > 80)


def test_both_stacks_the_original_above_the_english(
    sample: Path, transcript: Transcript, burned_en: Path, tmp_path: Path
) -> None:
    both = render_video(transcript, sample, tmp_path / "both.mp4", RenderSpec(burn="both"))
    at = 4.0  # line 2: one Russian line, two English lines
    en_rows, both_rows = _changed_rows(burned_en, sample, at), _changed_rows(both, sample, at)
    assert en_rows.min() > HEIGHT * 0.6 and both_rows.max() == pytest.approx(en_rows.max(), abs=2)
    extra = both_rows[both_rows < en_rows.min() - 1]  # the original's band, above the English
    assert len(extra) >= 5, (en_rows, both_rows)
    assert np.abs(frame(both, at) - frame(sample, at))[MIDDLE].mean() < 1.5


def test_cyrillic_is_drawn_with_a_font_that_has_it(sample: Path, tmp_path: Path) -> None:
    font = find_font()
    assert font.family == "DejaVu Sans" and font.path.is_file()
    if shutil.which("fc-query"):
        langs = subprocess.run(
            ["fc-query", "--format", "%{lang}", str(font.path)], capture_output=True, check=True
        ).stdout.decode()
        assert {"ru", "uk"} <= set(langs.split("|"))
    # Missing glyphs are all the same box: two different words of equal length would then look alike.
    a = make_transcript(sample, [("Жёлтый щит", "Yellow shield")] * 3)
    b = make_transcript(sample, [("Пьяный ёрш", "Yellow shield")] * 3)
    out_a = render_video(a, sample, tmp_path / "a.mp4", RenderSpec(burn="orig", label=False))
    out_b = render_video(b, sample, tmp_path / "b.mp4", RenderSpec(burn="ru", label=False))
    band_a, band_b = frame(out_a, 0.5)[BOTTOM], frame(out_b, 0.5)[BOTTOM]  # shown from 0 to 0.83 s
    assert np.abs(band_a - frame(sample, 0.5)[BOTTOM]).max() > 150
    assert (np.abs(band_a - band_b) > 60).sum() > 50, (np.abs(band_a - band_b) > 60).sum()


def test_without_a_cyrillic_font_burning_stops_with_an_install_hint(monkeypatch: pytest.MonkeyPatch) -> None:
    from tolmach.media import burn

    try:
        monkeypatch.setattr(burn, "_fc_list", lambda pattern: set())  # fontconfig knows no such font
        burn.find_font.cache_clear()
        with pytest.raises(MediaToolError, match="no font with Cyrillic") as info:
            burn.find_font()
        assert "apt-get install fonts-dejavu-core" in info.value.one_line()
        monkeypatch.setattr(burn.shutil, "which", lambda name: None)  # no fontconfig tools at all
        burn.find_font.cache_clear()
        assert burn.find_font().path.name == "DejaVuSans.ttf"  # found where Debian puts it
    finally:
        burn.find_font.cache_clear()


def test_burn_script_scales_with_the_frame_and_keeps_title_safe_margins(transcript: Transcript) -> None:
    import pysubs2

    landscape = pysubs2.SSAFile.from_string(
        burn_script(transcript, "both", 1920, 1080, font="DejaVu Sans", label=LABEL_TRANSLATION)
    )
    portrait = pysubs2.SSAFile.from_string(
        burn_script(transcript, "en", 1080, 1920, font="DejaVu Sans", label=None)
    )
    en, orig = landscape.styles["English"], landscape.styles["Original"]
    assert en.fontsize == pytest.approx(59.4) and orig.fontsize < en.fontsize
    assert (en.marginv, en.marginl) == (54, 96) and en.fontname == "DejaVu Sans"
    assert portrait.styles["English"].fontsize == pytest.approx(1080 * 9 / 16 * 0.055, abs=0.1)
    labels = [e for e in landscape.events if e.style == "Label"]
    assert [(e.start, e.end, e.text) for e in labels] == [(0, LABEL_SHOW_MS, LABEL_TRANSLATION)]
    assert not [e for e in portrait.events if e.style == "Label"]
    first = next(e for e in landscape.events if e.style == "English")
    russian, english = "Мы стояли под Бахмутом три недели.", "We stood near Bakhmut for three weeks."
    assert first.text == f"{{\\rOriginal}}{russian}\\N{{\\rEnglish}}{english}"


def test_filter_arguments_are_escaped_for_any_temp_folder(
    sample: Path, transcript: Transcript, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert ass_filter(Path("/t/a:b'c/x.ass"), Path("/f,[1];")) == (
        "ass=filename=/t/a\\\\:b\\\\\\'c/x.ass:fontsdir=/f\\,\\[1\\]\\;"
    )
    odd = tmp_path / "tmp: it's [odd], isn't it; 100%"
    odd.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(odd))
    out = render_video(transcript, sample, tmp_path / "out: 'quoted'.mp4", RenderSpec(burn="en"))
    assert np.abs(frame(out, 1.0) - frame(sample, 1.0))[BOTTOM].max() > 150
    assert leftovers(odd) == []  # the temp folder is cleaned up


def test_iso_639_2_codes() -> None:
    assert [iso639_2(c) for c in ("ru", "uk", "en", "de", "xx")] == ["rus", "ukr", "eng", "ger", "und"]


# -- refusals: one line, nothing written --------------------------------------------------------------


def test_audio_only_input_cannot_be_burned(sample: Path, transcript: Transcript, tmp_path: Path) -> None:
    speech = audio_only(sample, tmp_path)
    out = tmp_path / "out"
    out.mkdir()
    with pytest.raises(InputError, match="has no video to burn subtitles into"):
        render_video(transcript, speech, out / "speech.en-burned.mp4", RenderSpec(burn="en"))
    assert leftovers(out) == []


def test_bad_requests_are_refused_before_ffmpeg_runs(
    sample: Path, transcript: Transcript, tmp_path: Path
) -> None:
    with pytest.raises(InputError, match="no such file"):
        render_video(transcript, tmp_path / "missing.mp4", tmp_path / "o.mp4", RenderSpec(burn="en"))
    with pytest.raises(OptionsError, match="nothing to render"):
        render_video(transcript, sample, tmp_path / "o.mp4", RenderSpec())
    with pytest.raises(OptionsError, match="--burn uk: not a choice"):
        render_video(transcript, sample, tmp_path / "o.mp4", RenderSpec(burn="uk"))
    with pytest.raises(OptionsError, match="cannot tell the container"):
        render_video(transcript, sample, tmp_path / "o.avi", RenderSpec(soft=True))
    with pytest.raises(OptionsError, match="is the source itself"):
        render_video(transcript, sample, sample, RenderSpec(soft=True))
    no_english = make_transcript(sample, [("Тишина.", "")])
    with pytest.raises(OptionsError, match="no English text"):
        render_video(no_english, sample, tmp_path / "o.mp4", RenderSpec(burn="en"))
    assert leftovers(tmp_path) == []


def test_unwritable_output_and_failed_ffmpeg_leave_nothing(
    sample: Path, transcript: Transcript, tmp_path: Path
) -> None:
    (tmp_path / "file").write_text("not a folder")
    with pytest.raises(OutputError, match="not a folder"):
        render_video(transcript, sample, tmp_path / "file" / "o.mp4", RenderSpec(soft=True))
    bad_dub = tmp_path / "dub.wav"
    bad_dub.write_text("not audio")
    with pytest.raises(MediaToolError, match="ffmpeg failed"):
        render_video(transcript, sample, tmp_path / "o.mp4", RenderSpec(dub=bad_dub))
    assert leftovers(tmp_path) == ["dub.wav", "file"]  # no output, no temp file


# -- the command --------------------------------------------------------------------------------------


def tolmach(*args: str | Path) -> tuple[int, str]:
    result = runner.invoke(app, [str(a) for a in args], env={"COLUMNS": "200"})
    return result.exit_code, result.output


@pytest.fixture
def stored_clip(sample: Path, tmp_path: Path, archive_home: Path) -> Path:
    """A copy of the sample whose transcript is in the test's archive, so no model runs."""
    clip = tmp_path / "clip.mp4"
    shutil.copyfile(sample, clip)
    with Archive(archive_home) as archive:
        archive.save(make_transcript(clip), ClipInfo(source=str(clip)), {"k": 1})
    return clip


def test_render_command_names_outputs_after_what_it_did(stored_clip: Path, tmp_path: Path) -> None:
    code, output = tolmach("render", stored_clip, "--burn", "en", "-q")
    assert code == 0, output
    assert (tmp_path / "clip.en-burned.mp4").is_file() and "re-encoded" in output
    code, output = tolmach("render", stored_clip, "--burn", "ru", "-q")
    assert code == 0 and (tmp_path / "clip.ru-burned.mp4").is_file(), output
    code, output = tolmach("render", stored_clip, "--soft", "--format", "mkv", "-q")
    assert code == 0 and "video copied unchanged" in output, output
    assert [s["tags"]["language"] for s in streams(tmp_path / "clip.subs.mkv", "subtitle")] == ["rus", "eng"]
    short = make_transcript(stored_clip).media.sha256[:12]
    folder = tmp_path / "out"
    code, output = tolmach("render", short, "--burn", "both", "-o", f"{folder}/", "-q")
    assert code == 0 and (folder / "clip.both-burned.mp4").is_file(), output


def test_render_command_refuses_in_one_line(stored_clip: Path, sample: Path, tmp_path: Path) -> None:
    code, output = tolmach("render", stored_clip)
    assert code == 2 and "nothing to render" in output
    code, output = tolmach("render", stored_clip, "--soft", "--format", "mkv", "-o", tmp_path / "x.mp4")
    assert code == 2 and "does not match" in output
    speech = audio_only(sample, tmp_path)
    with Archive() as archive:
        archive.save(make_transcript(speech), ClipInfo(source=str(speech)), {"k": 1})
    code, output = tolmach("render", speech, "--burn", "en")
    assert code == 2 and "has no video to burn subtitles into" in output
    assert len(output.strip().splitlines()) == 1
    assert not list(tmp_path.glob("speech.*-burned*"))
    code, output = tolmach("render", speech, "--soft", "-q")
    assert code == 0 and (tmp_path / "speech.subs.m4a").is_file(), output


@pytest.mark.slow
def test_render_dub_adds_the_piper_voice_over_as_track_two(stored_clip: Path, tmp_path: Path) -> None:
    code, output = tolmach("render", stored_clip, "--dub")
    assert code == 0, output
    out = tmp_path / "clip.dubbed.mp4"
    assert "English AI voice-over as track 2" in output and "dub:" in output  # the dub report's line
    assert packets(out, "v:0") == packets(stored_clip, "v:0")
    original, voice = streams(out, "audio")
    assert packets(out, "a:0") == packets(stored_clip, "a:0") and original["tags"]["language"] == "rus"
    assert (voice["tags"]["language"], voice["tags"]["handler_name"]) == ("eng", DUB_TITLE)
    assert float(voice["duration"]) == pytest.approx(32.5, abs=0.2)
