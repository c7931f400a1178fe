"""Rebuild tests/data/sample-ru.mp4 (and its reference transcript) from the ru-read recordings.

    .venv/bin/python tests/data/make_sample.py [--source /work/shared/bench-data/ru-read] [--out tests/data]

The clip is three consecutive recordings (ru_0001..ru_0003, Russian read speech, see COPYRIGHT.ru-read)
joined with silence, muxed under a dark title card that shows the running time. Everything is pinned so a
rebuild with the same ffmpeg is byte-identical: bitexact flags, no metadata, one encoder thread.

This is a test-data tool, not part of the package, so it calls ffmpeg directly instead of going through
tolmach.media (the one place the package itself may run ffmpeg).
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import shutil
import subprocess
from pathlib import Path

RECORDINGS = ("ru_0001", "ru_0002", "ru_0003")
LEAD_S = 0.5  # silence before the first recording
PAUSE_S = 0.6  # silence between recordings
TOTAL_S = 32.5  # padded to a whole number of video frames (10 fps)
SOURCE_RATE = 16000  # the recordings' sample rate
FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
HERE = Path(__file__).resolve().parent


def _samples(wav: Path) -> int:
    out = subprocess.run(
        ["ffprobe", "-v", "error", "-select_streams", "a:0", "-show_entries", "stream=duration_ts",
         "-of", "default=noprint_wrappers=1:nokey=1", str(wav)],
        check=True, capture_output=True, text=True,
    )  # fmt: skip
    return int(out.stdout.strip())


def _video_filter() -> str:
    card = f"color=c=0x1c2330:s=320x180:r=10:d={TOTAL_S}"
    if not FONT.exists():  # a plain colour card still makes a valid clip
        return card
    font = f"fontfile={FONT}:fontcolor=0xd0d0d0"
    lines = [
        ("tolmach sample clip (ru)", 18, 50),
        ("speech\\: N. V. Shmyrev 2005, modified", 12, 90),
        ("%{pts\\:hms}", 16, 130),
    ]
    text = ",".join(
        f"drawtext={font}:fontsize={size}:x=(w-text_w)/2:y={y}:text='{t}'" for t, size, y in lines
    )
    return f"{card},{text}"


def build(source: Path, out: Path) -> Path:
    wavs = [source / "audio" / f"{rid}.wav" for rid in RECORDINGS]
    rows = {r["id"]: r for r in csv.DictReader((source / "index.tsv").open(encoding="utf-8"), delimiter="\t")}

    # Inputs: the three recordings, then the title card; silence comes from anullsrc inside the graph.
    args = ["ffmpeg", "-nostdin", "-hide_banner", "-v", "error", "-y"]
    for wav in wavs:
        args += ["-i", str(wav)]
    args += ["-f", "lavfi", "-i", _video_filter()]

    def gap(seconds: float, label: str) -> str:
        return f"anullsrc=r={SOURCE_RATE}:cl=mono:d={seconds}[{label}]"

    graph = ";".join(
        [
            gap(LEAD_S, "s0"),
            gap(PAUSE_S, "s1"),
            gap(PAUSE_S, "s2"),
            f"[s0][0:a][s1][1:a][s2][2:a]concat=n=6:v=0:a=1,apad=whole_dur={TOTAL_S},"
            f"atrim=end={TOTAL_S},aresample=48000[a]",
        ]
    )
    mp4 = out / "sample-ru.mp4"
    args += [
        "-filter_complex", graph, "-map", "3:v", "-map", "[a]",
        "-c:v", "libx264", "-preset", "veryslow", "-tune", "stillimage", "-crf", "32", "-g", "50",
        "-pix_fmt", "yuv420p", "-threads", "1",
        "-c:a", "aac", "-b:a", "48k", "-ac", "1",
        "-metadata:s:a:0", "language=rus",
        "-fflags", "+bitexact", "-flags:v", "+bitexact", "-flags:a", "+bitexact", "-map_metadata", "-1",
        "-t", str(TOTAL_S), str(mp4),
    ]  # fmt: skip
    subprocess.run(args, check=True)

    # Reference transcript: one line per recording, plus a TSV with where each one sits in the clip.
    start = LEAD_S * 1000
    tsv_lines = ["id\tstart_ms\tend_ms\ttranscript"]
    for rid, wav in zip(RECORDINGS, wavs, strict=True):
        end = start + _samples(wav) * 1000 / SOURCE_RATE
        tsv_lines.append(f"{rid}\t{round(start)}\t{round(end)}\t{rows[rid]['transcript']}")
        start = end + PAUSE_S * 1000
    (out / "sample-ru.txt").write_text("\n".join(rows[r]["transcript"] for r in RECORDINGS) + "\n", "utf-8")
    (out / "sample-ru.tsv").write_text("\n".join(tsv_lines) + "\n", "utf-8")
    shutil.copyfile(source / "COPYRIGHT", out / "COPYRIGHT.ru-read")
    return mp4


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, default=Path("/work/shared/bench-data/ru-read"))
    parser.add_argument("--out", type=Path, default=HERE)
    ns = parser.parse_args()
    mp4 = build(ns.source, ns.out)
    digest = hashlib.sha256(mp4.read_bytes()).hexdigest()
    print(f"{mp4}: {mp4.stat().st_size} bytes, sha256 {digest}")


if __name__ == "__main__":
    main()
