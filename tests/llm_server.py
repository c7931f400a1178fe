"""A small OpenAI-compatible server for the llm engine's tests, scripted request by request.

It runs on 127.0.0.1 in a thread (the standard library's ``ThreadingHTTPServer``) and answers
``POST /v1/chat/completions`` and ``GET /v1/models``. Its "model" translates by transliterating the
Cyrillic into Latin letters and prefixing the line's id (``"12: Mы stoiali"`` style), so a test can check
exactly which input line every output line came from. ``script`` holds what the next translation
requests do, one entry each, then every later one answers correctly:

``"ok"``, ``"fenced"`` (the JSON in a Markdown code fence), ``"short"`` (the last entry left out),
``"extra"`` (an unknown id added), ``"merge"`` (the first two lines merged into the first id, the rest
moved up one: the shift the engine must never accept), ``"broken"`` (not JSON), ``"cyrillic"`` (the
lines left untranslated), ``"slow:S"`` (answer after S seconds), ``"429:S"`` (rate-limited, Retry-After S),
``"500"``, ``"401"``, ``"400-json"`` (refuses response_format, once). Summary requests (no ``lines``) are
answered with a fixed sentence and not counted against the script.
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

LATIN = dict(
    zip(
        "абвгдеёжзийклмнопрстуфхцчшщъыьэюяієїґ",
        "a b v g d e e zh z i i k l m n o p r s t u f kh ts ch sh shch _ y _ e iu ia i ie i g".split(),  # noqa: SIM905
        strict=True,
    )
)
SUMMARY = "A man describes the shelling of a city."


def transliterate(text: str) -> str:
    out = []
    for ch in text:
        low = ch.lower()
        if low in LATIN:
            latin = LATIN[low].replace("_", "")
            out.append(latin.capitalize() if ch != low else latin)
        else:
            out.append(ch)
    return "".join(out)


def english(number: int, text: str) -> str:
    """What the fake model answers for a line: its id and its transliteration."""
    return f"{number}: {transliterate(text)}"


@dataclass
class LlmServer:
    models: tuple[str, ...] = ("test-model",)
    script: list[str] = field(default_factory=list)
    requests: list[dict[str, Any]] = field(default_factory=list)  # every POST: headers and body
    port: int = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    @property
    def translation_requests(self) -> list[dict[str, Any]]:
        return [r for r in self.requests if r["lines"] is not None]

    def respond(self, body: dict[str, Any]) -> tuple[int, dict[str, str], str]:
        user = next((m["content"] for m in body["messages"] if m["role"] == "user"), "")
        try:
            request = json.loads(user)
            lines = request["lines"] if isinstance(request, dict) else None
        except ValueError:
            lines = None
        if lines is None:
            return 200, {}, _completion(SUMMARY)
        action = self.script.pop(0) if self.script else "ok"
        kind, _, arg = action.partition(":")
        entries = [{"id": line["id"], "en": english(line["id"], line["text"])} for line in lines]
        if kind == "slow":
            time.sleep(float(arg))
        elif kind == "429":
            return 429, {"Retry-After": arg or "0"}, json.dumps({"error": {"message": "slow down"}})
        elif kind in ("500", "401"):
            return int(kind), {}, json.dumps({"error": {"message": f"scripted {kind}"}})
        elif kind == "400-json":
            if "response_format" in body:
                return 400, {}, json.dumps({"error": {"message": "response_format is not supported"}})
        elif kind == "short":
            entries = entries[:-1]
        elif kind == "extra":
            entries.append({"id": 999, "en": "surplus"})
        elif kind == "merge" and len(entries) > 1:
            merged = entries[0]["en"] + " " + entries[1]["en"]
            texts = [merged, *(e["en"] for e in entries[2:])]
            entries = [{"id": e["id"], "en": t} for e, t in zip(entries, texts, strict=False)]
        elif kind == "broken":
            return 200, {}, _completion('{"translations": [{"id": 1, "en": "unterminated')
        elif kind == "cyrillic":
            entries = [{"id": line["id"], "en": line["text"]} for line in lines]
        content = json.dumps({"translations": entries}, ensure_ascii=False)
        if kind == "fenced":
            content = f"```json\n{content}\n```"
        return 200, {}, _completion(content)

    @contextmanager
    def running(self) -> Iterator[LlmServer]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                if self.path.rstrip("/") == "/v1/models":
                    data = {"object": "list", "data": [{"id": m, "object": "model"} for m in server.models]}
                    self._send(200, {}, json.dumps(data))
                else:
                    self._send(404, {}, "{}")

            def do_POST(self) -> None:
                size = int(self.headers.get("Content-Length", "0"))
                body = json.loads(self.rfile.read(size))
                user = next((m["content"] for m in body["messages"] if m["role"] == "user"), "")
                try:
                    parsed = json.loads(user)
                    lines = [line["id"] for line in parsed["lines"]] if isinstance(parsed, dict) else None
                except (ValueError, KeyError, TypeError):
                    lines = None
                server.requests.append({"headers": dict(self.headers), "body": body, "lines": lines})
                if self.path.rstrip("/") != "/v1/chat/completions":
                    self._send(404, {}, "{}")
                    return
                status, headers, text = server.respond(body)
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):  # the client gave up waiting
                    self._send(status, headers, text)

            def _send(self, status: int, headers: dict[str, str], text: str) -> None:
                data = text.encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for key, value in headers.items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(data)

        httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        httpd.daemon_threads = True
        self.port = httpd.server_address[1]
        thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        thread.start()
        try:
            yield self
        finally:
            httpd.shutdown()
            httpd.server_close()


def _completion(content: str) -> str:
    return json.dumps(
        {
            "id": "chatcmpl-test",
            "object": "chat.completion",
            "choices": [
                {"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}
            ],
        },
        ensure_ascii=False,
    )
