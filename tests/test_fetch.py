"""tolmach.media.fetch against real yt-dlp and a real HTTP server on 127.0.0.1 serving the sample clip.

yt-dlp's generic extractor fetches the clip as a site would serve it; errors come from the same server
(404, a page with no video, a stream without a size) or from a closed port. Nothing here leaves the
machine.
"""

from __future__ import annotations

import functools
import http.server
import os
import re
import shutil
import socket
import sys
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from tolmach.errors import InputError, MissingExtraError
from tolmach.media.fetch import HINT, Fetched, fetch, is_url
from tolmach.media.files import sha256_file

DATA = Path(__file__).parent / "data"
SAMPLE = DATA / "sample-ru.mp4"
MODIFIED = datetime(2024, 3, 5, 12, 0, tzinfo=UTC).timestamp()

pytest.importorskip("yt_dlp", reason="needs the optional extra tolmach[fetch]")


class _Handler(http.server.SimpleHTTPRequestHandler):
    """Serves a folder; under /nolength/ it sends a file without Content-Length, as live streams do."""

    def do_GET(self) -> None:
        if not self.path.startswith("/nolength/"):
            super().do_GET()
            return
        data = (Path(self.directory) / self.path.removeprefix("/nolength/")).read_bytes()
        self.send_response(200)
        self.send_header("Content-Type", "video/mp4")
        self.end_headers()
        self.wfile.write(data)  # HTTP/1.0: the end of the connection ends the file

    def log_message(self, format: str, *args: Any) -> None:
        pass


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # yt-dlp hangs up after the first bytes of a probe or of a refused download


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The base URL of a local server holding a copy of the sample clip."""
    root = tmp_path_factory.mktemp("site")
    shutil.copyfile(SAMPLE, root / "sample-ru.mp4")
    os.utime(root / "sample-ru.mp4", (MODIFIED, MODIFIED))  # sent as Last-Modified: the generic upload date
    videos = '<video src="sample-ru.mp4"></video>'
    (root / "two.html").write_text(f"<html><title>Two clips</title><body>{videos * 2}</body></html>")
    server = _Server(("127.0.0.1", 0), functools.partial(_Handler, directory=str(root)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()
    thread.join()


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("https://www.youtube.com/watch?v=dQw4w9WgXcQ", True),
        ("http://127.0.0.1:8000/clip.mp4", True),
        ("HTTPS://example.org/a", True),
        ("https://", False),
        ("file:///tmp/clip.mp4", False),
        ("ftp://example.org/clip.mp4", False),
        ("clip.mp4", False),
        ("/tmp/http://clip.mp4", False),
        ("./https:/clip.mp4", False),
        ("", False),
    ],
)
def test_is_url(source: str, expected: bool) -> None:
    assert is_url(source) is expected


def test_fetch_saves_the_clip_and_where_it_came_from(site: str, tmp_path: Path) -> None:
    url = f"{site}/sample-ru.mp4"
    seen: list[tuple[int, int | None]] = []
    got = fetch(url, tmp_path, progress=lambda done, total: seen.append((done, total)))
    assert isinstance(got, Fetched)
    assert got.path == tmp_path / "sample-ru.mp4"
    assert sha256_file(got.path) == sha256_file(SAMPLE)
    assert [p.name for p in tmp_path.iterdir()] == ["sample-ru.mp4"]
    assert (got.url, got.webpage_url, got.extractor) == (url, url, "generic")
    assert (got.title, got.uploader, got.upload_date) == ("sample-ru", "", "2024-03-05")
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", got.fetched_at)
    size = SAMPLE.stat().st_size
    assert seen[-1] == (size, size)
    assert all(total == size for _, total in seen)


def test_fetch_never_replaces_a_file(site: str, tmp_path: Path) -> None:
    (tmp_path / "sample-ru.mp4").write_bytes(b"mine")
    got = fetch(f"{site}/sample-ru.mp4", tmp_path)
    assert got.path == tmp_path / "sample-ru-2.mp4"
    assert (tmp_path / "sample-ru.mp4").read_bytes() == b"mine"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["sample-ru-2.mp4", "sample-ru.mp4"]


def test_fetch_creates_the_folder(site: str, tmp_path: Path) -> None:
    got = fetch(f"{site}/sample-ru.mp4", tmp_path / "new" / "job")
    assert got.path.parent == tmp_path / "new" / "job"


def test_not_found_names_the_url_and_404(site: str, tmp_path: Path) -> None:
    url = f"{site}/missing.mp4"
    with pytest.raises(InputError) as err:
        fetch(url, tmp_path)
    assert err.value.message == f"cannot fetch {url}: HTTP error 404 (File not found)"
    assert err.value.hint == HINT
    assert list(tmp_path.iterdir()) == []


def test_connection_refused_fails_fast(tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{closed_port()}/clip.mp4"
    start = time.monotonic()
    with pytest.raises(InputError) as err:
        fetch(url, tmp_path, timeout_s=2)
    assert time.monotonic() - start < 10
    assert err.value.message == f"cannot fetch {url}: connection refused"
    assert "download the video yourself" in err.value.hint
    assert list(tmp_path.iterdir()) == []


def test_a_page_without_video(site: str, tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"^cannot fetch http://127\.0\.0\.1:\d+/: no video found there"):
        fetch(f"{site}/", tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_a_page_of_several_videos_is_refused_before_downloading(site: str, tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"two\.html: it holds several videos") as err:
        fetch(f"{site}/two.html", tmp_path)
    assert err.value.hint == "pass the URL of one video"
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("path", ["sample-ru.mp4", "nolength/sample-ru.mp4"])
def test_too_large_leaves_nothing(site: str, tmp_path: Path, path: str) -> None:
    # With a Content-Length yt-dlp refuses before downloading; without one the progress hook stops it.
    url = f"{site}/{path}"
    with pytest.raises(InputError) as err:
        fetch(url, tmp_path, max_bytes=100_000)
    assert err.value.message == f"cannot fetch {url}: too large, over the limit of 100,000 bytes"
    assert list(tmp_path.iterdir()) == []


def test_a_stream_without_a_size_within_the_limit(site: str, tmp_path: Path) -> None:
    seen: list[tuple[int, int | None]] = []
    got = fetch(
        f"{site}/nolength/sample-ru.mp4",
        tmp_path,
        max_bytes=SAMPLE.stat().st_size,
        progress=lambda done, total: seen.append((done, total)),
    )
    assert sha256_file(got.path) == sha256_file(SAMPLE)
    assert seen[-1][0] == SAMPLE.stat().st_size


def test_missing_yt_dlp_names_the_extra(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "yt_dlp", None)  # how a package that is not installed imports
    with pytest.raises(MissingExtraError) as err:
        fetch("https://example.org/clip.mp4", tmp_path / "out")
    assert err.value.hint == "pip install 'tolmach[fetch]'"
    assert "fetching a URL" in err.value.message
    assert not (tmp_path / "out").exists()


def test_only_http_urls_are_fetched(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"^cannot fetch file:///etc/passwd: not an http or https URL$"):
        fetch("file:///etc/passwd", tmp_path)
    assert list(tmp_path.iterdir()) == []
