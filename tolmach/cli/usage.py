"""Click's own errors (a malformed option value, an unknown option or command) as tolmach's one line.

Left to themselves, Typer and Click print these in a box under the command's usage. Every other tolmach
error is one line, ``error: … (hint: …)`` (``cli.fail``), and a script reads them alike, so the top-level
group converts them here, once, for every command, with exit code 2. ``--help`` is left as it is.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Sequence
from typing import Any

import typer
from typer.core import TyperGroup

from tolmach.cli.output import error_line
from tolmach.errors import OptionsError

try:  # Typer 0.2x carries its own copy of Click; earlier ones use Click itself
    from typer._click import exceptions as click_errors
except ImportError:  # pragma: no cover - the Typer in use decides
    from click import exceptions as click_errors  # type: ignore[no-redef]

# what Typer's value checks say, in words a user reads (the value is added when it can be found)
_REASONS = {
    "input should be a valid integer": "is not a whole number",
    "input should be a valid number": "is not a number",
    "input should be a valid boolean": "is not yes or no",
}


class Group(TyperGroup):
    """The ``tolmach`` command: Click's usage errors become one line (message and hint) and exit 2."""

    def main(  # type: ignore[override]
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        given = list(sys.argv[1:] if args is None else args)
        try:
            result = super().main(given, prog_name, complete_var, standalone_mode=False, **extra)
            code = result if isinstance(result, int) else 0  # an Exit's code; a command returns None
        except click_errors.UsageError as e:
            code = e.exit_code
            # no arguments: Typer has printed the help already (NoArgsIsHelpError, not importable by name
            # in every Typer)
            if type(e).__name__ != "NoArgsIsHelpError":
                error_line(usage_error(e, given, self.command_path(given, prog_name or "tolmach")))
        except click_errors.ClickException as e:  # a file Click could not open, and the like
            code = e.exit_code
            error_line(OptionsError(_sentence(e.format_message()), ""))
        except typer.Abort:  # a question answered with end-of-input
            code = 1
            error_line(OptionsError("aborted", ""))
        if standalone_mode:
            sys.exit(code)
        return code

    def command_path(self, args: Sequence[str], prog_name: str) -> str:
        """``tolmach models list``: the command ``args`` name, as far as they name one."""
        path, group = [prog_name], self
        for arg in args:
            sub = getattr(group, "commands", {}).get(arg)
            if sub is None:
                break
            path.append(arg)
            group = sub
        return " ".join(path)


def usage_error(e: Any, args: Sequence[str], fallback_path: str) -> OptionsError:
    """The message and hint for one of Click's usage errors."""
    ctx = getattr(e, "ctx", None)
    help_hint = f"see '{ctx.command_path if ctx is not None else fallback_path} --help'"
    param = getattr(e, "param", None)
    if isinstance(e, click_errors.NoSuchOption):
        guesses = sorted(e.possibilities or ())
        hint = f"did you mean {' or '.join(guesses)}? {help_hint}" if guesses else help_hint
        return OptionsError(_sentence(e.message), hint)
    if param is None or isinstance(e, click_errors.MissingParameter):
        text, _, guess = e.format_message().partition(" Did you mean ")  # an unknown command
        hint = f"did you mean {guess.rstrip('?')}? {help_hint}" if guess else help_hint
        return OptionsError(_sentence(text), hint)
    opts = list(getattr(param, "opts", ()))
    name = max(opts, key=len) if opts else str(getattr(param, "name", "the value"))
    reason = _sentence(re.sub(r"^Value error, ", "", e.message))
    value = _given(args, opts)
    hint = f"{help_hint} for what {name} takes"
    for said, meant in _REASONS.items():
        if reason.lower().startswith(said) and value is not None:
            return OptionsError(f"{name}: '{value}' {meant}", hint)
    return OptionsError(f"{name}: {reason}", hint)


def _given(args: Sequence[str], opts: Sequence[str]) -> str | None:
    """The value given last to an option (``--beam-size x`` or ``--beam-size=x``), if it can be found."""
    found = None
    for i, arg in enumerate(args):
        for opt in opts:
            if arg == opt and i + 1 < len(args):
                found = args[i + 1]
            elif opt.startswith("--") and arg.startswith(opt + "="):
                found = arg[len(opt) + 1 :]
    return found


def _sentence(text: str) -> str:
    """Click's sentence as the middle of tolmach's line: one line, no full stop, a small first letter."""
    text = " ".join(text.split()).rstrip(".")
    if len(text) > 1 and text[0].isupper() and not text[1].isupper():
        text = text[0].lower() + text[1:]
    return text
