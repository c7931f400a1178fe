"""Sign-off in two steps: a translator reviews every line, then a second person approves the clip.

A newsroom quotes a translation that two people stood behind: the one who checked each line against
the audio, and an editor who read it through. The approval is stored with the run's last revision at
that moment. It stands while nothing in the run changed since: any later revision (an edit, a reviewed
mark taken away, a split, an undo) withdraws it, and the state says which change did. The approver
must be someone other than the reviewers of the lines, and every line must be reviewed; both are
refused with the reason otherwise. An approver can also take their approval back.

The labels follow (``publish/lines.py``): "Reviewed by A" once every line is reviewed, "Translated by
A, approved by B" while an approval stands.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from tolmach.archive.db import now, write
from tolmach.errors import InputError, OptionsError


@dataclass(frozen=True)
class Approval:
    approver: str
    at: str
    standing: bool
    withdrawn: str  # why it no longer stands: "" while it does


def approve(conn: sqlite3.Connection, run_id: str, approver: str) -> Approval:
    """Approve the run as ``approver``. InputError while a line is unreviewed; OptionsError when the
    approver reviewed any of the lines now reviewed (a second person approves)."""
    from tolmach.archive import review

    approver = " ".join(approver.split())
    if not approver:
        raise OptionsError("an approval needs a name", "give your name: it goes on the label")
    with write(conn) as c:
        state = review.state(c, run_id)
        if not state.complete:
            raise InputError(
                f"{state.total - state.reviewed} of {state.total} lines are not reviewed yet",
                "a translator marks every line reviewed first; then a second person approves",
            )
        same = [r for r in state.reviewers if r.casefold() == approver.casefold()]
        if same:
            raise OptionsError(
                f"{same[0]} reviewed lines of this clip: the approval must come from someone else",
                "a second person approves, under their own name",
            )
        current = latest(c, run_id)
        if current is not None and current.standing:
            return current
        c.execute(
            "INSERT INTO approvals (run_id, approver, at, last_revision) VALUES (?, ?, ?, ?)",
            (run_id, approver, now(), _last_revision(c, run_id)),
        )
        approval = latest(c, run_id)
        assert approval is not None
        return approval


def withdraw(conn: sqlite3.Connection, run_id: str, author: str) -> Approval:
    """Take the standing approval back; InputError when none stands."""
    author = " ".join(author.split())
    with write(conn) as c:
        current = latest(c, run_id)
        if current is None or not current.standing:
            raise InputError("this clip has no approval standing", "nothing to withdraw")
        c.execute(
            "UPDATE approvals SET withdrawn = ? WHERE id = (SELECT max(id) FROM approvals WHERE run_id = ?)",
            (f"withdrawn by {author or current.approver} at {now()}", run_id),
        )
        approval = latest(c, run_id)
        assert approval is not None
        return approval


def latest(conn: sqlite3.Connection, run_id: str) -> Approval | None:
    """The run's last approval and whether it still stands; None when it was never approved."""
    row = conn.execute(
        "SELECT approver, at, last_revision, withdrawn FROM approvals WHERE run_id = ?"
        " ORDER BY id DESC LIMIT 1",
        (run_id,),
    ).fetchone()
    if row is None:
        return None
    approver, at, last, withdrawn = row
    if not withdrawn:
        later = conn.execute(
            "SELECT s.number, r.field, r.action, r.author, r.at FROM revisions r JOIN segments s"
            " ON s.id = r.segment_id WHERE s.run_id = ? AND r.id > ? ORDER BY r.id LIMIT 1",
            (run_id, last),
        ).fetchone()
        if later is not None:
            number, field, action, author, when = later
            what = f"line {number}'s {_FIELD.get(field, field)}"
            if action:
                from tolmach.archive.review import action_name

                what = f"a {action_name(action)} of line {number}"
            withdrawn = f"withdrawn by a later change: {what} by {author} at {when}"
    return Approval(approver, at, not withdrawn, withdrawn)


def _last_revision(c: sqlite3.Connection, run_id: str) -> int:
    row = c.execute(
        "SELECT coalesce(max(r.id), 0) FROM revisions r JOIN segments s ON s.id = r.segment_id"
        " WHERE s.run_id = ?",
        (run_id,),
    ).fetchone()
    return int(row[0])


_FIELD = {"translation": "English", "reviewed": "reviewed mark", "dismissed": "dismissed checks"}
