"""Search latency over a large archive of real text, beside a plain ``LIKE`` scan of the same table.

    python bench/search.py [--segments 100000] [--keep DIR]

The archive is built with ``Archive.save``, one clip at a time, from real sentences and their English:
Russian from WMT newstest2021 and generaltest2022 (ru-en), FLORES-200 devtest and the ru-phone prompts;
Ukrainian from WMT generaltest2022 (uk-en) and FLORES-200 (``../shared/bench-data``). Clips of 200
segments take consecutive lines from a random place in their language's text, so the ~7,000 distinct
lines repeat across clips as phrases repeat across testimonies. Each clip's original is a tiny file of
its own (only its sha256 matters to the archive). A quarter of the clips are Ukrainian; dates filmed
spread over 2022-2024 (a tenth have none and fall back to the date added); 1-3 tags each; about 5% of
lines doubtful; place names really present in a line (Москва, Київ, Украина ...) are its entities.

Queries: a fixed mix of single inflected Russian and Ukrainian words (frequent, rare, absent), English
words and phrases, quoted Russian phrases, and queries with filters. After one warm-up pass on a fresh
connection, the whole mix runs ``--rounds`` times, shuffled with a fixed seed; each call of
``search()`` (SQL, ranking, highlighting, snippets) is timed with ``perf_counter``. Three of the
commonest words alone are timed too and reported apart, to show how time grows with the lines matched.

Baseline, in the same process on the same database: for every query without filters,
``SELECT id, text, translation FROM segments WHERE <column> LIKE '%query%' LIMIT 20`` (column ``text``
for Cyrillic queries, ``translation`` for English), what a naive archive would run. It neither ranks nor
matches other inflections (and SQLite's LIKE folds case only for ASCII), so it does less work per hit;
the ratio is our p95 over its p95 on the same queries. Results go to ``bench/results/search.txt`` when run
at the default size.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import os
import platform
import random
import re
import sqlite3
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import DATA, ROOT, clips
from tolmach.archive import Archive, Filters, search
from tolmach.records import ClipInfo, Entity, Flag, MediaInfo, ModelInfo, Segment, Transcript

SEGMENTS = 100_000
PER_CLIP = 200
RESULTS = ROOT / "bench" / "results" / "search.txt"
TAGS = ("testimony", "frontline", "civilians", "evacuation", "prisoners", "interview", "shelling", "drone")
TEXTS = {  # (folder under bench-data/text, source file, English file)
    "ru": [
        ("wmt21_ru-en", "newstest2021.ru-en.src.ru", "newstest2021.ru-en.ref.A.en"),
        ("wmt22_general_ru-en", "generaltest2022.ru-en.src.ru", "generaltest2022.ru-en.ref.A.en"),
        ("flores200_devtest", "rus_Cyrl.devtest", "eng_Latn.devtest"),
    ],
    "uk": [
        ("wmt22_general_uk-en", "generaltest2022.uk-en.src.uk", "generaltest2022.uk-en.ref.A.en"),
        ("flores200_devtest", "ukr_Cyrl.devtest", "eng_Latn.devtest"),
    ],
}
# Places that occur in the text, as a stem, the nominative and the English; up to 3 letters of ending.
PLACES = [
    ("Москв", "Москва", "Moscow"),
    ("Киев", "Киев", "Kyiv"),
    ("Київ", "Київ", "Kyiv"),
    ("Украин", "Украина", "Ukraine"),
    ("Україн", "Україна", "Ukraine"),
    ("Росси", "Россия", "Russia"),
    ("Росі", "Росія", "Russia"),
    ("Херсон", "Херсон", "Kherson"),
    ("Харьков", "Харьков", "Kharkiv"),
    ("Харків", "Харків", "Kharkiv"),
]
_PLACE = re.compile(r"\b(" + "|".join(p[0] for p in PLACES) + r")\w{0,3}\b")

# (kind, query, filters): what people type, most of it found in the corpus, some of it not.
QUERIES: list[tuple[str, str, Filters]] = [
    ("ru word", "войны", Filters()),
    ("ru word", "года", Filters()),  # one of the commonest content words
    ("ru word", "они", Filters()),  # a pronoun: stems to "он", so matches он, она, онлайн too
    ("ru word", "Москвы", Filters()),
    ("ru word", "президента", Filters()),
    ("ru word", "полиции", Filters()),
    ("ru word", "ракеты", Filters()),
    ("ru word", "Волконского", Filters()),  # rare: one line of the corpus
    ("ru word", "командира", Filters()),  # absent from the corpus; its stem prefixes «командированные»
    ("uk word", "України", Filters()),
    ("uk word", "дітей", Filters()),
    ("en word", "military", Filters()),
    ("en word", "missile", Filters()),
    ("en word", "children", Filters()),
    ("en phrase", "prime minister", Filters()),
    ("en phrase", "armed forces", Filters()),
    ("en phrase", "law enforcement", Filters()),
    ("ru phrase", '"по данным"', Filters()),
    ("ru phrase", '"в России"', Filters()),
    ("filtered", "войны", Filters(since="2023-01", until="2023-12")),
    ("filtered", "Ukraine", Filters(tag="frontline")),
    ("filtered", "Путин", Filters(lang="ru")),
    ("filtered", "України", Filters(lang="uk", since="2024")),
    ("filtered", "президента", Filters(doubtful=True)),
    ("filtered", "war", Filters(entity="Ukraine")),
    ("filtered", "", Filters(entity="Moscow", doubtful=True)),
]
# Reported apart: nobody searches for «в» alone, but these show how time grows with the lines matched.
COMMONEST: list[tuple[str, str, Filters]] = [
    ("commonest", "в", Filters()),
    ("commonest", "и", Filters()),
    ("commonest", "the", Filters()),
]


@dataclass(frozen=True)
class Line:
    text: str
    english: str


def corpus() -> dict[str, list[Line]]:
    """Real lines with their English, by language."""
    found: dict[str, list[Line]] = {}
    for lang, files in TEXTS.items():
        for folder, source, english in files:
            pairs = zip(_lines(f"{folder}/{source}"), _lines(f"{folder}/{english}"), strict=True)
            found.setdefault(lang, []).extend(Line(t, e) for t, e in pairs if t and e)
    found["ru"] += [Line(c.transcript, c.english) for c in clips("ru-phone")]
    return found


def _lines(name: str) -> list[str]:
    path = DATA / "text" / name
    if not path.is_file():
        raise SystemExit(f"{path}: bench data not found (set TOLMACH_BENCH_DATA)")
    return [line.strip() for line in path.read_text(encoding="utf-8").splitlines()]


def places(text: str) -> tuple[Entity, ...]:
    by_stem = {p[0]: p for p in PLACES}
    return tuple(
        Entity("place", m.group(), m.start(), m.end(), by_stem[m.group(1)][1], by_stem[m.group(1)][2])
        for m in _PLACE.finditer(text)
    )


FakeClip = tuple[Transcript, ClipInfo]


def fake_clips(lines: dict[str, list[Line]], total: int, folder: Path) -> Iterator[FakeClip]:
    """Clips of real lines; each original a small file of its own in ``folder``."""
    rng = random.Random(1)
    first = date(2022, 1, 1)
    for number in range((total + PER_CLIP - 1) // PER_CLIP):
        lang = "uk" if number % 4 == 3 else "ru"
        pool = lines[lang]
        at = rng.randrange(len(pool))
        segments, clock = [], 0
        for k in range(min(PER_CLIP, total - number * PER_CLIP)):
            line = pool[(at + k) % len(pool)]
            end = clock + max(1000, 60 * len(line.text))  # about 16 characters a second
            doubtful = rng.random() < 0.05
            flags = (Flag("low-logprob", "sampled as doubtful"),) if doubtful else ()
            segments.append(
                Segment(
                    k + 1,
                    clock,
                    end,
                    line.text,
                    line.english,
                    doubtful=doubtful,
                    flags=flags,
                    entities=places(line.text),
                )
            )
            clock = end + 300
        original = folder / f"clip-{number:04d}.mp4"
        original.write_bytes(f"tolmach search bench clip {number}\n".encode())
        data = original.read_bytes()
        media = MediaInfo(str(original), hashlib.sha256(data).hexdigest(), len(data), clock, "mov,mp4")
        transcript = Transcript(
            media, lang, 1.0, True, ModelInfo("base", "/m", "sha"), tuple(segments), options={"lang": lang}
        )
        filmed = "" if rng.random() < 0.1 else (first + timedelta(days=rng.randrange(3 * 365))).isoformat()
        tags = tuple(rng.sample(TAGS, rng.randint(1, 3)))
        yield transcript, ClipInfo(str(original), title=f"Testimony {number + 1}", filmed=filmed, tags=tags)


def build(home: Path, total: int) -> float:
    """Fill the archive at ``home``; returns the seconds it took."""
    lines = corpus()
    print(f"corpus: {len(lines['ru'])} Russian and {len(lines['uk'])} Ukrainian lines with English")
    began = time.perf_counter()
    with Archive(home) as archive, tempfile.TemporaryDirectory() as folder:
        for n, (transcript, info) in enumerate(fake_clips(lines, total, Path(folder)), 1):
            key = {"lang": transcript.language, "model": "base"}
            archive.save(transcript, info, key, original=Path(info.source))
            if n % 100 == 0:
                print(f"  {n} clips, {time.perf_counter() - began:.0f} s", flush=True)
        archive.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return time.perf_counter() - began


def like(conn: sqlite3.Connection, query: str) -> int:
    column = "translation" if query.isascii() else "text"
    pattern = "%" + query.strip('"') + "%"
    sql = f"SELECT id, text, translation FROM segments WHERE {column} LIKE ? LIMIT 20"
    return len(conn.execute(sql, (pattern,)).fetchall())


def percentile(times: list[float], share: float) -> float:
    ordered = sorted(times)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered) + 0.5) - 1))]


Times = dict[int, list[float]]  # milliseconds, by index into QUERIES + COMMONEST


def measure(home: Path, rounds: int) -> tuple[Times, Times, list[int], float]:
    """Our times and the LIKE times per query, lines matched per query, the slowest warm-up query (ms)."""
    queries = QUERIES + COMMONEST
    ours: Times = {i: [] for i in range(len(queries))}
    base: Times = {i: [] for i, q in enumerate(queries) if q[0] != "filtered"}
    with Archive(home) as archive:  # a fresh connection: the warm-up pass meets a cold page cache
        conn = archive.conn
        first = 0.0
        for _kind, query, filters in queries:
            began = time.perf_counter()
            search(conn, query, filters)
            first = max(first, time.perf_counter() - began)
        for i in base:
            like(conn, queries[i][1])
        matches = [len(search(conn, query, filters, limit=10**6)) for _kind, query, filters in queries]
        order = [i for _ in range(rounds) for i in range(len(queries))]
        random.Random(7).shuffle(order)
        for i in order:
            _kind, query, filters = queries[i]
            began = time.perf_counter()
            search(conn, query, filters)
            ours[i].append((time.perf_counter() - began) * 1000)
            if i in base:
                began = time.perf_counter()
                like(conn, query)
                base[i].append((time.perf_counter() - began) * 1000)
    return ours, base, matches, first * 1000


def machine() -> str:
    cpuinfo = Path("/proc/cpuinfo")
    names = [line for line in cpuinfo.read_text().splitlines() if line.startswith("model name")]
    model = names[0].split(":", 1)[1].strip() if names else platform.machine()
    python = platform.python_version()
    return f"{model}, {os.cpu_count()} cores, Python {python}, SQLite {sqlite3.sqlite_version}"


def report(ours: Times, base: Times, matches: list[int]) -> list[str]:
    queries = QUERIES + COMMONEST
    mix = range(len(QUERIES))
    head = f"{'query':46}{'lines':>7}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'max ms':>9}{'LIKE p95':>10}"

    def row(name: str, times: list[float], found: str, like_times: list[float]) -> str:
        ps = [percentile(times, s) for s in (0.5, 0.95, 0.99, 1.0)]
        tail = f"{percentile(like_times, 0.95):10.2f}" if like_times else f"{'-':>10}"
        return f"{name[:45]:46}{found:>7}" + "".join(f"{p:9.2f}" for p in ps) + tail

    def line(i: int) -> str:
        kind, query, filters = queries[i]
        shown = " ".join(f"{k}={v}" for k, v in vars(filters).items() if v)
        return row(f"{kind}: {query or '(none)'} {shown}", ours[i], str(matches[i]), base.get(i, []))

    out = [head, *(line(i) for i in mix), ""]
    for kind in dict.fromkeys(q[0] for q in QUERIES):
        ids = [i for i in mix if queries[i][0] == kind]
        out.append(
            row(
                f"all {kind}",
                [t for i in ids for t in ours[i]],
                "",
                [t for i in ids for t in base.get(i, [])],
            )
        )
    out.append(row("all queries", [t for i in mix for t in ours[i]], "", []))
    same = [i for i in mix if i in base]
    mine, like_all = [t for i in same for t in ours[i]], [t for i in same for t in base[i]]
    out.append(row("unfiltered queries (the LIKE ones)", mine, "", like_all))
    ratio = percentile(mine, 0.95) / percentile(like_all, 0.95)
    out.append(f"ratio, p95 ours / p95 LIKE on the {len(same)} unfiltered queries: {ratio:.2f}")
    out += [
        "",
        "not in the mix: the commonest words alone",
        *(line(i) for i in range(len(QUERIES), len(queries))),
    ]
    return out


def _count(db: Path) -> tuple[int, int]:
    with contextlib.closing(sqlite3.connect(db)) as conn:
        lines, runs = conn.execute("SELECT count(*), count(DISTINCT run_id) FROM segments").fetchone()
    return lines, runs


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--segments", type=int, default=SEGMENTS, help=f"lines (default {SEGMENTS})")
    parser.add_argument("--rounds", type=int, default=30, help="passes over the query mix (default 30)")
    parser.add_argument("--keep", type=Path, help="build (or reuse) the archive here and keep it")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as scratch:
        home = args.keep or Path(scratch)
        db = home / "archive.db"
        if db.is_file() and _count(db)[0]:
            print(f"reusing the archive in {home}")
            took = None
        else:
            took = build(home, args.segments)
        lines, clip_count = _count(db)
        size = db.stat().st_size / 2**20
        ours, base, matches, first = measure(home, args.rounds)
    out = [
        f"$ python bench/search.py{' --segments ' + str(args.segments) if args.segments != SEGMENTS else ''}",
        f"{time.strftime('%Y-%m-%d')}, {machine()}",
        f"archive: {lines} segments in {clip_count} clips; archive.db {size:.0f} MiB"
        + (f"; built in {took:.0f} s ({lines / took:.0f} segments/s)" if took else ""),
        f"{len(QUERIES)} queries x {args.rounds} rounds, shuffled, limit 20; 'lines': all the lines a query"
        f" matches; slowest query of the warm-up pass {first:.0f} ms",
        "",
        *report(ours, base, matches),
    ]
    print("\n" + "\n".join(out))
    if args.segments == SEGMENTS:
        RESULTS.write_text("\n".join(out) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
