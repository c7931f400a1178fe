"""How commands print what they list: a table on a terminal, tab-separated lines in a pipe, JSON on --json.

A command describes its listing once, as columns (a name, a kind: id, number or text) over rows that are
JSON-ready records, and ``emit`` picks the form; so ``list``, ``jobs``, ``models list`` and the rest
behave alike (docs/FORMATS.md, "Command output as JSON"). Off a terminal nothing here may wrap, cut,
colour or box a value, whatever COLUMNS says: a script or a spreadsheet gets every ID whole. On a
terminal IDs and numbers are never broken either: text columns fold first (and long headers of numbers
onto two lines), and a table that cannot fit even so is printed as one record per row, as psql's
expanded display does.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal

import typer
from rich import box
from rich.cells import cell_len
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from tolmach.errors import TolmachError
from tolmach.text import plural as plural  # re-exported: the commands count with it

# Rich honours NO_COLOR (and FORCE_COLOR) from the environment: never pass colour settings here.
out = Console()
err = Console(stderr=True)

Kind = Literal["id", "number", "text"]
GAP = 2  # characters between two columns of a terminal table (box.SIMPLE_HEAD, collapsed padding)
TEXT_MIN = 10  # a text column folds down to this width before a table gives way to records
SHORT_HEADER = 5  # a header this short never folds
_BLANKS = re.compile(r"[\t\r\n\v\f]+")

JsonOption = Annotated[
    bool,
    typer.Option("--json", help="Print JSON instead of a table (fields: docs/FORMATS.md)."),
]


@dataclass(frozen=True)
class Column:
    """One column: its header, its kind, and which field of a row it shows (or how it reads a row)."""

    name: str
    kind: Kind = "text"  # id and number: never broken on a terminal; text: folds
    cell: str | Callable[[Mapping[str, Any]], Any] = ""  # the row's field (default: the name)

    def text(self, row: Mapping[str, Any]) -> str:
        value = self.cell(row) if callable(self.cell) else row.get(self.cell or self.name)
        return _BLANKS.sub(" ", _plain(value))


@dataclass(frozen=True)
class Listing:
    """What a command lists. ``rows`` are the records ``--json`` prints under ``key``; ``extra`` holds
    the JSON document's other fields; ``empty`` is said on stderr when there are no rows."""

    key: str
    columns: Sequence[Column]
    rows: Sequence[Mapping[str, Any]]
    title: str = ""  # over the table, on a terminal only
    extra: Mapping[str, Any] = field(default_factory=dict)
    empty: str = ""


def emit(listing: Listing, as_json: bool = False) -> None:
    """Print ``listing``: JSON when asked, a table on a terminal, tab-separated lines elsewhere."""
    if as_json:
        emit_json({**listing.extra, listing.key: list(listing.rows)})
        return
    if not listing.rows and listing.empty:
        err.print(listing.empty, highlight=False, soft_wrap=True, markup=False)
    cells = [[c.text(row) for c in listing.columns] for row in listing.rows]
    if not is_terminal(out):
        for line in ([c.name for c in listing.columns], *cells):
            typer.echo("\t".join(line))
        return
    if not cells:
        return
    if listing.title:
        out.print(Text(listing.title, style="bold"))
    widths = layout(listing.columns, cells, out.width)
    if widths is None:
        _records(listing.columns, cells)
    else:
        out.print(_table(listing.columns, cells, widths), crop=False)


def error_line(error: TolmachError) -> None:
    """The one line every error is shown as: ``error: message (hint: hint)`` on stderr."""
    err.print(f"[bold red]error:[/] {escape(error.one_line())}", highlight=False, soft_wrap=True)


def emit_json(document: Mapping[str, Any]) -> None:
    """One JSON document on stdout."""
    typer.echo(json.dumps(document, ensure_ascii=False, indent=2))


def json_line(record: Mapping[str, Any]) -> None:
    """One JSON object on a line of its own (JSON lines, for the commands that stream)."""
    typer.echo(json.dumps(record, ensure_ascii=False))


def is_terminal(console: Console) -> bool:
    """Whether ``console`` writes to a terminal. The file decides, not Rich's ``is_terminal``: FORCE_COLOR
    or TTY_COMPATIBLE (set in many CI logs) make Rich draw on anything, and a pipe must stay plain."""
    isatty = getattr(console.file, "isatty", None)
    try:
        return bool(isatty is not None and isatty())
    except ValueError:  # a closed file
        return False


def show_progress(quiet: bool = False) -> bool:
    """Whether to draw a progress bar: never with --quiet, and only when stderr is a terminal (a bar in
    a log file is a heap of control characters and blank lines)."""
    return not quiet and is_terminal(err)


def layout(columns: Sequence[Column], cells: Sequence[Sequence[str]], width: int) -> list[int] | None:
    """The width of each column in a terminal ``width`` wide, or None when the table cannot fit.

    Each ID's or number's column gets its longest value and its header, or half a long header (which
    then folds onto two lines); each text column TEXT_MIN, or its longest value if shorter. The room
    left makes as many long headers whole as it can (the cheapest first), and the rest widens the text
    columns, the narrowest first.
    """
    longest = [max((cell_len(row[i]) for row in cells), default=0) for i in range(len(columns))]
    header = [cell_len(c.name) for c in columns]
    natural = [max(a, b, 1) for a, b in zip(longest, header, strict=True)]
    text = [i for i, c in enumerate(columns) if c.kind == "text"]
    fixed = [i for i, c in enumerate(columns) if c.kind != "text"]
    widths = [min(n, TEXT_MIN) for n in natural]
    for i in fixed:
        widths[i] = max(longest[i], header[i] if header[i] <= SHORT_HEADER else -(-header[i] // 2), 1)
    room = width - GAP * (len(columns) - 1) - sum(widths)
    if room < 0:
        return None
    for i in sorted(fixed, key=lambda i: natural[i] - widths[i]):  # as many whole headers as fit
        if natural[i] - widths[i] <= room:
            room -= natural[i] - widths[i]
            widths[i] = natural[i]
    while room > 0:  # then the text columns, the narrowest first
        short = [i for i in text if widths[i] < natural[i]]
        if not short:
            break
        widths[min(short, key=lambda i: widths[i])] += 1
        room -= 1
    return widths


def _table(columns: Sequence[Column], cells: Sequence[Sequence[str]], widths: Sequence[int]) -> Table:
    folds = any(cell_len(row[i]) > w for row in cells for i, w in enumerate(widths))
    table = Table(
        box=box.SIMPLE_HEAD,
        show_edge=False,
        pad_edge=False,
        padding=(0, 1),
        collapse_padding=True,
        leading=1 if folds else 0,  # a blank line between rows once a row takes several
    )
    for c, w in zip(columns, widths, strict=True):
        # an ID's or number's column is as wide as its longest value; only its header may have to fold
        table.add_column(
            c.name,
            width=w,
            no_wrap=c.kind != "text" and cell_len(c.name) <= w,
            overflow="fold",
            justify="right" if c.kind == "number" else "left",
        )
    for row in cells:
        table.add_row(*(Text(value) for value in row))  # Text: a value's brackets are never markup
    return table


def _records(columns: Sequence[Column], cells: Sequence[Sequence[str]]) -> None:
    """One block a row, a line a field: for a terminal too narrow for the table."""
    width = max(cell_len(c.name) for c in columns)
    for n, row in enumerate(cells):
        if n:
            out.print()
        for c, value in zip(columns, row, strict=True):
            line = Text.assemble((c.name.ljust(width), "bold"), "  ", value)
            out.print(line, soft_wrap=True, highlight=False)


def _plain(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list | tuple):
        return " ".join(_plain(v) for v in value)
    return str(value)
