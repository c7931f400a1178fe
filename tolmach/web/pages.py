"""The HTML pages: archive, upload, review, and the login form when the server wants a token.

Pages are nearly empty shells: each template gets only who is logged in and the CSRF value (which it
puts in ``<meta name="csrf-token">``), and its script fetches everything else from the API. So no
transcript text is ever rendered here, and autoescaping covers the little that is.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from tolmach.web.auth import Session, same_origin, sessions
from tolmach.web.errors import WebError

router = APIRouter(include_in_schema=False)
_CLIP_ID = re.compile(r"^[0-9a-fA-F]{4,64}$")


def render(
    request: Request, template: str, session: Session | None, status: int = 200, **extra: Any
) -> Response:
    auth = sessions(request)
    context = {
        "request": request,
        "csrf": session.csrf if session else "",
        "name": session.name if session else "",
        "auth": auth.mode,
        **extra,
    }
    response: Response = request.app.state.templates.TemplateResponse(
        request, template, context, status_code=status
    )
    return response


def page(request: Request, template: str, **extra: Any) -> Response:
    """A page for a logged-in caller; without a token, everybody is, and gets a session on first visit."""
    auth = sessions(request)
    session = auth.read(request)
    if session is None and auth.mode == "token":
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/login?next={quote(target, safe='')}", status_code=303)
    fresh = session is None
    session = session or auth.new()
    response = render(request, template, session, **extra)
    if fresh:
        auth.issue(request, response, session)
    return response


@router.get("/")
def archive_page(request: Request) -> Response:
    return page(request, "archive.html")


@router.get("/upload")
def upload_page(request: Request) -> Response:
    return page(request, "upload.html")


@router.get("/clips/{clip_id}")
def review_page(request: Request, clip_id: str) -> Response:
    if not _CLIP_ID.match(clip_id):
        raise WebError(
            404, f"'{clip_id}' is not a clip ID", "clip IDs are hex, as the archive page shows them"
        )
    return page(request, "review.html", clip_id=clip_id.lower())


@router.get("/login")
def login_page(request: Request) -> Response:
    auth = sessions(request)
    if auth.mode == "local":
        return RedirectResponse("/", status_code=303)
    return render(request, "login.html", auth.read(request), error="", next=_next(request))


@router.post("/login")
async def login(request: Request) -> Response:
    """Check the token, then set the session cookie and go where the user was going."""
    auth = sessions(request)
    if auth.mode == "local":
        return RedirectResponse("/", status_code=303)
    if not same_origin(request):
        raise WebError(403, "a login from another site was refused", "log in on this server's page")
    form = await request.form()
    token, name = str(form.get("token", "")), str(form.get("name", ""))
    target = _safe_next(str(form.get("next", "")))
    try:
        session = auth.login(token, name)
    except WebError as e:
        return render(request, "login.html", None, status=e.status, error=e.message, next=target)
    response = RedirectResponse(target, status_code=303)
    auth.issue(request, response, session)
    return response


@router.api_route("/logout", methods=["GET", "POST"])
def logout(request: Request) -> Response:
    auth = sessions(request)
    response = RedirectResponse("/login" if auth.mode == "token" else "/", status_code=303)
    auth.forget(response)
    return response


def _next(request: Request) -> str:
    return _safe_next(request.query_params.get("next", ""))


def _safe_next(target: str) -> str:
    """Only a path on this server: '//evil.example' and 'https://...' would send the user elsewhere."""
    if target.startswith("/") and not target.startswith(("//", "/\\")):
        return target
    return "/"
