"""Who is calling: the bearer token, the login session cookie, and the CSRF check on every mutation.

With a token (any address but loopback needs one) every API call must carry ``Authorization: Bearer
TOKEN`` or the session cookie the login form sets. Without one (127.0.0.1 only) nobody logs in, but a
session cookie is still issued, because mutations always need the cookie's CSRF value echoed in an
``X-CSRF-Token`` header: a page on another site can make a browser send the cookie, never the header.

The cookie is signed, not stored: its key is derived from a secret kept in the archive folder and from
the token, so it survives a restart and dies when the token changes. Nothing here trusts a name, a
cookie or a header that it did not sign or compare in constant time, with one exception: a call made
with the bearer token and no session names its author in ``X-Tolmach-Author`` (whoever holds the
token may edit, and so may say who they are), and a mutation without one is refused.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import json
import os
import secrets
import time
from dataclasses import dataclass
from pathlib import Path

from fastapi import Request, Response

from tolmach.web.config import WebConfig
from tolmach.web.errors import WebError

COOKIE = "tolmach_session"
CSRF_HEADER = "x-csrf-token"
AUTHOR_HEADER = "x-tolmach-author"  # who a token-only call is by (a session names its own)
SESSION_DAYS = 7  # a login lasts a working week
SECRET_FILE = Path("keys") / "web-session.key"  # in the archive folder, beside the manifest key
MUTATIONS = ("POST", "PUT", "PATCH", "DELETE")
MAX_NAME = 80
HINT_LOGIN = "send 'Authorization: Bearer TOKEN', or log in at /login"
HINT_CSRF = "send the csrf value of GET /api/session in an X-CSRF-Token header, with the session cookie"


@dataclass(frozen=True)
class Session:
    name: str  # who the edits are by
    csrf: str  # the value mutations must echo in X-CSRF-Token


@dataclass(frozen=True)
class Caller:
    name: str  # who its edits are by; "" for a read made with the token alone and no name
    auth: str  # "token" when the server wants a token, else "local"
    csrf: str  # "" when the call came with a bearer token and no session
    session: Session | None  # the session cookie's content, when it came with a valid one


class Sessions:
    """Issues and checks session cookies for one app."""

    def __init__(self, config: WebConfig) -> None:
        self.config = config
        secret = load_secret(config.home / SECRET_FILE)
        self.key = hmac.new(secret, b"session\0" + (config.token or "").encode(), hashlib.sha256).digest()

    @property
    def mode(self) -> str:
        return "token" if self.config.token else "local"

    def new(self, name: str | None = None) -> Session:
        return Session(name=clean_name(name or "") or self.config.author, csrf=secrets.token_urlsafe(32))

    def cookie_value(self, session: Session) -> str:
        payload = {"n": session.name, "c": session.csrf, "e": int(time.time()) + SESSION_DAYS * 86400}
        data = _b64(json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode())
        return f"{data}.{_b64(self._mac(data))}"

    def read(self, request: Request) -> Session | None:
        """The session of the request's cookie, or None when absent, forged, expired or malformed."""
        value = request.cookies.get(COOKIE, "")
        data, _, mac = value.partition(".")
        if not data or not hmac.compare_digest(_b64(self._mac(data)).encode(), mac.encode()):
            return None
        try:
            payload = json.loads(base64.urlsafe_b64decode(data + "=" * (-len(data) % 4)))
            name, csrf, expires = str(payload["n"]), str(payload["c"]), int(payload["e"])
        except (ValueError, KeyError, TypeError):
            return None
        return Session(name, csrf) if expires > time.time() and csrf else None

    def issue(self, request: Request, response: Response, session: Session) -> None:
        response.set_cookie(
            COOKIE,
            self.cookie_value(session),
            max_age=SESSION_DAYS * 86400,
            httponly=True,  # scripts never need it: the CSRF value comes from the page or /api/session
            samesite="strict",
            secure=request.url.scheme == "https",
            path="/",
        )

    def forget(self, response: Response) -> None:
        response.delete_cookie(COOKIE, path="/", httponly=True, samesite="strict")

    def bearer_ok(self, request: Request) -> bool | None:
        """True for the right bearer token, False for a wrong one, None when none was sent."""
        header = request.headers.get("authorization")
        if not header or not self.config.token:
            return None
        scheme, _, value = header.partition(" ")
        return scheme.lower() == "bearer" and _same(value.strip(), self.config.token)

    def login(self, token: str, name: str) -> Session:
        if not self.config.token or not _same(token.strip(), self.config.token):
            raise WebError(401, "wrong token", "ask whoever runs the server for the token")
        if not clean_name(name):
            raise WebError(400, "give your name", "it goes on every edit you make")
        return self.new(name)

    def _mac(self, data: str) -> bytes:
        return hmac.new(self.key, data.encode(), hashlib.sha256).digest()


def sessions(request: Request) -> Sessions:
    found: Sessions = request.app.state.sessions
    return found


def api_caller(request: Request) -> Caller:
    """The dependency of every /api route: who calls, and whether they may do what the method does."""
    auth = sessions(request)
    bearer = auth.bearer_ok(request)
    if bearer is False:
        raise WebError(401, "wrong bearer token", HINT_LOGIN)
    session = auth.read(request)
    if bearer and session is not None:
        return Caller(session.name, auth.mode, session.csrf, session)
    if bearer:
        return Caller(token_author(request), auth.mode, "", None)
    if auth.mode == "token" and session is None:
        raise WebError(401, "this server wants a token", HINT_LOGIN)
    if request.method in MUTATIONS:
        check_mutation(request, session)
    name = session.name if session else auth.config.author
    return Caller(name, auth.mode, session.csrf if session else "", session)


def token_author(request: Request) -> str:
    """Who a call made with the bearer token alone is by: the name it gives in X-Tolmach-Author.

    The token says the caller may edit, not who they are; the server's own user name would credit
    the edit to someone who did not make it, so a mutation without a name is refused.
    """
    name = clean_name(request.headers.get(AUTHOR_HEADER, ""))
    if not name and request.method in MUTATIONS:
        raise WebError(
            400,
            "an edit made with the token alone needs a name",
            "send your name in an X-Tolmach-Author header, or log in at /login",
        )
    return name


def check_mutation(request: Request, session: Session | None) -> None:
    if not same_origin(request):
        raise WebError(403, "a request from another site was refused", "use the pages of this server")
    if session is None:
        raise WebError(403, "no session cookie", HINT_CSRF)
    if not _same(request.headers.get(CSRF_HEADER, ""), session.csrf):
        raise WebError(403, "missing or wrong X-CSRF-Token header", HINT_CSRF)


def same_origin(request: Request) -> bool:
    """False when the browser says the request comes from a page of another origin."""
    origin = request.headers.get("origin")
    if origin is None:
        return True  # not a browser, or a same-origin GET: the CSRF value still has to match
    host = request.headers.get("host", "")
    return origin.partition("://")[2].rstrip("/").lower() == host.lower()


def clean_name(name: str) -> str:
    return " ".join(name.split())[:MAX_NAME]


def load_secret(path: Path) -> bytes:
    """The archive's session secret, created on first use; two servers starting together get the same."""
    try:
        return _load_secret(path)
    except OSError as exc:
        from tolmach.media.files import output_error

        raise output_error(path, exc) from exc


def _load_secret(path: Path) -> bytes:
    with contextlib.suppress(FileNotFoundError):
        return path.read_bytes()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.write(fd, secrets.token_bytes(32))
        os.fsync(fd)
    finally:
        os.close(fd)
    try:
        os.link(tmp, path)  # unlike rename, fails when another process created it first
    except FileExistsError:
        pass
    finally:
        tmp.unlink()
    return path.read_bytes()


def _same(given: str, expected: str) -> bool:
    return hmac.compare_digest(given.encode(), expected.encode())


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()
