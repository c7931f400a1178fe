"""``tolmach translate-text``: posts and articles in, English beside them, paragraphs and links kept."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from llm_server import LlmServer, english, transliterate
from test_document import ARTICLE, MARKDOWN
from typer.testing import CliRunner

from tolmach.cli import app
from tolmach.document import read_document

POST = """Утром 12 мая в Харькове прогремели взрывы, сообщил Игорь Терехов.

Видео: https://t.me/kharkiv/101

Пострадали 3 человека."""


@pytest.fixture(autouse=True)
def no_user_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TOLMACH_CONFIG", str(tmp_path / "no-config.toml"))
    for name in ("TOLMACH_ENGINE", "TOLMACH_LLM_MODEL", "TOLMACH_NMT_MODEL", "TOLMACH_LLM_URL"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def server() -> Iterator[LlmServer]:
    with LlmServer().running() as running:
        yield running


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.output


def llm(server: LlmServer) -> list[str]:
    return ["--engine", "llm", "--llm-url", server.url, "--llm-model", "test-model"]


def test_a_post_keeps_paragraphs_numbers_names_and_links(tmp_path: Path, server: LlmServer) -> None:
    post = tmp_path / "post.txt"
    post.write_text(POST, encoding="utf-8")
    code, output = run("translate-text", str(post), "--from", "ru", *llm(server))
    assert code == 0, output
    target = tmp_path / "post.en.txt"
    assert f"wrote {target} (3 paragraphs, ru -> en, llm:test-model)" in " ".join(output.split())
    paragraphs = target.read_text(encoding="utf-8").rstrip("\n").split("\n\n")
    source = [b.text for b in read_document(post).blocks]
    assert paragraphs == [english(i, text) for i, text in enumerate(source, 1)]
    assert "12" in paragraphs[0] and "Igor" in paragraphs[0] and "https://t.me/kharkiv/101" in paragraphs[1]
    # a bare URL is not sent as a link text of its own: the three paragraphs only
    assert [r["lines"] for r in server.translation_requests] == [[1, 2, 3]]


def test_markdown_links_stay_links_with_their_text_translated(tmp_path: Path, server: LlmServer) -> None:
    post = tmp_path / "post.md"
    post.write_text(MARKDOWN, encoding="utf-8")
    code, output = run("translate-text", str(post), "--from", "ru", *llm(server))
    assert code == 0, output
    out = read_document(tmp_path / "post.en.md")
    source = read_document(post)
    assert [(b.kind, b.level, b.bullet) for b in out.blocks] == [
        (b.kind, b.level, b.bullet) for b in source.blocks
    ]
    links = sorted(url for b in out.blocks for _, url in b.links)
    assert links == sorted(
        url for b in source.blocks for _, url in b.links
    )  # a link whose text moved follows
    labels = dict((url, label) for b in out.blocks for label, url in b.links)
    assert re.fullmatch(r"\d+: ssylkoi", labels["https://t.me/channel/5"])  # the link text, translated
    assert not re.search(r"[а-яё]", (tmp_path / "post.en.md").read_text(encoding="utf-8"), re.I)


def test_html_in_html_out_with_hrefs(tmp_path: Path, server: LlmServer) -> None:
    page = tmp_path / "page.html"
    page.write_text(ARTICLE, encoding="utf-8")
    code, output = run("translate-text", str(page), *llm(server), "-o", str(tmp_path / "out.html"))
    assert code == 0, output
    html = (tmp_path / "out.html").read_text(encoding="utf-8")
    assert '<a href="https://t.me/kharkiv/101">' in html and '<a href="https://example.com/a?b=1">' in html
    assert f"<title>{english(11, 'Новости дня')}</title>" in html  # after 9 blocks and 1 link text
    assert "Reklama" not in html and "Glavnaia" not in html  # the page's chrome stayed out
    assert transliterate("Утром 12 мая") in html


def test_ukrainian_is_guessed_from_its_letters(tmp_path: Path, server: LlmServer) -> None:
    post = tmp_path / "допис.txt"
    post.write_text("Вибухи у Києві. Їх чули всі.", encoding="utf-8")
    code, output = run("translate-text", str(post), *llm(server))
    assert code == 0 and "uk -> en" in output
    assert "from Ukrainian into English" in server.translation_requests[0]["body"]["messages"][0]["content"]


def test_paragraphs_the_engine_cannot_translate_stay_original_and_are_reported(
    tmp_path: Path, server: LlmServer
) -> None:
    post = tmp_path / "post.txt"
    post.write_text(POST, encoding="utf-8")
    server.script = ["cyrillic"] * 30
    code, output = run("translate-text", str(post), "--from", "ru", *llm(server))
    assert code == 0, output
    assert "3 paragraphs left in the original: 1, 2, 3" in " ".join(output.split())
    assert (tmp_path / "post.en.txt").read_text(encoding="utf-8").startswith("Утром 12 мая")


def test_with_a_tiny_nmt_model_structure_holds(tmp_path: Path) -> None:
    pytest.importorskip("transformers", reason="building the test model needs transformers (the test extra)")
    from nmt_model import build_marian

    model = build_marian(tmp_path / "model")
    post = tmp_path / "post.md"
    post.write_text(MARKDOWN, encoding="utf-8")
    code, output = run("translate-text", str(post), "--from", "ru", "--nmt-model", str(model))
    assert code == 0, output
    out = read_document(tmp_path / "post.en.md") if (tmp_path / "post.en.md").stat().st_size else None
    assert out is not None and "nmt:opus-mt-tiny-ru-en" in output
    links = [url for b in out.blocks for _, url in b.links]
    assert "https://t.me/channel/5" in links and "http://a.example/b" in links


def test_no_text_engine_is_a_clear_error(tmp_path: Path) -> None:
    post = tmp_path / "post.txt"
    post.write_text(POST, encoding="utf-8")
    code, output = run("translate-text", str(post), "--from", "ru")
    assert code == 4
    assert "whisper translates speech only" in " ".join(output.split())
    assert not (tmp_path / "post.en.txt").exists()


def test_a_remote_engine_is_refused_without_allow_remote(tmp_path: Path) -> None:
    post = tmp_path / "post.txt"
    post.write_text(POST, encoding="utf-8")
    args = ["translate-text", str(post), "--engine", "llm", "--llm-url", "https://api.example.com/v1"]
    code, output = run(*args, "--llm-model", "m")
    assert code == 2 and "--allow-remote" in output


def test_bad_input_is_an_input_error(tmp_path: Path, server: LlmServer) -> None:
    code, output = run("translate-text", str(tmp_path / "missing.txt"), *llm(server))
    assert code == 2 and "no such file" in output
    (tmp_path / "x.pdf").write_bytes(b"%PDF")
    code, output = run("translate-text", str(tmp_path / "x.pdf"), *llm(server))
    assert code == 2 and "unknown document type" in output
