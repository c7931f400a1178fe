"""The review web app and REST API (``tolmach serve``), behind the optional package set 'web'.

``create_app`` and ``WebConfig`` load FastAPI only when asked for, so that ``tolmach --help`` and the
job worker's child process do not need it, and a missing extra is one clear error.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tolmach.errors import MissingExtraError
from tolmach.web.config import WebConfig

if TYPE_CHECKING:
    from tolmach.web.app import create_app

__all__ = ["WebConfig", "create_app", "require_web"]


def require_web() -> None:
    """MissingExtraError unless the web extra's packages can be imported."""
    try:
        import fastapi  # noqa: F401
        import jinja2  # noqa: F401
        import python_multipart  # noqa: F401
        import uvicorn  # noqa: F401
    except ImportError as exc:
        raise MissingExtraError("the web app", "web") from exc


def __getattr__(name: str) -> Any:
    if name == "create_app":
        require_web()
        from tolmach.web.app import create_app

        return create_app
    raise AttributeError(f"module 'tolmach.web' has no attribute {name!r}")
