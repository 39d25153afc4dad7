"""Catalogs kept honest: complete, same placeholders, in step with the code."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from blog.core.i18n import TRANSLATIONS, available_languages

PROJECT = Path(__file__).resolve().parents[2]
CATALOGS = sorted(TRANSLATIONS.glob("*/LC_MESSAGES/messages.po"))
PLACEHOLDER = re.compile(r"\{[a-z_]+\}|%\([a-z_]+\)[sd]")


def read(path: Path):
    with path.open("rb") as file:
        return read_po(file)


def sources(message) -> list[str]:
    return list(message.id) if isinstance(message.id, tuple | list) else [message.id]


def context(message) -> str | None:
    """read_mo gives contexts as bytes, read_po as text."""
    found = message.context
    return found.decode() if isinstance(found, bytes) else found


def translations(message) -> list[str]:
    return list(message.string) if isinstance(message.string, tuple | list) else [message.string]


def test_italian_ships():
    assert "it" in available_languages() and "en" in available_languages()


@pytest.mark.parametrize("path", CATALOGS, ids=lambda path: path.parts[-3])
def test_every_entry_is_translated_and_none_is_fuzzy(path):
    catalog = read(path)
    assert not catalog.fuzzy, "the header is marked fuzzy: pybabel compile would skip it"
    untranslated = [m.id for m in catalog if m.id and not all(translations(m))]
    fuzzy = [m.id for m in catalog if m.id and m.fuzzy]
    assert untranslated == [] and fuzzy == []


@pytest.mark.parametrize("path", CATALOGS, ids=lambda path: path.parts[-3])
def test_translations_keep_the_placeholders(path):
    wrong = []
    for message in read(path):
        if not message.id:
            continue
        wanted = set(PLACEHOLDER.findall(sources(message)[-1]))
        for text in translations(message):
            if set(PLACEHOLDER.findall(text)) != wanted:
                wrong.append((message.id, text))
    assert wrong == []


@pytest.mark.parametrize("path", CATALOGS, ids=lambda path: path.parts[-3])
def test_the_compiled_catalog_is_the_catalog(path):
    with path.with_suffix(".mo").open("rb") as file:
        compiled = read_mo(file)
    catalog = read(path)
    expected = {(context(m), sources(m)[0]): translations(m) for m in catalog if m.id}
    assert {(context(m), sources(m)[0]): translations(m) for m in compiled if m.id} == expected


def test_every_sentence_of_the_code_is_in_the_catalogs(tmp_path):
    """What `make i18n` would extract today is what the catalogs hold."""
    template = tmp_path / "messages.pot"
    keywords = Path(PROJECT / "Makefile").read_text()
    flags = re.findall(r"-k (\S+)", keywords)
    subprocess.run(
        [sys.executable, "-m", "babel.messages.frontend", "-q", "extract", "-F", "babel.cfg"]
        + [arg for flag in flags for arg in ("-k", flag)]
        + ["--no-location", "-o", str(template), "."],
        cwd=PROJECT,
        check=True,
    )
    wanted = {(m.context, m.id) for m in read(template) if m.id}
    for path in CATALOGS:
        held = {(m.context, m.id) for m in read(path) if m.id}
        assert wanted - held == set(), f"{path}: run make i18n and translate"
        assert held - wanted == set(), f"{path}: run make i18n to drop unused sentences"
