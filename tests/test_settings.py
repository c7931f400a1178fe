"""The settings table: sources, precedence, parsing, and that every setting is documented."""

from __future__ import annotations

from pathlib import Path

import pytest

from tolmach.errors import OptionsError
from tolmach.options import Options
from tolmach.settings import BY_NAME, SETTINGS, load_options, parse_value, read_config, settings_markdown

DOCS = Path(__file__).parent.parent / "docs" / "SETTINGS.md"


def test_every_option_is_a_setting_with_help() -> None:
    assert [s.name for s in SETTINGS] == list(Options.__dataclass_fields__)
    assert all(s.help for s in SETTINGS)


def test_every_setting_is_documented() -> None:
    text = DOCS.read_text(encoding="utf-8")
    missing = [s.name for s in SETTINGS if f"`{s.name}`" not in text or f"`{s.env}`" not in text]
    assert missing == []
    assert settings_markdown() in text, "regenerate the table: python -m tolmach.settings > table"


def test_precedence_default_config_env_override(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "config.toml"
    config.write_text('model = "small"\nbeam_size = 3\nformats = ["srt", "json"]\n', encoding="utf-8")
    monkeypatch.setenv("TOLMACH_CONFIG", str(config))
    options = load_options({"beam_size": None}, environ={"TOLMACH_BEAM_SIZE": "2", "TOLMACH_VAD": "off"})
    assert (options.model, options.beam_size, options.formats, options.vad) == (
        "small",
        2,
        ("srt", "json"),
        False,
    )
    assert load_options({"beam_size": 1}, environ={"TOLMACH_BEAM_SIZE": "2"}).beam_size == 1
    assert load_options(environ={}).lang is None


def test_text_values_are_parsed_to_the_field_type() -> None:
    assert parse_value(BY_NAME["formats"], "srt, vtt,ass", "x") == ("srt", "vtt", "ass")
    assert parse_value(BY_NAME["translate"], "no", "x") is False
    assert parse_value(BY_NAME["fps"], "29.97", "x") == 29.97
    assert parse_value(BY_NAME["lang"], "auto", "x") is None


def test_bad_values_name_their_source() -> None:
    with pytest.raises(OptionsError, match=r"TOLMACH_BEAM_SIZE: 'many' is not a valid value for beam_size"):
        load_options(environ={"TOLMACH_BEAM_SIZE": "many"})
    with pytest.raises(OptionsError, match="unknown language code 'xx'"):
        load_options({"lang": "xx"}, environ={})
    with pytest.raises(OptionsError, match="unknown output format 'docx'"):
        load_options({"formats": ("srt", "docx")}, environ={})


def test_config_file_errors_are_one_line(tmp_path: Path) -> None:
    bad = tmp_path / "config.toml"
    bad.write_text("colour = 'red'\n", encoding="utf-8")
    with pytest.raises(OptionsError, match=r"config.toml: unknown setting 'colour'"):
        read_config(bad)
    bad.write_text("model = \n", encoding="utf-8")
    with pytest.raises(OptionsError, match="cannot read config file"):
        read_config(bad)
