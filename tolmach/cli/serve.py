"""``tolmach serve``: the review web app and its API on this machine (docs/WEB.md).

The command only builds a WebConfig, asks ``tolmach.web`` for the app and hands it to uvicorn; the web
packages are imported inside it, so every other command works without the 'web' extra.
"""

from __future__ import annotations

import os
import socket
from pathlib import Path
from typing import Annotated

import typer

from tolmach.cli import HomeOption, app, fail, out
from tolmach.errors import OptionsError, TolmachError


@app.command(
    epilog=(
        "Examples:\n\n  tolmach serve\n\n"
        "  tolmach serve --host 0.0.0.0 --token-file ~/.tolmach-token --name 'Olena K.'\n\n"
        "  tolmach serve --port 9000 --max-upload 500M"
    )
)
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on; anything but 127.0.0.1 needs a token.")] = (
        "127.0.0.1"
    ),
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8731,
    token_file: Annotated[
        Path | None,
        typer.Option(
            help="File holding the token callers must give (one line, 32+ characters).", show_default=False
        ),
    ] = None,
    name: Annotated[
        str, typer.Option(help="Whom edits are by when nobody logs in (default: your user name).")
    ] = "",
    max_upload: Annotated[str, typer.Option(help="Largest file an upload may hold, e.g. 500M or 4G.")] = "4G",
    allow_host: Annotated[
        list[str] | None,
        typer.Option("--allow-host", help="Another name the server is reached by (a Host header to accept)."),
    ] = None,
    home: HomeOption = None,
) -> None:
    """Serve the review pages and the REST API for the archive; the token may also come from TOLMACH_TOKEN."""
    from tolmach.archive import default_home
    from tolmach.web.config import WebConfig, parse_size, read_token

    try:
        token = read_token(token_file) if token_file is not None else os.environ.get("TOLMACH_TOKEN") or None
        config = WebConfig(
            home=(home or default_home()).expanduser(),
            host=host,
            port=port,
            token=token.strip() if token else None,
            name=name,
            max_upload=parse_size(max_upload),
            allowed_hosts=tuple(allow_host or ()),
        ).validate()
        from tolmach.web import create_app, require_web

        require_web()
        web_app = create_app(config)
        sock = _bind(config.host, config.port)  # before anything says it is served
    except TolmachError as e:
        raise fail(e) from None
    import uvicorn

    login = "log in with the token" if config.token else "no login needed on this machine"
    out.print(
        f"serving {config.home} at {config.url} ({login}); Ctrl+C stops", highlight=False, soft_wrap=True
    )
    server = uvicorn.Server(uvicorn.Config(web_app, log_level="warning", proxy_headers=False))
    server.run(sockets=[sock])


def _bind(host: str, port: int) -> socket.socket:
    """The listening socket, bound here so that a port in use is one line before anything is printed
    (uvicorn would print its own error after ours said "serving")."""
    try:
        family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
        sock = socket.socket(family, kind, proto)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
    except OSError as exc:
        raise OptionsError(
            f"cannot serve on {host}:{port}: {exc.strerror or exc}",
            f"another program may hold it: stop that, or pick another, e.g. tolmach serve --port {port + 1}",
        ) from None
    return sock
