"""The archive on real SQLite and a real file store: schema, runs, reuse, IDs, tags, removal, search.

Transcripts are built by hand here (no speech model), so every assertion is exact; the command line
over a real translated clip is in test_cli_archive.py.
"""

from __future__ import annotations

import hashlib
import sqlite3
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from records import LINES, make_clip, make_transcript

from tolmach.archive import Archive, Filters, plain, search
from tolmach.archive.archive import run_id_for
from tolmach.archive.db import MIGRATIONS
from tolmach.errors import InputError, OptionsError
from tolmach.records import ClipInfo


@pytest.fixture
def archive(tmp_path: Path) -> Archive:
    with Archive(tmp_path / "home") as a:
        yield a


@pytest.fixture
def clip(tmp_path: Path) -> Path:
    return make_clip(tmp_path, "clip.mp4", b"not really a video, but bytes with a sha256")


def test_schema_wal_foreign_keys_and_migrations_recorded(archive: Archive) -> None:
    assert archive.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert archive.conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    names = [r[0] for r in archive.conn.execute("SELECT name FROM migrations ORDER BY name")]
    assert names == [name for name, _ in MIGRATIONS]
    tables = {r[0] for r in archive.conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert {"clips", "runs", "segments", "entities", "tags", "sources", "outputs", "segments_fts"} <= tables


def test_reopening_applies_no_migration_twice(tmp_path: Path) -> None:
    Archive(tmp_path / "h").close()
    with Archive(tmp_path / "h") as again:
        count = again.conn.execute("SELECT count(*) FROM migrations").fetchone()[0]
    assert count == len(MIGRATIONS)


def test_save_stores_original_once_read_only_and_round_trips(archive: Archive, clip: Path) -> None:
    t = make_transcript(clip)
    info = ClipInfo(source=str(clip), title="Trench", place="near Bakhmut", filmed="2023-04-02", tags=("a",))
    srt = b"1\n00:00:00,000 --> 00:00:01,000\nHi\n"
    run = archive.save(t, info, {"beam_size": 5}, {"en.srt": srt})
    stored = archive.original(t.media.sha256)
    assert stored.read_bytes() == clip.read_bytes()
    assert not stored.stat().st_mode & 0o222  # read-only: originals are never modified
    assert archive.transcript(run) == t
    assert archive.outputs(run) == {
        "en.srt": hashlib.sha256(b"1\n00:00:00,000 --> 00:00:01,000\nHi\n").hexdigest()
    }
    record = archive.clip(t.media.sha256)
    assert (record.info.title, record.info.place, record.info.filmed, record.info.tags) == (
        "Trench",
        "near Bakhmut",
        "2023-04-02",
        ("a",),
    )
    assert record.sources[0][0] == str(clip)
    assert [r.id for r in record.runs] == [run]


def test_same_key_is_the_same_run_and_other_options_add_a_run(archive: Archive, clip: Path) -> None:
    t = make_transcript(clip)
    first = archive.save(t, ClipInfo(source="a"), {"beam_size": 5})
    again = archive.save(t, ClipInfo(source="b"), {"beam_size": 5})
    other = archive.save(replace(t, segments=t.segments[:2]), ClipInfo(source="a"), {"beam_size": 1})
    assert first == again != other
    assert first == run_id_for(t.media.sha256, {"beam_size": 5})[0]
    record = archive.clip(t.media.sha256)
    assert {r.id for r in record.runs} == {first, other}
    assert [r.current for r in record.runs if r.id == other] == [True]
    assert {s for s, _ in record.sources} == {"a", "b"}
    assert archive.conn.execute("SELECT count(*) FROM segments").fetchone()[0] == len(LINES) + 2
    # both runs stay addressable, each by its own ID prefix
    assert len(archive.transcript(first).segments) == len(LINES)
    assert archive.resolve(other[:8]) == (t.media.sha256, other)


def test_ids_resolve_by_prefix_and_reject_bad_or_ambiguous(archive: Archive, tmp_path: Path) -> None:
    saved = {}
    for n in range(40):  # enough clips for some to share a first hex digit
        t = make_transcript(make_clip(tmp_path, f"c{n}.mp4", f"clip {n}".encode()))
        saved[t.media.sha256] = archive.save(t, ClipInfo(source=f"c{n}"), {"n": n})
    sha, run = next(iter(saved.items()))
    assert archive.resolve(sha[:12]) == (sha, run)
    assert archive.resolve(sha.upper()[:12]) == (sha, run)
    first_digits = [s[0] for s in saved]
    shared = next(d for d in first_digits if first_digits.count(d) > 1)
    with pytest.raises(InputError, match="not an archive ID"):
        archive.resolve(shared)  # too short
    with pytest.raises(InputError, match="not an archive ID"):
        archive.resolve("xyz12345")
    with pytest.raises(InputError, match="no clip or run with ID 0000000000"):
        archive.resolve("0000000000")
    common = min((a for a in saved for b in saved if a != b and a[:4] == b[:4]), default=None)
    if common is not None:
        with pytest.raises(InputError, match="ambiguous"):
            archive.resolve(common[:4])


def test_list_tags_and_remove(archive: Archive, clip: Path, tmp_path: Path) -> None:
    t = make_transcript(clip)
    other = make_transcript(make_clip(tmp_path, "other.mp4", b"another clip"), LINES[:1])
    archive.save(t, ClipInfo(source="x", tags=("bakhmut",)), {})
    archive.save(other, ClipInfo(source="y"), {}, {"txt": b"shared output"})
    archive.save(t, ClipInfo(source="x"), {"k": 2}, {"txt": b"shared output"})
    assert archive.tag(t.media.sha256, ["2023", "front"], ["bakhmut"]) == ("2023", "front")
    listed = {c.id: c for c in archive.clips()}
    assert (listed[t.media.sha256].lines, listed[t.media.sha256].doubtful) == (len(LINES), 1)
    assert listed[t.media.sha256].runs == 2
    assert [c.id for c in archive.clips(tag="front")] == [t.media.sha256]

    removed = archive.remove(t.media.sha256)
    assert removed == 1  # the original; the output is still used by the other clip
    assert not archive.store.has(t.media.sha256)
    assert archive.store.has(hashlib.sha256(b"shared output").hexdigest())
    assert [c.id for c in archive.clips()] == [other.media.sha256]
    for table in ("runs", "segments", "entities", "tags", "sources"):
        rows = archive.conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
        assert rows == {"runs": 1, "segments": 1, "entities": 1, "tags": 0, "sources": 1}[table], table
    fts = archive.conn.execute("SELECT count(*) FROM segments_fts WHERE segments_fts MATCH 'Бахмутом'")
    assert fts.fetchone()[0] == 1  # the index forgot the removed clip's lines


def test_original_changed_while_storing_is_refused(archive: Archive, clip: Path) -> None:
    t = make_transcript(clip)
    clip.write_bytes(b"edited after hashing")
    with pytest.raises(Exception, match="changed while it was being stored"):
        archive.save(t, ClipInfo(source="x"), {})
    assert archive.clips() == []
    assert not any(archive.store.root.rglob("*.tmp*"))


def test_open_refuses_a_file_that_is_not_a_database(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    (home / "archive.db").write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(Exception, match="cannot open the archive database"):
        Archive(home)


# -- search ---------------------------------------------------------------------------------------


@pytest.fixture
def filled(archive: Archive, clip: Path, tmp_path: Path) -> Archive:
    archive.save(make_transcript(clip), ClipInfo(source="x", filmed="2023-04-02", tags=("bakhmut",)), {})
    uk = [("Ми стояли під Бахмутом, у Бахмуті було важко.", "We stood near Bakhmut, it was hard in Bakhmut.")]
    clip_uk = make_clip(tmp_path, "uk.mp4", b"ukrainian clip")
    archive.save(make_transcript(clip_uk, uk, "uk"), ClipInfo(source="y", filmed="2024-01-10"), {})
    return archive


@pytest.mark.parametrize("query", ["Бахмут", "Бахмута", "Бахмуте", "бахмутом", "Бахмуті"])
def test_inflected_forms_find_every_form(filled: Archive, query: str) -> None:
    hits = search(filled.conn, query)
    assert sorted((h.language, h.segment) for h in hits) == [("ru", 1), ("ru", 2), ("ru", 4), ("uk", 1)]
    texts = {plain(h.text) for h in hits}
    assert "Мы стояли под [Бахмутом] три недели." in texts
    assert "Ми стояли під [Бахмутом], у [Бахмуті] було важко." in texts


def test_english_words_and_phrases_with_both_snippets(filled: Archive) -> None:
    hits = search(filled.conn, '"company commander"')
    assert [(h.segment, h.speaker) for h in hits] == [(2, "S2")]
    assert plain(hits[0].translation) == "The [company] [commander] said it was quiet in Bakhmut."
    assert plain(hits[0].text) == "Командир роты сказал, что в Бахмуте тихо."
    assert [h.segment for h in search(filled.conn, "commanders")] == [2]  # English stemming
    assert [h.segment for h in search(filled.conn, '"командира роты"')] == [2]  # phrase by stems
    assert [h.segment for h in search(filled.conn, "елки")] == [5]  # ё and е are one letter here
    assert search(filled.conn, "командированные") == []  # stems match whole, not as prefixes


def test_filters(filled: Archive) -> None:
    def segments(**filters: object) -> list[tuple[str, int]]:
        return sorted((h.language, h.segment) for h in search(filled.conn, "Бахмут", Filters(**filters)))

    assert segments(lang="uk") == [("uk", 1)]
    assert segments(tag="bakhmut") == [("ru", 1), ("ru", 2), ("ru", 4)]
    assert segments(since="2024") == [("uk", 1)]
    assert segments(until="2023-12") == [("ru", 1), ("ru", 2), ("ru", 4)]
    assert segments(since="2023-04-02", until="2023-04-02") == [("ru", 1), ("ru", 2), ("ru", 4)]
    assert [h.segment for h in search(filled.conn, "мобиков", Filters(doubtful=True))] == [3]
    assert segments(entity="Bakhmut") == [("ru", 1), ("ru", 2), ("ru", 4), ("uk", 1)]
    only_entity = search(filled.conn, "", Filters(entity="Бахмут", lang="ru"))
    assert sorted(h.segment for h in only_entity) == [1, 2, 4]
    with pytest.raises(OptionsError, match="not a date"):
        search(filled.conn, "Бахмут", Filters(since="April"))
    with pytest.raises(OptionsError, match="empty"):
        search(filled.conn, "  ")
    by_tag = search(filled.conn, "", Filters(tag="bakhmut"))  # filters alone list lines
    assert [h.segment for h in by_tag] == [1, 2, 3, 4, 5]


def test_fts_syntax_in_a_query_is_plain_text(filled: Archive) -> None:
    for query in ["Бахмут OR", "NEAR(x", '"unbalanced', "col:Бахмут", "a AND NOT b"]:
        search(filled.conn, query)  # no sqlite3.OperationalError from FTS5 syntax
    assert [h.segment for h in search(filled.conn, "text:Бахмута")] == []  # no column filter either
    with pytest.raises(OptionsError, match="empty"):
        search(filled.conn, "* ()")


def test_only_the_current_run_is_searched(archive: Archive, clip: Path) -> None:
    t = make_transcript(clip)
    archive.save(t, ClipInfo(source="x"), {"k": 1})
    assert len(search(archive.conn, "Бахмут")) == 3
    archive.save(replace(t, segments=t.segments[:1]), ClipInfo(source="x"), {"k": 2})
    assert [h.segment for h in search(archive.conn, "Бахмут")] == [1]


def test_any_human_change_keeps_a_run_current_and_searched(archive: Archive, clip: Path) -> None:
    """Not only reviewed marks: a named speaker is work too; list and search stay on that run."""
    t = make_transcript(clip)
    worked = archive.save(t, ClipInfo(source="x"), {"k": 1})
    archive.edit(worked, 1, "speaker", "Company commander", "Olena")
    newer = archive.save(replace(t, segments=t.segments[:1]), ClipInfo(source="x"), {"k": 2})
    assert archive.current_run(t.media.sha256) == worked != newer
    [listed] = archive.clips()
    assert (listed.run_id, listed.lines, listed.runs) == (worked, len(LINES), 2)
    assert sorted(h.segment for h in search(archive.conn, "Бахмут")) == [1, 2, 4]
    runs = {(r.id, r.current, r.worked_on) for r in archive.runs(t.media.sha256)}
    assert runs == {(worked, True, True), (newer, False, False)}


def test_a_killed_writer_leaves_nothing_half_written(tmp_path: Path, clip: Path) -> None:
    """Simulate a kill inside the transaction: a failure after the segments rows were written."""
    with Archive(tmp_path / "home") as archive:
        t = make_transcript(clip)

        def boom(*args: object) -> None:
            raise KeyboardInterrupt

        archive._insert_segment = boom  # type: ignore[method-assign]
        with pytest.raises(KeyboardInterrupt):
            archive.save(t, ClipInfo(source="x"), {})
    with Archive(tmp_path / "home") as again:
        assert again.clips() == []
        assert again.conn.execute("SELECT count(*) FROM runs").fetchone()[0] == 0
        assert again.conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        again.save(t, ClipInfo(source="x"), {})
        assert len(again.clips()) == 1


def test_sqlite_has_fts5() -> None:
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE VIRTUAL TABLE t USING fts5(x)")


def _save_one(home: str, folder: str, n: int, start: Any, results: Any) -> None:
    from tolmach.archive import Archive as OpenArchive

    transcript = make_transcript(make_clip(Path(folder), f"p{n}.mp4", f"process {n}".encode()))
    start.wait()  # all at once, on an archive that does not exist yet
    with OpenArchive(home) as archive:
        results.put(archive.save(transcript, ClipInfo(source=f"p{n}"), {"n": n}))


def test_processes_creating_and_writing_one_new_archive_at_once_lose_nothing(tmp_path: Path) -> None:
    import multiprocessing

    ctx = multiprocessing.get_context("spawn")
    count, home = 8, tmp_path / "new-home"
    start, results = ctx.Barrier(count), ctx.Queue()
    procs = [
        ctx.Process(target=_save_one, args=(str(home), str(tmp_path), n, start, results))
        for n in range(count)
    ]
    for p in procs:
        p.start()
    runs = {results.get(timeout=30) for _ in procs}  # a process that failed never puts
    for p in procs:
        p.join(timeout=60)
        assert p.exitcode == 0
    with Archive(home) as archive:
        assert len(archive.clips()) == count
        assert {r[0] for r in archive.conn.execute("SELECT id FROM runs")} == runs
        assert archive.conn.execute("SELECT count(*) FROM migrations").fetchone()[0] == len(MIGRATIONS)
