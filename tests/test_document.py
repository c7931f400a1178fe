"""Reading posts and articles into blocks (tolmach/document.py), and writing them back."""

from __future__ import annotations

from pathlib import Path

import pytest

from tolmach.document import Block, Document, read_document, render_document
from tolmach.errors import InputError

ARTICLE = """<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>Новости дня</title><style>p { color: red }</style>
<script>var tracking = "не текст";</script></head>
<body>
<header><nav><a href="/">Главная</a> <a href="/news">Новости</a></nav><div class="logo">Сайт</div></header>
<aside>Реклама: купите слона</aside>
<article>
  <header><h1>Обстрел Харькова</h1><p class="byline">Автор: Иван Петров</p></header>
  <p>Утром 12 мая в <a href="https://t.me/kharkiv/101">Харькове</a> прогремели взрывы.<br>Подробности позже.
  <p>Второй   абзац
     с адресом https://example.com/a?b=1.</p>
  <h2>Что известно</h2>
  <ul><li>Пострадали <b>3</b> человека<li>Повреждены 2 дома</ul>
  <ol start="3"><li>третий</li><li>четвёртый</li></ol>
  <form><input name="q"><button>Искать</button></form>
  <nav>Ещё статьи</nav>
</article>
<footer>© 2024 Сайт</footer>
</body></html>
"""

MARKDOWN = """# Заголовок поста

Текст со [ссылкой](https://t.me/channel/5) и *выделением*, `код`, и адрес https://t.me/x/7.
Продолжение абзаца.

## Список

- первый пункт
- второй [пункт](http://a.example/b)

1. раз
2. два

```
print("не проза")
```

> Цитата в конце.
"""


def write(tmp_path: Path, name: str, text: str | bytes) -> Path:
    path = tmp_path / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def test_html_keeps_the_article_and_drops_the_page(tmp_path: Path) -> None:
    doc = read_document(write(tmp_path, "page.html", ARTICLE))
    assert (doc.format, doc.title) == ("html", "Новости дня")
    assert doc.blocks == (
        Block("heading", "Обстрел Харькова", 1),
        Block("paragraph", "Автор: Иван Петров"),
        Block(
            "paragraph",
            "Утром 12 мая в Харькове прогремели взрывы. Подробности позже.",
            links=(("Харькове", "https://t.me/kharkiv/101"),),
        ),
        Block(
            "paragraph",
            "Второй абзац с адресом https://example.com/a?b=1.",
            links=(("https://example.com/a?b=1", "https://example.com/a?b=1"),),
        ),
        Block("heading", "Что известно", 2),
        Block("paragraph", "Пострадали 3 человека", bullet="-"),
        Block("paragraph", "Повреждены 2 дома", bullet="-"),
        Block("paragraph", "третий", bullet="3."),
        Block("paragraph", "четвёртый", bullet="4."),
    )


def test_html_without_article_uses_main_or_body(tmp_path: Path) -> None:
    page = "<html><body><nav>меню</nav><main><p>Главное</p></main><p>вне</p></body></html>"
    assert [b.text for b in read_document(write(tmp_path, "a.htm", page)).blocks] == ["Главное"]
    body = "<p>Один<p>Два<footer>подвал</footer>"
    doc = read_document(write(tmp_path, "b.html", body))
    assert [b.text for b in doc.blocks] == ["Один", "Два"] and doc.title == "b"


def test_html_in_windows_1251_is_read_by_its_charset(tmp_path: Path) -> None:
    page = '<html><head><meta charset="windows-1251"></head><body><p>Привет</p></body></html>'
    doc = read_document(write(tmp_path, "cp.html", page.encode("cp1251")))
    assert doc.blocks[0].text == "Привет"


def test_markdown_headings_lists_and_links(tmp_path: Path) -> None:
    doc = read_document(write(tmp_path, "post.md", MARKDOWN))
    assert (doc.format, doc.title) == ("md", "Заголовок поста")
    assert doc.blocks == (
        Block("heading", "Заголовок поста", 1),
        Block(
            "paragraph",
            "Текст со ссылкой и выделением, код, и адрес https://t.me/x/7. Продолжение абзаца.",
            links=(("ссылкой", "https://t.me/channel/5"), ("https://t.me/x/7", "https://t.me/x/7")),
        ),
        Block("heading", "Список", 2),
        Block("paragraph", "первый пункт", bullet="-"),
        Block("paragraph", "второй пункт", links=(("пункт", "http://a.example/b"),), bullet="-"),
        Block("paragraph", "раз", bullet="1."),
        Block("paragraph", "два", bullet="2."),
        Block("paragraph", "Цитата в конце."),
    )


def test_text_paragraphs_and_bare_links(tmp_path: Path) -> None:
    post = "Срочно!\r\nВзрывы в центре.\r\n\r\n\r\nВидео: www.example.org/v/1 и https://t.me/a/2\n\n  \n"
    doc = read_document(write(tmp_path, "post.txt", post))
    assert doc.title == "post"
    assert doc.blocks == (
        Block("paragraph", "Срочно! Взрывы в центре."),
        Block(
            "paragraph",
            "Видео: www.example.org/v/1 и https://t.me/a/2",
            links=(
                ("www.example.org/v/1", "http://www.example.org/v/1"),
                ("https://t.me/a/2", "https://t.me/a/2"),
            ),
        ),
    )


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("missing.txt", None, "no such file"),
        ("empty.txt", "  \n\n", "the file is empty"),
        ("image.md", b"\x89PNG\r\n\x1a\n\x00\x00\x00", "binary data, not text"),
        ("latin1.txt", "Привет".encode("cp1251"), "not UTF-8 text"),
        ("post.docx", "text", "unknown document type '.docx'"),
        ("nothing.html", "<html><script>x</script><nav>menu</nav></html>", "no text in the document"),
    ],
)
def test_bad_documents_are_one_line_input_errors(
    tmp_path: Path, name: str, content: str | bytes | None, message: str
) -> None:
    path = tmp_path / name if content is None else write(tmp_path, name, content)
    with pytest.raises(InputError, match=message) as caught:
        read_document(path)
    assert name in caught.value.message and caught.value.hint
    with pytest.raises(InputError, match="not a file"):
        read_document(tmp_path.joinpath("dir.txt").mkdir() or tmp_path / "dir.txt")


def test_rendering_keeps_blocks_lists_and_links(tmp_path: Path) -> None:
    blocks = (
        Block("heading", "Shelling of Kharkiv", 1),
        Block("paragraph", "On May 12 in Kharkiv explosions.", links=(("Kharkiv", "https://t.me/k/1"),)),
        Block("paragraph", "The word moved [a] link", links=(("gone", "https://e.org/x"),)),
        Block("paragraph", "one", bullet="-"),
        Block("paragraph", "two", bullet="-"),
        Block("paragraph", "three", bullet="3."),
    )
    doc = Document(tmp_path / "a.md", "md", "Shelling", blocks)
    assert render_document(doc) == (
        "# Shelling of Kharkiv\n\n"
        "On May 12 in [Kharkiv](https://t.me/k/1) explosions.\n\n"
        "The word moved \\[a\\] link ([gone](https://e.org/x))\n\n"
        "- one\n- two\n\n3. three\n"
    )
    text = render_document(Document(tmp_path / "a.txt", "txt", "Shelling", blocks))
    assert "On May 12 in Kharkiv (https://t.me/k/1) explosions." in text and "(gone: https://e.org/x)" in text
    page = render_document(Document(tmp_path / "a.html", "html", "Shelling & co", blocks))
    assert "<title>Shelling &amp; co</title>" in page
    assert '<p>On May 12 in <a href="https://t.me/k/1">Kharkiv</a> explosions.</p>' in page
    assert '<ul>\n<li>one</li>\n<li>two</li>\n</ul>\n<ol start="3">\n<li>three</li>\n</ol>' in page


def test_a_rendered_document_reads_back_the_same(tmp_path: Path) -> None:
    for name, text in (("page.html", ARTICLE), ("post.md", MARKDOWN)):
        doc = read_document(write(tmp_path, name, text))
        again = read_document(write(tmp_path, "again" + Path(name).suffix, render_document(doc)))
        assert again.blocks == doc.blocks, name
