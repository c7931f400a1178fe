"""Rendered video: subtitles burned in or added as tracks, and the AI voice-over as a second audio track.

One ffmpeg run writes one output file, whole or not at all (``atomic_path``). What is copied and what
is re-encoded is the point of this module: footage is evidence, so the video stream is copied bit for
bit (``-c:v copy``) whenever nothing is burned into it, and the original audio is always copied (it is
only re-encoded, to AAC, when an MP4 cannot carry its codec). Burning in re-encodes the video once with
libx264 at a high quality (CRF 18).

Burned subtitles are an ASS script (``burn.py``) in the video's own pixel space, rendered by libass
(ffmpeg's ``ass`` filter) with a font checked to have Cyrillic letters (DejaVu Sans first). The script
sits in a private temp folder under a fixed safe name, and the filter arguments are escaped anyway.
Soft subtitles are the same SRT files ``tolmach translate`` writes (labels included), muxed as
``mov_text`` (MP4) or SubRip (Matroska) tracks, language-tagged in ISO 639-2. The voice-over is muxed as
track 2, tagged English and titled and commented as AI-generated: it must never pass for the speaker.

Nothing here decides what text to show: the cues come from ``subtitles.build_cues`` and the SRT files
from the ``srt`` format, so a rendered video says exactly what the subtitle files say.
"""

from __future__ import annotations

import os
import re
import tempfile
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tolmach.errors import InputError, OptionsError
from tolmach.media.burn import ass_filter, burn_script, find_font, label_text
from tolmach.media.ffmpeg import ffprobe_json, input_url, run_ffmpeg
from tolmach.media.files import atomic_path, check_writable_dir
from tolmach.media.probe import check_input_file
from tolmach.records import Transcript
from tolmach.subtitles.formats import render as render_format

BURN_MODES = ("en", "orig", "both")
CRF = 18  # libx264 quality when burning: visually lossless; footage is evidence
PRESET = "medium"  # libx264 speed/size trade-off
AUDIO_BITRATE = "192k"  # AAC, for the voice-over and for original audio an MP4 cannot carry

DUB_TITLE = "English — AI voice-over (synthetic)"
DUB_COMMENT = "AI-generated English voice-over (synthetic speech, text-to-speech), not the speakers' voices"
FILE_COMMENT = "Audio track 2 is an AI-generated English voice-over (synthetic speech)."

# Output containers: suffix -> ffmpeg muxer, always named with -f so the temp file's name never decides.
CONTAINERS = {
    ".mp4": "mp4",
    ".m4v": "mp4",
    ".m4a": "mp4",
    ".mov": "mov",
    ".mkv": "matroska",
    ".mka": "matroska",
}
CONTAINERS_SUBTITLES = {"mp4": "mov_text", "mov": "mov_text", "matroska": "srt"}  # text track codec per muxer
# What an MP4 may carry without re-encoding; anything else is copied into Matroska only.
MP4_VIDEO = {"h264", "hevc", "av1", "vp9", "mpeg4", "mpeg2video", "mpeg1video", "mjpeg", "png"}
MP4_AUDIO = {"aac", "mp3", "mp2", "alac", "ac3", "eac3", "opus", "flac"}

# ISO 639-1 (Whisper's codes) -> ISO 639-2/B, which Matroska wants and MP4 accepts. Written out because
# the table is small and fixed (the 100 Whisper languages) and a language package would be a dependency
# for one lookup (one string, not a literal with a hundred lines). Unknown codes become "und".
_ISO639_2_PAIRS = (
    "af:afr am:amh ar:ara as:asm az:aze ba:bak be:bel bg:bul bn:ben bo:tib br:bre bs:bos ca:cat cs:cze"
    " cy:wel da:dan de:ger el:gre en:eng es:spa et:est eu:baq fa:per fi:fin fo:fao fr:fre gl:glg"
    " gu:guj ha:hau haw:haw he:heb hi:hin hr:hrv ht:hat hu:hun hy:arm id:ind is:ice it:ita ja:jpn"
    " jw:jav ka:geo kk:kaz km:khm kn:kan ko:kor la:lat lb:ltz ln:lin lo:lao lt:lit lv:lav mg:mlg"
    " mi:mao mk:mac ml:mal mn:mon mr:mar ms:may mt:mlt my:bur ne:nep nl:dut nn:nno no:nor oc:oci"
    " pa:pan pl:pol ps:pus pt:por ro:rum ru:rus sa:san sd:snd si:sin sk:slo sl:slv sn:sna so:som"
    " sq:alb sr:srp su:sun sv:swe sw:swa ta:tam te:tel tg:tgk th:tha tk:tuk tl:tgl tr:tur tt:tat"
    " uk:ukr ur:urd uz:uzb vi:vie yi:yid yo:yor yue:chi zh:chi"
)
ISO639_2 = dict(pair.split(":") for pair in _ISO639_2_PAIRS.split())
LANGUAGE_NAMES = {"ru": "Russian", "uk": "Ukrainian", "en": "English"}


@dataclass(frozen=True)
class RenderSpec:
    """What to put into the rendered file. At least one of burn, soft and dub."""

    burn: str | None = None  # None, "en", "orig" (the original language; its code works too) or "both"
    soft: bool = False  # add language-tagged subtitle tracks (mp4: mov_text; mkv: srt)
    dub: Path | None = None  # a mixed voice-over audio file, added as audio track 2 (eng, titled as AI voice)
    label: bool = True  # show "Machine translation — not reviewed" for the first seconds when unreviewed


@dataclass(frozen=True)
class _Source:
    """What ffprobe says about the media file, as far as rendering cares."""

    video_codec: str | None  # None for audio only (a cover picture is not video)
    width: int
    height: int
    audio_codec: str | None
    duration_ms: int


def has_video(media: Path) -> bool:
    """True when ``media`` has a video stream to burn into (a cover picture does not count)."""
    name = os.fspath(media)
    check_input_file(name)
    return _probe_source(name).video_codec is not None


def iso639_2(code: str) -> str:
    """The three-letter code a container wants for a Whisper language code; "und" when unknown."""
    return ISO639_2.get(code, "und")


def render_video(
    transcript: Transcript,
    media: Path,
    output: Path,
    spec: RenderSpec,
    *,
    reviewed: bool = False,
    progress: Callable[[int], None] | None = None,
) -> Path:
    """Write ``output`` from ``media``: subtitles burned in and/or as tracks, and/or the voice-over.

    The container comes from ``output``'s suffix (.mp4, .m4v, .mov, .m4a, .mkv, .mka). ``progress`` gets
    the milliseconds of media written so far. Returns ``output``.
    """
    media, output = Path(media), Path(output)
    name = os.fspath(media)
    muxer = _container(output)
    mode = _burn_mode(spec.burn, transcript)
    if mode is None and not spec.soft and spec.dub is None:
        raise OptionsError("nothing to render", "ask for --burn, --soft and/or --dub")
    check_input_file(name)
    if spec.dub is not None:
        check_input_file(os.fspath(spec.dub))
    if _same_file(media, output):
        raise OptionsError(f"{output}: is the source itself", "choose another output name with -o")
    source = _probe_source(name)
    if mode is not None and source.video_codec is None:
        raise InputError(
            f"{name}: has no video to burn subtitles into", "use --soft for subtitle tracks in an audio file"
        )
    copied = source.video_codec if mode is None else None
    if muxer != "matroska" and copied is not None and copied not in MP4_VIDEO:
        raise OptionsError(
            f"{name}: its {copied} video cannot be copied into {output.suffix} unchanged",
            "use --format mkv (or an .mkv output name) to keep the video as it is",
        )
    check_writable_dir(output.parent)
    with tempfile.TemporaryDirectory(prefix="tolmach-render-") as work_dir:
        work = Path(work_dir)
        label = spec.label and not (reviewed or transcript.reviewer)
        args = _arguments(transcript, media, spec, mode, source, muxer, work, label)
        with atomic_path(output) as tmp, _progress_file(work, source.duration_ms, progress) as extra:
            run_ffmpeg([*args, *extra, "-f", muxer, input_url(tmp)], what=name, output=str(output))
    if progress is not None:
        progress(source.duration_ms)
    return output


def _arguments(
    transcript: Transcript,
    media: Path,
    spec: RenderSpec,
    mode: str | None,
    source: _Source,
    muxer: str,
    work: Path,
    label: bool,
) -> list[str]:
    """ffmpeg's inputs, stream maps, codecs and tags, up to the output; helper files go into ``work``."""
    args = ["-i", input_url(media)]
    inputs = 1
    dub_input = sub_inputs = None
    if spec.dub is not None:
        args += ["-i", input_url(spec.dub)]
        dub_input, inputs = inputs, inputs + 1
    tracks = _soft_tracks(transcript, work) if spec.soft else []
    if tracks:
        sub_inputs = inputs
        for path, _, _ in tracks:
            args += ["-f", "srt", "-i", input_url(path)]
    args += _maps(source, dub_input, sub_inputs, len(tracks))
    if mode is not None:
        font = find_font()
        shown = label_text(mode, transcript) if label else None
        script = burn_script(transcript, mode, source.width, source.height, font=font.family, label=shown)
        script_path = work / "burn.ass"
        script_path.write_text(script, encoding="utf-8")
        args += ["-vf", ass_filter(script_path, font.path.parent)]
        args += ["-c:v", "libx264", "-crf", str(CRF), "-preset", PRESET, "-pix_fmt", "yuv420p"]
        args += ["-fps_mode", "passthrough"]  # every frame kept with its time, even in a VFR phone clip
    elif source.video_codec is not None:
        args += ["-c:v", "copy"]
    args += _audio_codecs(source, muxer, dub_input is not None, transcript.language)
    args += _subtitle_codecs(tracks, CONTAINERS_SUBTITLES[muxer], muxer)
    if muxer in ("mp4", "mov"):
        args += ["-movflags", "+faststart"]
    if dub_input is not None:
        args += ["-metadata", f"comment={FILE_COMMENT}"]
    return args


# -- what goes in -------------------------------------------------------------------------------------


def _container(output: Path) -> str:
    try:
        return CONTAINERS[output.suffix.lower()]
    except KeyError:
        raise OptionsError(
            f"{output}: tolmach cannot tell the container from '{output.suffix or 'no suffix'}'",
            f"name the output with one of {', '.join(CONTAINERS)}",
        ) from None


def _burn_mode(burn: str | None, transcript: Transcript) -> str | None:
    """ "en", "orig", "both" or None; the clip's own language code means "orig"."""
    if burn is None:
        return None
    mode = "orig" if burn == transcript.language else burn
    if mode not in BURN_MODES:
        raise OptionsError(
            f"--burn {burn}: not a choice for this clip (its language is {transcript.language})",
            f"choose en, {transcript.language}, orig or both",
        )
    if transcript.language == "en" and mode != "orig":
        return "orig"  # the original is the English: one track, shown once
    if mode != "orig" and not any(s.translation.strip() for s in transcript.segments):
        raise OptionsError(
            f"{transcript.media.path}: has no English text to burn in", "translate it with English on"
        )
    return mode


def _same_file(a: Path, b: Path) -> bool:
    try:
        return b.exists() and os.path.samefile(a, b)
    except OSError:
        return False


def _probe_source(name: str) -> _Source:
    data, result = ffprobe_json(name)
    if data is None:
        raise InputError(f"{name}: not an audio or video file ffmpeg can read ({result.tail})")
    streams: list[dict[str, Any]] = data.get("streams") or []
    video = next(
        (
            s
            for s in streams
            if s.get("codec_type") == "video" and not (s.get("disposition") or {}).get("attached_pic")
        ),
        None,
    )
    audio = next((s for s in streams if s.get("codec_type") == "audio"), None)
    width, height = (int(video.get("width") or 0), int(video.get("height") or 0)) if video else (0, 0)
    if video is not None and _rotation(video) % 180 == 90:  # ffmpeg turns the frames upright first
        width, height = height, width
    try:
        duration = float((data.get("format") or {}).get("duration") or 0)
    except ValueError:
        duration = 0.0
    return _Source(
        video_codec=str(video.get("codec_name")) if video else None,
        width=width,
        height=height,
        audio_codec=str(audio.get("codec_name")) if audio else None,
        duration_ms=round(duration * 1000),
    )


def _rotation(stream: dict[str, Any]) -> int:
    for side in stream.get("side_data_list") or []:
        if "rotation" in side:
            return round(float(side["rotation"])) % 360
    try:
        return int((stream.get("tags") or {}).get("rotate", 0)) % 360
    except ValueError:
        return 0


def _maps(source: _Source, dub: int | None, subs: int | None, n_subs: int) -> list[str]:
    args = []
    if source.video_codec is not None:
        args += ["-map", "0:v:0"]
    if source.audio_codec is not None:
        args += ["-map", "0:a:0"]
    if dub is not None:
        args += ["-map", f"{dub}:a:0"]
    if subs is not None:
        for i in range(n_subs):
            args += ["-map", f"{subs + i}:s:0"]
    return args


def _audio_codecs(source: _Source, muxer: str, dub: bool, language: str) -> list[str]:
    """Original audio copied (AAC only where the container cannot hold it); the voice-over as AAC."""
    args: list[str] = []
    index = 0
    if source.audio_codec is not None:
        fits = muxer == "matroska" or source.audio_codec in MP4_AUDIO
        args += ["-c:a:0", "copy"] if fits else ["-c:a:0", "aac", "-b:a:0", AUDIO_BITRATE]
        title = f"Original audio ({LANGUAGE_NAMES.get(language, language)})"
        args += _stream_tags(f"a:{index}", iso639_2(language), title, muxer)
        args += ["-disposition:a:0", "default"]
        index += 1
    if dub:
        args += [f"-c:a:{index}", "aac", f"-b:a:{index}", AUDIO_BITRATE]
        args += _stream_tags(f"a:{index}", "eng", DUB_TITLE, muxer)
        args += [f"-metadata:s:a:{index}", f"comment={DUB_COMMENT}", f"-disposition:a:{index}", "0"]
    return args


def _stream_tags(stream: str, language: str, title: str, muxer: str) -> list[str]:
    # MP4 keeps no per-track title; players show the handler name instead, so it gets the title too.
    args = [f"-metadata:s:{stream}", f"language={language}", f"-metadata:s:{stream}", f"title={title}"]
    if muxer != "matroska":
        args += [f"-metadata:s:{stream}", f"handler_name={title}"]
    return args


# -- soft subtitles -----------------------------------------------------------------------------------


def _soft_tracks(transcript: Transcript, work: Path) -> list[tuple[Path, str, str]]:
    """(SRT file, ISO 639-2 code, title) per language, original first: the files ``translate`` writes."""
    tracks = []
    files = render_format("srt", transcript)
    reviewer = transcript.reviewer
    for i, (suffix, text) in enumerate(files.items()):
        lang = suffix.removesuffix(".srt")
        path = work / f"track{i}.srt"
        path.write_text(text, encoding="utf-8")
        name = LANGUAGE_NAMES.get(lang, lang)
        if reviewer:
            title = f"{name} (reviewed by {reviewer})"
        elif lang == "en" and transcript.language != "en":
            title = f"{name} (machine translation, not reviewed)"
        else:
            title = f"{name} (machine transcript, not reviewed)"
        tracks.append((path, iso639_2(lang), title))
    return tracks


def _subtitle_codecs(tracks: list[tuple[Path, str, str]], codec: str, muxer: str) -> list[str]:
    if not tracks:
        return []
    args = ["-c:s", codec]
    default = next((i for i, (_, lang, _) in enumerate(tracks) if lang == "eng"), 0)
    for i, (_, lang, title) in enumerate(tracks):
        args += _stream_tags(f"s:{i}", lang, title, muxer)
        args += [f"-disposition:s:{i}", "default" if i == default else "0"]
    return args


# -- progress -----------------------------------------------------------------------------------------


@contextmanager
def _progress_file(
    work: Path, duration_ms: int, progress: Callable[[int], None] | None
) -> Iterator[list[str]]:
    """ffmpeg options that report progress, and a thread turning its reports into ``progress`` calls.

    ffmpeg writes ``out_time_us=...`` lines to the file every half second; the helper that runs it waits
    for it to finish, so a thread reads the file meanwhile.
    """
    if progress is None:
        yield []
        return
    path = work / "progress.txt"
    path.touch()
    done = threading.Event()

    def watch() -> None:
        while not done.wait(0.5):
            found = re.findall(rb"out_time_us=(\d+)", path.read_bytes())
            if found:
                progress(min(int(found[-1]) // 1000, duration_ms or int(found[-1]) // 1000))

    thread = threading.Thread(target=watch, name="tolmach-render-progress", daemon=True)
    thread.start()
    try:
        yield ["-progress", input_url(path), "-stats_period", "0.5"]
    finally:
        done.set()
        thread.join()
