"""Short real clips for the batch tests: cut from the shipped sample and the ru-phone recordings."""

from __future__ import annotations

from pathlib import Path

from tolmach.media.ffmpeg import input_url, run_ffmpeg
from tolmach.options import Options

DATA = Path(__file__).parent / "data"
# (source, start s, length s, name): a wav, an mp4 with audio only, two flacs; 18 s of audio in all
CUTS = (
    ("sample-ru.mp4", 0, 5, "a.wav"),
    ("sample-ru.mp4", 17, 5, "b.mp4"),
    ("ru-phone/vm-nobox.flac", 0, 4, "c.flac"),
    ("ru-phone/tt-allbusy.flac", 0, 4, "d.flac"),
)
# fast and deterministic: greedy, one speaker, no entity pass
FAST = Options(lang="ru", beam_size=1, speakers="1", entities=False, formats=("srt", "vtt", "txt", "json"))
FAST_FLAGS = [
    "--lang",
    "ru",
    "--beam-size",
    "1",
    "--speakers",
    "1",
    "--no-entities",
    "--formats",
    "srt,vtt,txt,json",
]


def cut_clips(folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    made = []
    for source, start, length, name in CUTS:
        target = folder / name
        args = ["-ss", str(start), "-t", str(length), "-i", input_url(DATA / source), "-vn", str(target)]
        run_ffmpeg(args, what=source, output=str(target))
        made.append(target)
    return made
