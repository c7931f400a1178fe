"""Text documents in, as plain blocks out: the posts, captions and articles that come with a clip.

Translators in this field translate the Telegram post or the article a clip came with, and the voice-over
reads a document aloud. Both need the same thing: the prose of a ``.txt``, ``.md`` or ``.html`` file as
an ordered list of headings and paragraphs, with the markup removed and the links kept beside the text,
so that a translation engine sees sentences and not tags, and the output can put the links back.

Parsers, and why:

- Markdown goes through ``markdown-it-py`` (CommonMark, and already installed: ``rich`` depends on it),
  so emphasis, code spans, reference links and nested lists are read the way every renderer reads them.
- HTML goes through the standard library's ``html.parser`` (tolerant of broken markup, no extra
  dependency). Choosing the content and the block boundaries is hand-written below because that is policy,
  not parsing: the ``<article>`` (else ``<main>``, else ``<body>``) is kept; ``nav``, ``aside``, ``script``,
  ``style``, forms and the page's ``header``/``footer`` are dropped (a ``header`` inside the article
  holds its title and is kept).
- Plain text: blank lines split paragraphs; bare URLs become links (a Telegram post has no markup).

``render_document`` writes a (translated) document back in its own format: a clean ``.txt``, ``.md`` or
minimal ``.html`` with the same headings, paragraphs, list items and links; the original page's layout is
not reproduced.
"""

from __future__ import annotations

import html
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

from tolmach.errors import InputError

SUFFIXES = {".txt": "txt", ".text": "txt", ".md": "md", ".markdown": "md", ".html": "html", ".htm": "html"}
MAX_BYTES = 20 << 20  # 20 MiB of text is a book, not a post; refuse rather than stall
URL_RE = re.compile(r"""(?:https?://|www\.)[^\s<>"'«»]+[^\s<>"'«».,;:!?)\]}]""")
_SPACE = re.compile(r"\s+")


@dataclass(frozen=True)
class Block:
    """One heading or paragraph of a document."""

    kind: str  # "heading" or "paragraph" (a list item is a paragraph)
    text: str  # plain text, whitespace collapsed, markup removed
    level: int = 0  # heading level 1-6, 0 for a paragraph
    links: tuple[tuple[str, str], ...] = ()  # (link text, URL) in order
    bullet: str = ""  # a list item's marker ("-", "1."); "" for an ordinary paragraph or heading


@dataclass(frozen=True)
class Document:
    """A text file read into blocks. ``title``: the HTML <title>, else the first heading, else the stem."""

    path: Path
    format: str  # "txt", "md" or "html"
    title: str
    blocks: tuple[Block, ...]


def read_document(path: str | os.PathLike[str]) -> Document:
    """Read a .txt, .md or .html file into headings and paragraphs.

    Raises InputError (one line naming the file) for a missing, unreadable, empty, binary, non-UTF-8 or
    unknown-suffix file, and for one with no text once markup is removed.
    """
    p = Path(path)
    fmt = SUFFIXES.get(p.suffix.lower())
    if fmt is None:
        raise InputError(
            f"{p}: unknown document type '{p.suffix or '(none)'}'",
            "give a .txt, .md or .html file (save a Telegram post as .txt)",
        )
    text = _read_text(p, fmt)
    if fmt == "txt":
        blocks = _txt_blocks(text)
        title = ""
    elif fmt == "md":
        blocks = _md_blocks(text)
        title = ""
    else:
        blocks, title = _html_blocks(text)
    if not blocks:
        raise InputError(f"{p}: no text in the document", "check that the file holds the post or article")
    if not title:
        title = next((b.text for b in blocks if b.kind == "heading"), "") or p.stem
    return Document(path=p, format=fmt, title=title, blocks=tuple(blocks))


def collapse(text: str) -> str:
    """Whitespace runs to one space, trimmed."""
    return _SPACE.sub(" ", text).strip()


def bare_links(text: str) -> tuple[tuple[str, str], ...]:
    """The bare URLs in plain text, each as (URL, URL)."""
    return tuple((m.group(0), _href(m.group(0))) for m in URL_RE.finditer(text))


def _href(url: str) -> str:
    return "http://" + url if url.startswith("www.") else url


# ---------------------------------------------------------------------------------------------- reading


def _read_text(p: Path, fmt: str) -> str:
    try:
        size = p.stat().st_size
        if not p.is_file():
            raise InputError(f"{p}: not a file", "give the path of a .txt, .md or .html file")
        if size > MAX_BYTES:
            raise InputError(f"{p}: too large for a document ({size:,} bytes)", "split it into smaller files")
        data = p.read_bytes()
    except FileNotFoundError:
        raise InputError(f"{p}: no such file", "check the path") from None
    except PermissionError:
        raise InputError(f"{p}: permission denied", "check the file's permissions") from None
    except IsADirectoryError:
        raise InputError(f"{p}: not a file", "give the path of a .txt, .md or .html file") from None
    if not data.strip():
        raise InputError(f"{p}: the file is empty", "check that the post was saved")
    if b"\x00" in data[:8192]:
        raise InputError(f"{p}: binary data, not text", "give a .txt, .md or .html text file")
    for encoding in _encodings(data, fmt):
        try:
            return data.decode(encoding)
        except (UnicodeDecodeError, LookupError):
            continue
    raise InputError(
        f"{p}: not UTF-8 text",
        f"convert it first, e.g. iconv -f cp1251 -t utf-8 {p.name} > {p.stem}.utf8{p.suffix}",
    )


def _encodings(data: bytes, fmt: str) -> list[str]:
    found = ["utf-8-sig"]
    if fmt == "html":  # a page may declare its own charset (windows-1251 is still common on .ru sites)
        m = re.search(rb"""<meta[^>]+charset\s*=\s*["']?([A-Za-z0-9_-]+)""", data[:4096], re.I)
        if m:
            found.append(m.group(1).decode("ascii"))
    return found


def _txt_blocks(text: str) -> list[Block]:
    blocks = []
    for chunk in re.split(r"\n\s*\n", text.replace("\r\n", "\n").replace("\r", "\n")):
        line = collapse(chunk)
        if line:
            blocks.append(Block("paragraph", line, links=bare_links(line)))
    return blocks


# Markdown ---------------------------------------------------------------------------------------------


def _md_blocks(text: str) -> list[Block]:
    from markdown_it import MarkdownIt  # a dependency of rich, always installed

    tokens = MarkdownIt("commonmark").parse(text)
    blocks: list[Block] = []
    lists: list[list[int]] = []  # per open list: [ordered?, next number]
    pending_bullet = ""
    heading = 0
    for tok in tokens:
        if tok.type in ("bullet_list_open", "ordered_list_open"):
            start = int(tok.attrs.get("start", 1) or 1) if tok.attrs else 1
            lists.append([tok.type == "ordered_list_open", start])
        elif tok.type in ("bullet_list_close", "ordered_list_close"):
            lists.pop()
        elif tok.type == "list_item_open" and lists:
            ordered, number = lists[-1]
            pending_bullet = f"{tok.info or number}." if ordered else "-"
            lists[-1][1] = number + 1
        elif tok.type == "heading_open":
            heading = int(tok.tag[1:])
        elif tok.type == "heading_close":
            heading = 0
        elif tok.type == "inline":
            line, links = _md_inline(tok.children or [])
            if line:
                if heading:
                    blocks.append(Block("heading", line, heading, links))
                else:
                    blocks.append(Block("paragraph", line, links=links, bullet=pending_bullet))
                pending_bullet = ""
        elif tok.type == "html_block":
            blocks.extend(_html_fragment_blocks(tok.content))
        # fences and indented code are not prose: left out
    return blocks


def _md_inline(children: Iterable[object]) -> tuple[str, tuple[tuple[str, str], ...]]:
    parts: list[str] = []
    links: list[tuple[str, str]] = []
    href: str | None = None
    link_start = 0
    for child in children:
        kind = getattr(child, "type", "")
        content = getattr(child, "content", "")
        if kind in ("text", "code_inline"):
            if href is None:
                links.extend(bare_links(content))
            parts.append(content)
        elif kind in ("softbreak", "hardbreak"):
            parts.append(" ")
        elif kind == "link_open":
            href = str(getattr(child, "attrs", {}).get("href", ""))
            link_start = len(parts)
        elif kind == "link_close" and href is not None:
            label = collapse("".join(parts[link_start:]))
            links.append((label or href, href))
            href = None
        elif kind == "html_inline":
            parts.append("")  # inline tags (<b>, <br>) carry no prose
    return collapse("".join(parts)), tuple(links)


# HTML -------------------------------------------------------------------------------------------------

VOID = frozenset(
    [
        "area",
        "base",
        "br",
        "col",
        "embed",
        "hr",
        "img",
        "input",
        "link",
        "meta",
        "param",
        "source",
        "track",
        "wbr",
    ]
)
DROP = frozenset(
    [
        "nav",
        "aside",
        "script",
        "style",
        "form",
        "noscript",
        "template",
        "svg",
        "button",
        "select",
        "textarea",
        "iframe",
    ]
)
CHROME = frozenset({"header", "footer"})  # dropped unless inside <article>
HEADINGS = {f"h{i}": i for i in range(1, 7)}
BLOCK_TAGS = frozenset(
    [
        "p",
        "div",
        "section",
        "article",
        "main",
        "li",
        "blockquote",
        "pre",
        "td",
        "th",
        "dd",
        "dt",
        "figcaption",
        "caption",
        "tr",
        "ul",
        "ol",
        "dl",
        "table",
        "figure",
        "address",
        "details",
        "summary",
        "body",
        "html",
        "hr",
        "br",
    ]
) | frozenset(HEADINGS)
_CLOSES_P = BLOCK_TAGS - {"br", "td", "th", "tr", "dd", "dt", "li", "summary", "caption", "figcaption"}


@dataclass
class _Node:
    tag: str
    attrs: dict[str, str] = field(default_factory=dict)
    children: list[_Node | str] = field(default_factory=list)
    parent: _Node | None = None


class _TreeBuilder(HTMLParser):
    """A forgiving element tree: unknown end tags are ignored, <p> and <li> close implicitly."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = _Node("#root")
        self.stack = [self.root]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _CLOSES_P:
            self._close_if_open("p", stop={"div", "li", "td", "th", "blockquote", "section", "article"})
        if tag == "li":
            self._close_if_open("li", stop={"ul", "ol"})
        node = _Node(tag, {k: v or "" for k, v in attrs}, parent=self.stack[-1])
        self.stack[-1].children.append(node)
        if tag not in VOID:
            self.stack.append(node)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.stack[-1].children.append(_Node(tag, {k: v or "" for k, v in attrs}, parent=self.stack[-1]))

    def handle_endtag(self, tag: str) -> None:
        for i in range(len(self.stack) - 1, 0, -1):
            if self.stack[i].tag == tag:
                del self.stack[i:]
                return

    def handle_data(self, data: str) -> None:
        self.stack[-1].children.append(data)

    def _close_if_open(self, tag: str, stop: set[str]) -> None:
        for i in range(len(self.stack) - 1, 0, -1):
            current = self.stack[i].tag
            if current == tag:
                del self.stack[i:]
                return
            if current in stop:
                return


def _parse_html(text: str) -> _Node:
    builder = _TreeBuilder()
    builder.feed(text)
    builder.close()
    return builder.root


def _find(node: _Node, tag: str) -> _Node | None:
    for child in node.children:
        if isinstance(child, _Node):
            if child.tag == tag:
                return child
            if child.tag not in DROP and (found := _find(child, tag)) is not None:
                return found
    return None


def _html_blocks(text: str) -> tuple[list[Block], str]:
    root = _parse_html(text)
    title_node = _find(root, "title")
    title = collapse(_plain(title_node)) if title_node is not None else ""
    content = _find(root, "article") or _find(root, "main") or _find(root, "body") or root
    walker = _BlockWalker()
    walker.walk(content, in_article=content.tag == "article")
    walker.flush()
    return walker.blocks, title


def _html_fragment_blocks(fragment: str) -> list[Block]:
    walker = _BlockWalker()
    walker.walk(_parse_html(fragment), in_article=True)
    walker.flush()
    return walker.blocks


def _plain(node: _Node) -> str:
    return "".join(c if isinstance(c, str) else _plain(c) for c in node.children)


class _BlockWalker:
    """Turns the element tree into blocks: text between block boundaries becomes one block."""

    def __init__(self) -> None:
        self.blocks: list[Block] = []
        self.parts: list[str] = []
        self.links: list[tuple[str, str]] = []
        self.level = 0
        self.bullet = ""

    def flush(self) -> None:
        line = collapse("".join(self.parts))
        if line:
            kind = "heading" if self.level else "paragraph"
            self.blocks.append(Block(kind, line, self.level, tuple(self.links), self.bullet))
        self.parts, self.links, self.level, self.bullet = [], [], 0, ""

    def walk(self, node: _Node, in_article: bool) -> None:
        for i, child in enumerate(node.children):
            if isinstance(child, str):
                self.parts.append(child)
                self.links.extend(bare_links(child))  # bare URLs in running text
                continue
            tag = child.tag
            if tag in DROP or (tag in CHROME and not in_article) or tag in ("head", "title"):
                continue
            if tag == "br":
                self.parts.append(" ")
                continue
            if tag == "a" and child.attrs.get("href"):
                raw = _plain(child)
                label = collapse(raw)
                self.parts.append(raw)  # its own spaces, if any: "в <a>Харькове</a>." stays "в Харькове."
                href = child.attrs["href"]
                if label or not href.startswith("#"):
                    self.links.append((label or href, href))
                continue
            block = tag in BLOCK_TAGS
            if block:
                self.flush()
                if tag in HEADINGS:
                    self.level = HEADINGS[tag]
                elif tag == "li":
                    self.bullet = self._bullet(node, child, i)
            self.walk(child, in_article or tag == "article")
            if block:
                self.flush()

    @staticmethod
    def _bullet(parent: _Node, item: _Node, index: int) -> str:
        if parent.tag != "ol":
            return "-"
        start = int(parent.attrs.get("start", "1")) if parent.attrs.get("start", "1").isdigit() else 1
        before = sum(1 for c in parent.children[:index] if isinstance(c, _Node) and c.tag == "li")
        return f"{start + before}."


# ---------------------------------------------------------------------------------------------- writing


def render_document(doc: Document) -> str:
    """The document as text in its own format (``doc.format``), ending with a newline.

    Links are written in the format's own way: Markdown ``[text](url)``, HTML ``<a href>``; in plain text a
    link whose text is not its URL gets the URL in brackets after it. A link's text is linked where it
    occurs in the block's text; a link whose text does not occur (a translation may reword it) is added
    after the block's text, so that no link is ever lost.
    """
    if doc.format == "html":
        return _html_page(doc)
    write = _md_block if doc.format == "md" else _txt_block
    out: list[str] = []
    for i, block in enumerate(doc.blocks):
        if i:  # list items stay together (a tight list); everything else is a paragraph apart
            before = doc.blocks[i - 1].bullet
            same_list = block.bullet and before and block.bullet[0].isdigit() == before[0].isdigit()
            out.append("\n" if same_list else "\n\n")
        out.append(write(block))
    return "".join(out) + "\n"


def _spans(block: Block) -> tuple[list[tuple[str, str | None]], list[tuple[str, str]]]:
    """Split a block's text into (text, href or None) runs; also the links whose text was not found."""
    runs: list[tuple[str, str | None]] = []
    missing: list[tuple[str, str]] = []
    rest = block.text
    for label, href in block.links:
        at = rest.find(label) if label else -1
        if at < 0:
            missing.append((label, href))
            continue
        if at:
            runs.append((rest[:at], None))
        runs.append((label, href))
        rest = rest[at + len(label) :]
    if rest:
        runs.append((rest, None))
    return runs, missing


def _md_escape(text: str) -> str:
    return re.sub(r"([\\`*_\[\]<>])", r"\\\1", text)


def _md_block(block: Block) -> str:
    runs, missing = _spans(block)
    body = "".join(
        f"[{_md_escape(t)}]({h})" if h is not None and t != h else (t if h is not None else _md_escape(t))
        for t, h in runs
    )
    body += "".join(f" ([{_md_escape(t)}]({h}))" for t, h in missing)
    if block.kind == "heading":
        return "#" * max(1, min(block.level, 6)) + " " + body
    if block.bullet:
        return f"{block.bullet} {body}"
    return body


def _txt_block(block: Block) -> str:
    runs, missing = _spans(block)
    body = "".join(t if h is None or t == h else f"{t} ({h})" for t, h in runs)
    body += "".join(f" ({t}: {h})" if t != h else f" ({h})" for t, h in missing)
    return f"{block.bullet} {body}" if block.bullet else body


def _html_inline(block: Block) -> str:
    runs, missing = _spans(block)
    esc = html.escape
    body = "".join(
        f'<a href="{esc(h, quote=True)}">{esc(t)}</a>' if h is not None else esc(t) for t, h in runs
    )
    body += "".join(f' (<a href="{esc(h, quote=True)}">{esc(t)}</a>)' for t, h in missing)
    return body


def _html_page(doc: Document) -> str:
    lines = [
        "<!DOCTYPE html>",
        "<html>",
        "<head>",
        '<meta charset="utf-8">',
        f"<title>{html.escape(doc.title)}</title>",
        "</head>",
        "<body>",
        "<article>",
    ]
    open_list = ""
    for block in doc.blocks:
        wanted = ("ol" if block.bullet[:1].isdigit() else "ul") if block.bullet else ""
        if wanted != open_list:
            if open_list:
                lines.append(f"</{open_list}>")
            if wanted == "ol" and block.bullet != "1.":
                lines.append(f'<ol start="{block.bullet.rstrip(".")}">')
            elif wanted:
                lines.append(f"<{wanted}>")
            open_list = wanted
        body = _html_inline(block)
        if block.kind == "heading":
            level = max(1, min(block.level, 6))
            lines.append(f"<h{level}>{body}</h{level}>")
        elif block.bullet:
            lines.append(f"<li>{body}</li>")
        else:
            lines.append(f"<p>{body}</p>")
    if open_list:
        lines.append(f"</{open_list}>")
    lines += ["</article>", "</body>", "</html>"]
    return "\n".join(lines) + "\n"
