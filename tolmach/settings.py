"""The one table of settings, and where their values come from.

Every field of ``Options`` is a setting (its default and help live on the field). A value is taken, last
one winning, from: the default, the config file (``$TOLMACH_CONFIG``, else
``$XDG_CONFIG_HOME/tolmach/config.toml``, a flat TOML table of setting = value), the environment
(``TOLMACH_<NAME>``, e.g. ``TOLMACH_MODEL=small``) and the command line. The table also drives
docs/SETTINGS.md, and a test checks that every setting is documented there.
"""

from __future__ import annotations

import os
import tomllib
import types
import typing
from collections.abc import Mapping
from dataclasses import MISSING, dataclass, fields
from pathlib import Path
from typing import Any

from tolmach.errors import OptionsError
from tolmach.options import Options


@dataclass(frozen=True)
class Setting:
    name: str
    default: Any
    help: str
    kind: type  # bool, int, float, str or tuple (comma-separated in text)
    optional: bool  # None is a valid value

    @property
    def env(self) -> str:
        return f"TOLMACH_{self.name.upper()}"


def _kind(name: str) -> tuple[type, bool]:
    hint = typing.get_type_hints(Options)[name]
    args = typing.get_args(hint)
    optional = isinstance(hint, types.UnionType) and type(None) in args
    base = next((a for a in args if a is not type(None)), hint) if optional else hint
    origin = typing.get_origin(base) or base
    return origin, optional


SETTINGS: tuple[Setting, ...] = tuple(
    Setting(f.name, f.default if f.default is not MISSING else None, f.metadata["help"], *_kind(f.name))
    for f in fields(Options)
)
BY_NAME = {s.name: s for s in SETTINGS}


def config_path() -> Path:
    if "TOLMACH_CONFIG" in os.environ:
        return Path(os.environ["TOLMACH_CONFIG"])
    base = os.environ.get("XDG_CONFIG_HOME") or os.path.join(os.path.expanduser("~"), ".config")
    return Path(base) / "tolmach" / "config.toml"


def parse_value(setting: Setting, value: Any, source: str) -> Any:
    """Convert a value from text (env, CLI) or TOML to the setting's type, or raise OptionsError."""
    if value is None or (setting.optional and value in ("", "none", "auto") and setting.kind is str):
        return None
    try:
        if setting.kind is bool:
            if isinstance(value, bool):
                return value
            text = str(value).strip().lower()
            if text not in ("1", "0", "true", "false", "yes", "no", "on", "off"):
                raise ValueError(value)
            return text in ("1", "true", "yes", "on")
        if setting.kind is tuple:
            items = value if isinstance(value, list | tuple) else str(value).split(",")
            return tuple(str(v).strip() for v in items if str(v).strip())
        if setting.kind in (int, float):
            return setting.kind(value)
        return str(value)
    except (TypeError, ValueError):
        raise OptionsError(
            f"{source}: '{value}' is not a valid value for {setting.name}", f"{setting.name}: {setting.help}"
        ) from None


def read_config(path: Path | None = None) -> dict[str, Any]:
    path = path or config_path()
    if not path.is_file():
        return {}
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise OptionsError(f"{path}: cannot read config file ({exc})", "fix or remove the file") from None
    unknown = sorted(set(data) - set(BY_NAME))
    if unknown:
        raise OptionsError(
            f"{path}: unknown setting '{unknown[0]}'", f"known settings: {', '.join(sorted(BY_NAME))}"
        )
    return {k: parse_value(BY_NAME[k], v, str(path)) for k, v in data.items()}


def read_env(environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    environ = os.environ if environ is None else environ
    return {s.name: parse_value(s, environ[s.env], s.env) for s in SETTINGS if s.env in environ}


def load_options(
    overrides: Mapping[str, Any] | None = None, *, environ: Mapping[str, str] | None = None
) -> Options:
    """Options from defaults < config file < environment < ``overrides`` (None means 'not given')."""
    values: dict[str, Any] = {}
    values.update(read_config())
    values.update(read_env(environ))
    values.update({k: v for k, v in (overrides or {}).items() if v is not None})
    return Options(**values).validate()


def settings_markdown() -> str:
    """The settings table as Markdown, for docs/SETTINGS.md."""
    rows = ["| setting | environment | default | what it does |", "|---|---|---|---|"]
    for s in SETTINGS:
        default = ",".join(s.default) if isinstance(s.default, tuple) else s.default
        rows.append(f"| `{s.name}` | `{s.env}` | `{default}` | {s.help} |")
    return "\n".join(rows) + "\n"


if __name__ == "__main__":
    print(settings_markdown(), end="")
