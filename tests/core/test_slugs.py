"""An article's address made from its title: Italian transliteration."""

from __future__ import annotations

import pytest

from blog.core.slugs import SLUG, SLUG_MAX, slugify

TITLES = [
    ("Perché l'Alfa", "perche-lalfa"),
    ("Perché l’Alfa", "perche-lalfa"),
    ("L'auto dell'anno: com'è?", "lauto-dellanno-come"),
    ("Perché %C3%A8 Così", "perche-e-cosi"),
    ("perch%C3%A9-l%27alfa", "perche-lalfa"),
    ("Città, più, là, né, sì", "citta-piu-la-ne-si"),
    ("  Spazi   e -- trattini  ", "spazi-e-trattini"),
    ("Straße, Œuvre, Ærø, Łódź", "strasse-oeuvre-aero-lodz"),
    ("Caffè & cornetto", "caffe-cornetto"),
    ("2024: l'anno", "2024-lanno"),
    ("«Virgolette» “inglesi”", "virgolette-inglesi"),
    ("'", ""),
    ("日本語", ""),
]


@pytest.mark.parametrize(("title", "slug"), TITLES)
def test_slugify(title, slug):
    assert slugify(title) == slug


def test_a_long_title_makes_a_valid_slug():
    slug = slugify("l'" + "parola " * 100)
    assert len(slug) <= SLUG_MAX
    assert SLUG.fullmatch(slug)
    assert not slug.endswith("-")
