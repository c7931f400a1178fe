"""The API's split, merge, insert and delete, their undo, and the approval, through FastAPI's TestClient.

The five-line hand-built clip of test_web_api.py (lines at 0-2.5 s, 3-5.5 s ... 12-14.5 s of 15 s), a
real archive: every assertion exact.
"""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("fastapi", reason="needs the 'web' extra")

from fastapi.testclient import TestClient
from records import LINES
from test_web_api import NAME, api, clip_id, csrf, error_of  # noqa: F401 (api and clip_id are fixtures)

from tolmach.archive import Archive


def ids(c: TestClient, clip: str) -> list[int]:
    return [s["id"] for s in c.get(f"/api/clips/{clip}").json()["segments"]]


def test_split_then_undo(api: TestClient, clip_id: str) -> None:  # noqa: F811 (fixtures imported above)
    h = csrf(api)
    at = LINES[1][0].index("что")
    r = api.post(
        f"/api/clips/{clip_id}/segments/2/split", json={"at": 4000, "text_at": at, "version": 1}, headers=h
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert set(body) == {"action", "lines", "revisions", "segments", "legend", "review"}
    assert (body["action"], body["lines"]) == ("split", [2, 6])
    assert [s["id"] for s in body["segments"]] == [1, 2, 6, 3, 4, 5] == ids(api, clip_id)
    second = body["segments"][2]
    assert (second["start"], second["end"], second["text"]) == (4000, 5500, "что в Бахмуте тихо.")
    assert {(r["action"], r["author"], r["step"]) for r in body["revisions"]} == {
        ("split", NAME, body["revisions"][0]["id"])
    }
    assert body["review"] == {"reviewed": 0, "total": 6, "reviewer": None, "approver": None, "withdrawn": ""}
    undo = api.post(f"/api/clips/{clip_id}/revisions/{body['revisions'][-1]['id']}/undo", headers=h)
    assert undo.status_code == 200, undo.text
    assert set(undo.json()) == {"segment", "revision", "review", "segments", "legend"}
    assert undo.json()["revision"]["action"] == "undo split" and undo.json()["segment"]["text"] == LINES[1][0]
    assert ids(api, clip_id) == [1, 2, 3, 4, 5]
    again = api.post(f"/api/clips/{clip_id}/revisions/{body['revisions'][0]['id']}/undo", headers=h)
    assert "undone already" in error_of(again, 409)


def test_refusals_say_why_and_change_nothing(api: TestClient, clip_id: str) -> None:  # noqa: F811 (fixtures imported above)
    h = csrf(api)
    base = f"/api/clips/{clip_id}/segments"
    outside = api.post(f"{base}/2/split", json={"at": 9000}, headers=h)
    assert "0:09.000 is not inside it" in error_of(outside, 422)
    stale = api.post(f"{base}/2/split", json={"at": 4000, "version": 4}, headers=h)
    assert stale.status_code == 409 and "your page shows version 4" in stale.json()["error"]
    assert [s["id"] for s in stale.json()["segments"]] == [1, 2, 3, 4, 5]
    assert api.post(f"{base}/2/split", json={"at": 4000, "extra": 1}, headers=h).status_code == 422
    assert "is the last line" in error_of(api.post(f"{base}/5/merge", json={}, headers=h), 400)
    over = api.post(base, json={"start": 2000, "end": 3500}, headers=h)
    assert "would overlap line 1 (0:00.000 to 0:02.500)" in error_of(over, 422)
    assert api.delete(f"{base}/9", headers=h).status_code == 404
    assert api.delete(f"{base}/2", headers={**h, "If-Match": '"3"'}).status_code == 409
    assert api.post(f"{base}/2/split", json={"at": 4000}).status_code == 403  # no CSRF header
    assert ids(api, clip_id) == [1, 2, 3, 4, 5]
    assert api.get(f"/api/clips/{clip_id}/revisions").json()["revisions"] == []


def test_merge_insert_delete_and_the_deleted_line_is_gone(api: TestClient, clip_id: str) -> None:  # noqa: F811 (fixtures imported above)
    h = csrf(api)
    base = f"/api/clips/{clip_id}/segments"
    merged = api.post(f"{base}/3/merge", json={"version": 1, "next_version": 1}, headers=h).json()
    assert (merged["action"], merged["lines"]) == ("merge", [3, 4]) and ids(api, clip_id) == [1, 2, 3, 5]
    assert api.get(f"{base}/4").status_code == 404
    added = api.post(
        base, json={"start": 14500, "end": 15000, "text": "Всё.", "translation": "That's all."}, headers=h
    )
    assert added.status_code == 201 and added.json()["lines"] == [6]
    assert added.json()["segments"][-1]["translation"] == "That's all."
    gone = api.delete(f"{base}/5", params={"version": 1}, headers=h).json()
    assert (gone["action"], gone["lines"], gone["review"]["total"]) == ("delete", [5], 4)
    assert ids(api, clip_id) == [1, 2, 3, 6]
    assert "That's all." in api.get(f"/api/clips/{clip_id}/export/en.srt").text
    assert "shelling" not in api.get(f"/api/clips/{clip_id}/export/en.srt").text
    hits = api.get("/api/search", params={"q": "обстрел"}).json()["hits"]
    assert hits == []
    undo = api.post(f"/api/clips/{clip_id}/revisions/{gone['revisions'][0]['id']}/undo", headers=h).json()
    assert ids(api, clip_id) == [1, 2, 3, 5, 6] and undo["segment"]["id"] == 5
    undo_insert = api.post(
        f"/api/clips/{clip_id}/revisions/{added.json()['revisions'][0]['id']}/undo", headers=h
    )
    assert undo_insert.status_code == 200 and undo_insert.json()["segment"] is None  # the line is gone again


def test_approval_through_the_api(api: TestClient, clip_id: str, archive_home: Path) -> None:  # noqa: F811 (fixtures imported above)
    h = csrf(api)
    assert "5 of 5 lines are not reviewed yet" in error_of(
        api.post(f"/api/clips/{clip_id}/approval", headers=h), 400
    )
    with Archive(archive_home) as archive:
        run = archive.run_of(clip_id)
        for n in range(1, 6):
            archive.edit_line(run, n, {"reviewed": "1"}, "olena")
    approved = api.post(f"/api/clips/{clip_id}/approval", headers=h)
    assert approved.status_code == 200, approved.text
    assert approved.json()["review"] == {
        "reviewed": 5, "total": 5, "reviewer": "olena", "approver": NAME, "withdrawn": "",
    }  # fmt: skip
    assert f"Translated by olena, approved by {NAME}" in api.get(f"/api/clips/{clip_id}/export/txt").text
    assert api.post(f"/api/clips/{clip_id}/approval").status_code == 403  # no CSRF header
    withdrawn = api.delete(f"/api/clips/{clip_id}/approval", headers=h).json()["review"]
    assert withdrawn["approver"] is None and withdrawn["withdrawn"].startswith(f"withdrawn by {NAME} at ")
    assert "no approval standing" in error_of(api.delete(f"/api/clips/{clip_id}/approval", headers=h), 400)


def test_a_mark_and_a_comment_through_the_api(api: TestClient, clip_id: str) -> None:  # noqa: F811 (fixtures imported above)
    h = csrf(api)
    r = api.patch(
        f"/api/clips/{clip_id}/segments/2", json={"mark": "unclear", "comment": "ask Ivan"}, headers=h
    )
    assert r.status_code == 200, r.text
    assert (r.json()["segment"]["mark"], r.json()["segment"]["comment"]) == ("unclear", "ask Ivan")
    srt = api.get(f"/api/clips/{clip_id}/export/en.srt").text
    assert "Bakhmut. [unclear]" in srt and "ask Ivan" not in srt
    bad = api.patch(f"/api/clips/{clip_id}/segments/2", json={"mark": "maybe"}, headers=h)
    assert "'maybe' is not a mark" in error_of(bad, 422)
