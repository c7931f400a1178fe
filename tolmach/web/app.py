"""The web app: ``create_app(config)`` wires the API, the pages, the static files and the job runner.

Everything that applies to every response lives here, once: the Host check (DNS rebinding), the
security headers (a Content-Security-Policy that allows nothing but this server's own files), and the
conversion of every error into JSON ``{"error", "hint"}`` with its status. It never serves anything
for an unsafe config: ``create_app`` refuses a non-loopback address without a token.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tolmach import __version__
from tolmach.errors import TolmachError
from tolmach.web import api, downloads, pages, runs, uploads
from tolmach.web.auth import Sessions
from tolmach.web.config import HostCheck, WebConfig
from tolmach.web.errors import body, status_for
from tolmach.web.worker import JobRunner

log = logging.getLogger("tolmach.web")
HERE = Path(__file__).parent
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; media-src 'self';"
    " connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self';"
    " frame-ancestors 'none'"
)
# /docs is FastAPI's Swagger UI: a script and a stylesheet from its CDN and one inline script to start
# it. The page shows only the API description, never transcript text, so it alone gets a looser policy.
DOCS_CSP = (
    "default-src 'self'; script-src 'self' https://cdn.jsdelivr.net 'unsafe-inline';"
    " style-src 'self' https://cdn.jsdelivr.net; img-src 'self' data: https://fastapi.tiangolo.com;"
    " object-src 'none'; base-uri 'none'; frame-ancestors 'none'"
)
HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
}


def create_app(config: WebConfig) -> FastAPI:
    """The app serving ``config.home``; OptionsError when the config is unsafe."""
    config.validate()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        runner = JobRunner(config.home) if config.run_jobs else None
        if runner is not None:
            runner.start()
        app.state.worker = runner
        try:
            yield
        finally:
            if runner is not None:
                runner.stop()

    app = FastAPI(
        title="tolmach",
        version=__version__,
        description="Review machine transcripts and translations of clips in a tolmach archive.",
        lifespan=lifespan,
    )
    app.state.config = config
    app.state.worker = None
    app.state.sessions = Sessions(config)
    app.state.templates = Jinja2Templates(directory=HERE / "templates")
    for router in (api.router, uploads.router, downloads.router, runs.router, pages.router):
        app.include_router(router)
    app.mount("/static", StaticFiles(directory=HERE / "static", check_dir=False), name="static")
    app.add_exception_handler(TolmachError, _tolmach_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(HTTPException, _http_error)
    app.add_exception_handler(Exception, _internal_error)
    # the last added runs first: every response, a refused Host's included, gets the headers
    app.add_middleware(TrustedHost, check=HostCheck(config))
    app.add_middleware(SecurityHeaders)
    return app


async def _tolmach_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, TolmachError)
    status = status_for(exc)
    if status >= 500:
        log.error("%s %s: %s", request.method, request.url.path, exc.one_line())
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return JSONResponse(body(exc), status_code=status, headers=headers)


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    problems = []
    for error in exc.errors():
        where = ".".join(str(p) for p in error.get("loc", ()) if p not in ("body", "query", "path"))
        problems.append(f"{where or 'the request'}: {error.get('msg', 'not valid')}")
    hint = "see /docs for the fields each route takes"
    return JSONResponse({"error": "; ".join(problems), "hint": hint}, status_code=422)


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, HTTPException)
    hints = {404: "see /docs for the routes", 405: "see /docs for the methods each route takes"}
    message = str(exc.detail) if exc.detail else "request refused"
    return JSONResponse(
        {"error": message.lower(), "hint": hints.get(exc.status_code, "")},
        status_code=exc.status_code,
        headers=exc.headers,
    )


async def _internal_error(request: Request, exc: Exception) -> JSONResponse:
    log.error("%s %s failed", request.method, request.url.path, exc_info=exc)
    body = {"error": f"internal error: {type(exc).__name__}", "hint": "see the server log"}
    return JSONResponse(body, status_code=500)


class SecurityHeaders:
    """Adds the CSP and the other security headers to every response that has not set its own."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        docs = scope["path"] in ("/docs", "/redoc")
        api = scope["path"].startswith("/api/")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {k.lower() for k, _ in message.get("headers", [])}
                extra = {"content-security-policy": DOCS_CSP if docs else CSP, **HEADERS}
                if api:
                    extra["cache-control"] = "no-store"  # testimony does not belong in shared caches
                message["headers"] = list(message.get("headers", [])) + [
                    (k.lower().encode(), v.encode())
                    for k, v in extra.items()
                    if k.lower().encode() not in present
                ]
            await send(message)

        await self.app(scope, receive, send_with_headers)


class TrustedHost:
    """Refuses requests whose Host header is not a name this server answers to (DNS rebinding)."""

    def __init__(self, app: ASGIApp, check: HostCheck) -> None:
        self.app = app
        self.check = check

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket"):
            host = dict(scope["headers"]).get(b"host", b"").decode("latin-1")
            if not self.check.allows(host):
                response = JSONResponse(
                    {"error": f"unknown Host header '{host}'", "hint": "open the address the server printed"},
                    status_code=400,
                )
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)
