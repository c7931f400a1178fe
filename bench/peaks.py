"""Waveform peaks of a two-hour clip, beside a plain decode of the same file, and the review page with them.

    python bench/peaks.py [--minutes 120] [--rounds 5]

The clip is real speech: the 81 ru-read recordings (``../shared/bench-data``, 11.7 minutes) joined in
their index order and looped to ``--minutes``, encoded as a phone or a camera would, AAC 128 kb/s
48 kHz stereo in MP4, audio only (a video stream would only add to the baseline's decode: peaks never
decode it). Then, in the same process, on the same file:

- ``write_peaks``: ffmpeg decodes, downmixes and resamples to 16 kHz mono, numpy takes each 20 ms
  window's loudest sample from the pipe block by block. Timed with ``perf_counter``; CPU seconds of
  this process and of ffmpeg (``getrusage``); this process's peak resident memory (sampled every
  50 ms) over what it held before.
- Baseline: ``ffmpeg -i clip -f null -``, the cost of decoding the audio and nothing else.

Then the clip is stored in an archive (a line per recording, with its real transcript and times, and
the transcript again for English, so that the page's data is as large as a real run's), its
peaks made as the web worker makes them (``warm_peaks``), and, through FastAPI's TestClient, each of
what the review page opens is fetched ``--rounds`` times: its HTML (``/clips/{id}``), the clip and its
lines (``/api/clips/{id}``), and the peaks (``/api/clips/{id}/peaks``, cached). Target: the page's
three requests together under 2 s. Results go to ``bench/results/peaks.txt`` when run at the default
length.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import statistics
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import ROOT, PeakRss, clips
from tolmach.archive import Archive
from tolmach.archive.archive import PEAKS
from tolmach.media import probe
from tolmach.media.ffmpeg import input_url, run_ffmpeg
from tolmach.media.peaks import Peaks, write_peaks
from tolmach.records import ClipInfo, MediaInfo, ModelInfo, Segment, Transcript

MINUTES = 120
RESULTS = ROOT / "bench" / "results" / "peaks.txt"
TARGET_S = 2.0  # the review page of a two-hour clip opens in under this


def make_clip(folder: Path, minutes: int) -> tuple[Path, list[Segment]]:
    """The looped recording, and a line per recording with its transcript, at its place in the loop."""
    recordings = clips("ru-read")
    listing = folder / "list.txt"
    listing.write_text("".join(f"file '{c.path}'\n" for c in recordings), encoding="utf-8")
    joined = folder / "joined.wav"
    run_ffmpeg(["-f", "concat", "-safe", "0", "-i", str(listing), "-c", "copy", str(joined)], what="bench")
    clip = folder / "clip.mp4"
    args = ["-stream_loop", "-1", "-i", input_url(joined), "-t", str(minutes * 60)]
    run_ffmpeg([*args, "-ac", "2", "-ar", "48000", "-c:a", "aac", "-b:a", "128k", str(clip)], what="bench")
    lengths = [int(probe(c.path).duration_ms) for c in recordings]
    segments: list[Segment] = []
    clock, end = 0, minutes * 60_000
    while clock < end:
        for recording, length in zip(recordings, lengths, strict=True):
            if clock + length > end:
                return clip, segments
            n = len(segments) + 1
            text = recording.transcript  # its English: the same text, as long as a real one
            segments.append(Segment(n, clock, clock + length, text, text))
            clock += length
    return clip, segments


def cpu() -> tuple[float, float]:
    """CPU seconds so far (user + system) of this process and of its finished children."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime, children.ru_utime + children.ru_stime


def measured(fn, *args, **kwargs):  # type: ignore[no-untyped-def]
    """fn's result, wall seconds, CPU seconds of this process and of the children, peak RSS over before."""
    rss = PeakRss()
    own0, kids0 = cpu()
    with rss.measure():
        before = rss.peak
        began = time.perf_counter()
        result = fn(*args, **kwargs)
        wall = time.perf_counter() - began
    own1, kids1 = cpu()
    return result, wall, own1 - own0, kids1 - kids0, rss.peak - before


def store(home: Path, clip: Path, segments: list[Segment]) -> str:
    media: MediaInfo = probe(clip)
    transcript = Transcript(
        replace(media, path=str(clip)), "ru", 1.0, True, ModelInfo("base", "/m", "sha"), tuple(segments)
    )
    with Archive(home) as archive:
        archive.save(transcript, ClipInfo(str(clip), title="Two hours"), {"bench": "peaks"}, original=clip)
    return media.sha256


def page_times(home: Path, clip_id: str, rounds: int) -> dict[str, list[float]]:
    from fastapi.testclient import TestClient

    from tolmach.web import WebConfig, create_app

    paths = {
        "page HTML": f"/clips/{clip_id[:12]}",
        "clip and lines": f"/api/clips/{clip_id[:12]}",
        "peaks": f"/api/clips/{clip_id[:12]}/peaks",
    }
    times: dict[str, list[float]] = {name: [] for name in paths}
    config = WebConfig(home=home, run_jobs=False, name="bench")
    with TestClient(create_app(config), base_url="http://127.0.0.1:8731") as c:
        for _ in range(rounds):
            for name, path in paths.items():
                began = time.perf_counter()
                r = c.get(path)
                times[name].append(time.perf_counter() - began)
                if r.status_code != 200:
                    raise SystemExit(f"{path}: {r.status_code} {r.text[:200]}")
    return times


def machine() -> str:
    cpuinfo = Path("/proc/cpuinfo")
    names = [line for line in cpuinfo.read_text().splitlines() if line.startswith("model name")]
    model = names[0].split(":", 1)[1].strip() if names else platform.machine()
    return f"{model}, {os.cpu_count()} cores, Python {platform.python_version()}"


def main(argv: list[str] | None = None) -> int:
    from tolmach.web.worker import warm_peaks

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--minutes", type=int, default=MINUTES, help=f"clip length (default {MINUTES})")
    parser.add_argument("--rounds", type=int, default=5, help="fetches of each page request (default 5)")
    args = parser.parse_args(argv)
    load = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        print(f"making a {args.minutes}-minute clip from ru-read ...", flush=True)
        began = time.perf_counter()
        clip, segments = make_clip(folder, args.minutes)
        made = time.perf_counter() - began
        size = clip.stat().st_size / 2**20
        null = ["-i", input_url(clip), "-f", "null", "-"]
        _, base_wall, _, base_cpu, _ = measured(run_ffmpeg, null, what="bench")
        target, wall, own, kids, rss = measured(write_peaks, clip, folder / "clip.peaks")
        _, base_wall2, _, base_cpu2, _ = measured(run_ffmpeg, null, what="bench")  # the load drifts
        data = target.read_bytes()
        peaks = Peaks.from_bytes(data)
        home = folder / "home"
        clip_id = store(home, clip, segments)
        with Archive(home) as archive:
            _, warm_wall, _, _, _ = measured(warm_peaks, archive, clip_id)
        if (home / PEAKS / f"{clip_id}.peaks").read_bytes() != data:
            raise SystemExit("the worker's peaks differ from write_peaks'")
        times = page_times(home, clip_id, args.rounds)
    baseline = (base_wall + base_wall2) / 2
    base_cpu_mean = (base_cpu + base_cpu2) / 2
    opened = [sum(t) for t in zip(*times.values(), strict=True)]
    out = [
        f"$ python bench/peaks.py{' --minutes ' + str(args.minutes) if args.minutes != MINUTES else ''}",
        f"{time.strftime('%Y-%m-%d')}, {machine()}; load average {load:.1f} at the start",
        f"clip: {args.minutes} min of ru-read looped, AAC 128 kb/s 48 kHz stereo in MP4, {size:.0f} MiB,"
        f" {len(segments)} lines; made in {made:.0f} s",
        "",
        f"{'':34}{'wall s':>8}{'x real time':>13}{'CPU s ffmpeg':>14}{'CPU s python':>14}",
        f"{'ffmpeg -i clip -f null - (mean)':34}{baseline:8.2f}{args.minutes * 60 / baseline:13.0f}"
        f"{base_cpu_mean:14.2f}{'-':>14}",
        f"{'write_peaks':34}{wall:8.2f}{args.minutes * 60 / wall:13.0f}{kids:14.2f}{own:14.2f}",
        f"ratio, write_peaks / baseline wall: {wall / baseline:.2f} (baseline runs: {base_wall:.2f},"
        f" {base_wall2:.2f} s)",
        f"write_peaks peak memory: {rss:.1f} MiB over the process's RSS before (the clip's 16 kHz PCM is"
        f" {args.minutes * 60 * 16000 * 2 / 2**20:.0f} MiB)",
        f"peaks file: {len(data):,} bytes ({len(peaks.values):,} peaks of {peaks.ms_per_peak} ms,"
        f" duration {peaks.duration_ms} ms, scale {peaks.scale:.3f})",
        f"worker's warm_peaks on the stored clip: {warm_wall:.2f} s",
        "",
        f"review page, {args.rounds} rounds through TestClient, peaks cached:",
        f"{'request':34}{'median ms':>10}{'max ms':>10}",
        *(f"{name:34}{statistics.median(t) * 1000:10.1f}{max(t) * 1000:10.1f}" for name, t in times.items()),
        f"{'all three (the page opening)':34}{statistics.median(opened) * 1000:10.1f}"
        f"{max(opened) * 1000:10.1f}",
        f"target: the page opens in under {TARGET_S:.0f} s: {'met' if max(opened) < TARGET_S else 'NOT met'}",
    ]
    print("\n" + "\n".join(out))
    if args.minutes == MINUTES:
        RESULTS.write_text("\n".join(out) + "\n", encoding="utf-8")
    return 0 if max(opened) < TARGET_S else 1


if __name__ == "__main__":
    sys.exit(main())
