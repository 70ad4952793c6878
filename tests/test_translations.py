"""The translation files: what hassfest demands, and both languages alike."""

from __future__ import annotations

from collections.abc import Iterator
import json
from pathlib import Path
import re
from typing import Any

import pytest

TRANSLATIONS = (
    Path(__file__).parents[1]
    / "custom_components"
    / "iot_connectivity"
    / "translations"
)
LANGUAGES = sorted(path.stem for path in TRANSLATIONS.glob("*.json"))
URL = re.compile(
    r"(((ftp|ftps|scp|http|https|mqtt|mqtts|socket|socks5):\/\/|www\.)"
    r"[a-z0-9]+([\-\.]{1}[a-z0-9]+)*\.[a-z]{2,5}(:[0-9]{1,5})?(\/.*)?)",
    re.IGNORECASE,
)
"""hassfest's pattern: a URL belongs in a description placeholder."""
PLACEHOLDER = re.compile(r"{(\w+)}")


def strings(node: Any, path: str = "") -> Iterator[tuple[str, str]]:
    """Every string of a translation file, with its dotted path."""
    if isinstance(node, dict):
        for key, value in node.items():
            yield from strings(value, f"{path}.{key}" if path else key)
    else:
        yield path, node


def load(language: str) -> dict[str, str]:
    """A translation file's strings by path."""
    return dict(strings(json.loads((TRANSLATIONS / f"{language}.json").read_text())))


def test_languages() -> None:
    assert LANGUAGES == ["en", "nl"]


@pytest.mark.parametrize("language", LANGUAGES)
def test_no_urls_in_strings(language: str) -> None:
    """hassfest refuses a translation string with a URL in it."""
    offending = [path for path, text in load(language).items() if URL.search(text)]
    assert offending == []


@pytest.mark.parametrize("language", [lang for lang in LANGUAGES if lang != "en"])
def test_same_strings_and_placeholders_as_english(language: str) -> None:
    english, other = load("en"), load(language)
    assert set(other) == set(english)
    for path, text in english.items():
        assert set(PLACEHOLDER.findall(other[path])) == set(
            PLACEHOLDER.findall(text)
        ), path
