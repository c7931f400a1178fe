"""How the web app is set up: where it listens, who may call it, and the limits it keeps.

Plain data and checks, no web framework: ``tolmach serve`` builds a :class:`WebConfig` from its options
and ``create_app`` refuses one that is unsafe (a non-loopback address without a token). Nothing here
opens a socket or reads a request.
"""

from __future__ import annotations

import getpass
import ipaddress
import re
import socket
from dataclasses import dataclass, field
from pathlib import Path

from tolmach.errors import OptionsError

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8731
DEFAULT_MAX_UPLOAD = 4 << 30  # 4 GiB: a long phone video; the --max-upload default
MIN_TOKEN_CHARS = 32  # about 190 bits as hex or base64: not guessable over HTTP
WILDCARDS = ("0.0.0.0", "::", "")
_SIZE = re.compile(r"^\s*(\d+)\s*([kmgt]?)(i?b)?\s*$", re.IGNORECASE)
_UNITS = {"": 0, "k": 10, "m": 20, "g": 30, "t": 40}
HINT_TOKEN = (
    "pass --token-file FILE (one line of at least 32 characters, e.g. from 'openssl rand -hex 32') "
    "or set TOLMACH_TOKEN, or serve on 127.0.0.1"
)


@dataclass(frozen=True)
class WebConfig:
    home: Path  # the archive folder the app serves
    host: str = DEFAULT_HOST  # the address it listens on; anything but loopback needs a token
    port: int = DEFAULT_PORT
    token: str | None = None  # callers must present it (bearer header or the login form); None: local only
    name: str = ""  # who edits are by when nobody logged in; default the user name of the process
    max_upload: int = DEFAULT_MAX_UPLOAD  # bytes, for each uploaded file
    run_jobs: bool = True  # run queued jobs in this server (tests that only queue turn it off)
    allowed_hosts: tuple[str, ...] = field(default=())  # more Host header names to accept

    def validate(self) -> WebConfig:
        """Return self if it is safe to serve, else raise OptionsError saying why."""
        if self.token is not None and len(self.token) < MIN_TOKEN_CHARS:
            raise OptionsError(
                f"the token has {len(self.token)} characters; it needs at least {MIN_TOKEN_CHARS}", HINT_TOKEN
            )
        if self.token is None and not is_loopback(self.host):
            raise OptionsError(f"refusing to serve on {self.host} without a token", HINT_TOKEN)
        if not 0 <= self.port <= 65535:
            raise OptionsError(
                f"port {self.port} is outside 0-65535", "e.g. tolmach serve --port 8731 (the default)"
            )
        if self.max_upload < 1:
            raise OptionsError(
                f"--max-upload must be at least 1 byte, not {self.max_upload}", "e.g. --max-upload 2G"
            )
        return self

    @property
    def author(self) -> str:
        """Who an edit is by when the caller gave no name."""
        return self.name.strip() or default_name()

    @property
    def url(self) -> str:
        host = "127.0.0.1" if self.host in WILDCARDS else self.host
        return f"http://{f'[{host}]' if ':' in host else host}:{self.port}/"


def default_name() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no passwd entry (containers): still say something true
        return "unknown"


def is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def parse_size(text: str) -> int:
    """Bytes from '4294967296', '500M', '4G' or '4GiB' (powers of 1024)."""
    m = _SIZE.match(text)
    if m is None:
        raise OptionsError(f"'{text}' is not a size", "give bytes, or a number with K, M, G or T, e.g. 4G")
    return int(m.group(1)) << _UNITS[m.group(2).lower()]


def read_token(path: Path) -> str:
    """The token in ``path``: its one line, without surrounding white space."""
    try:
        text = path.expanduser().read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise OptionsError(f"{path}: cannot read the token file ({exc})", HINT_TOKEN) from None
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if len(lines) != 1:
        raise OptionsError(f"{path}: the token file must hold exactly one line", HINT_TOKEN)
    return lines[0]


def split_host(header: str) -> str:
    """The host name of a Host header, without port or brackets, lower case."""
    header = header.strip().lower()
    if header.startswith("["):  # [::1]:8731
        return header[1:].partition("]")[0]
    if header.count(":") == 1:
        header = header.partition(":")[0]
    return header.rstrip(".")


def _is_ip(name: str) -> bool:
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True


class HostCheck:
    """Which Host headers to accept: the defence against DNS rebinding.

    A rebinding attack makes a name the attacker controls resolve to this machine, so the victim's
    browser sends that name as Host. An IP literal or this machine's own name can never be that name,
    so they are safe to accept; any other name must be the address served or one given explicitly.
    """

    def __init__(self, config: WebConfig) -> None:
        host = split_host(config.host)
        self.any_ip = host in WILDCARDS
        names = {host, *(split_host(h) for h in config.allowed_hosts)}
        if is_loopback(host) or self.any_ip:
            names |= {"localhost", "127.0.0.1", "::1"}
        if not is_loopback(host):
            names |= {socket.gethostname().lower(), socket.getfqdn().lower()}
        self.names = frozenset(n for n in names if n)

    def allows(self, header: str | None) -> bool:
        if not header:
            return False
        name = split_host(header)
        return name in self.names or (self.any_ip and _is_ip(name))
