"""The learning filter's arithmetic and tokens: pure functions, no database."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from blog import create_app
from blog.comments.sanitize import comment_to_html
from blog.config import DEFAULTS
from blog.models import CommentStatus
from blog.spam import bayes
from blog.spam.bayes import (
    MAX_TOKENS,
    FilterSettings,
    Message,
    chi2_survival,
    classify,
    combine,
    comment_message,
    token_probability,
    tokens,
)
from blog.spam.bayes_store import TOTALS

SETTINGS = FilterSettings.from_config(DEFAULTS)
probabilities = st.floats(min_value=0.001, max_value=0.999)


# Robinson's f(w)


@pytest.mark.parametrize(
    ("spam", "ham", "spam_messages", "ham_messages", "expected"),
    [
        # Never seen: x.
        (0, 0, 10, 10, 0.5),
        # Only in spam, ten times: p = 1, f = (0.45·0.5 + 10) / 10.45.
        (10, 0, 10, 10, (0.225 + 10) / 10.45),
        # Only in ham, once: p = 0, f = 0.225 / 1.45.
        (0, 1, 10, 10, 0.225 / 1.45),
        # Equal shares: 0.5 however often.
        (5, 5, 10, 10, 0.5),
        # Shares, not counts: 10 of 100 spam against 10 of 1,000 ham is p = 10/11.
        (10, 10, 100, 1000, (0.225 + 20 * (10 / 11)) / 20.45),
        # Counts above the totals are read as the totals.
        (50, 0, 10, 10, (0.225 + 10) / 10.45),
        # Nothing trained of one kind: whatever it saw is all of one side.
        (3, 0, 3, 0, (0.225 + 3) / 3.45),
    ],
)
def test_token_probability_known_values(spam, ham, spam_messages, ham_messages, expected):
    assert token_probability(spam, ham, spam_messages, ham_messages, 0.45, 0.5) == pytest.approx(
        expected
    )


def test_token_probability_grows_with_spam_and_falls_with_ham():
    by_spam = [token_probability(b, 3, 100, 100, 0.45, 0.5) for b in range(0, 50)]
    by_ham = [token_probability(3, g, 100, 100, 0.45, 0.5) for g in range(0, 50)]
    assert by_spam == sorted(by_spam) and len(set(by_spam)) == len(by_spam)
    assert by_ham == sorted(by_ham, reverse=True) and len(set(by_ham)) == len(by_ham)


def test_more_evidence_moves_a_token_further_from_x():
    seen = [token_probability(n, 0, 1000, 1000, 0.45, 0.5) for n in (1, 2, 5, 20, 100)]
    assert seen == sorted(seen)
    assert seen[0] < 0.9 < seen[-1] < 1


# The chi-square tail and Fisher's combination


@pytest.mark.parametrize(
    ("chi2", "dof", "expected"),
    [
        (0.0, 2, 1.0),
        (2.0, 2, math.exp(-1)),
        (4.0, 4, 3 * math.exp(-2)),
        (10.0, 6, math.exp(-5) * (1 + 5 + 12.5)),
        # Far past the mean with many degrees of freedom: no underflow, no error.
        (5000.0, 300, 0.0),
    ],
)
def test_chi2_survival_known_values(chi2, dof, expected):
    assert chi2_survival(chi2, dof) == pytest.approx(expected, abs=1e-12)


def test_chi2_survival_is_about_half_at_the_mean_for_many_degrees():
    assert 0.45 < chi2_survival(300.0, 300) < 0.5


def test_chi2_survival_wants_even_degrees():
    with pytest.raises(ValueError):
        chi2_survival(1.0, 3)


@pytest.mark.parametrize("probability", [0.01, 0.2, 0.5, 0.8, 0.99])
def test_one_token_combines_to_its_own_probability(probability):
    # H = e^(ln f) = f and S = 1 - f, so (1 + H - S) / 2 = f.
    assert combine([probability]) == pytest.approx(probability)


def test_combine_known_values():
    assert combine([]) == 0.5
    assert combine([0.5] * 20) == pytest.approx(0.5)
    assert combine([0.99, 0.01]) == pytest.approx(0.5)
    assert combine([0.99] * 10) > 0.999999
    assert combine([0.01] * 10) < 0.000001


@given(st.lists(probabilities, min_size=1, max_size=150))
def test_combine_is_symmetric_and_bounded(values):
    score = combine(values)
    assert 0 <= score <= 1
    assert score + combine([1 - value for value in values]) == pytest.approx(1, abs=1e-9)


@given(st.lists(probabilities, min_size=1, max_size=60), st.data())
def test_combine_grows_with_any_tokens_probability(values, data):
    index = data.draw(st.integers(0, len(values) - 1))
    higher = data.draw(st.floats(min_value=values[index], max_value=0.999))
    raised = [*values[:index], higher, *values[index + 1 :]]
    assert combine(raised) >= combine(values) - 1e-12


# Classifying


def test_classify_uses_the_most_significant_tokens_only():
    counts = {
        "viagra": (40, 0),
        "casino": (30, 1),
        "stabilimento": (0, 40),
        "ciao": (20, 20),  # 0.5: left out
    }
    settings = FilterSettings(**{**SETTINGS.__dict__, "max_clues": 2})
    result = classify(["ciao", "stabilimento", "casino", "viagra", "mai"], counts, 40, 40, settings)
    # Equally strong: in the order of their tokens, so that the choice is repeatable.
    assert [token for token, _ in result.clues] == ["stabilimento", "viagra"]
    assert result.score == pytest.approx(0.5, abs=0.01)
    every = classify(["ciao", "stabilimento", "casino", "viagra", "mai"], counts, 40, 40, SETTINGS)
    assert [token for token, _ in every.clues] == ["stabilimento", "viagra", "casino"]
    # Two spammy tokens against one as hammy: leaning to spam, and unsure.
    assert 0.5 < every.score < 0.9


def test_classify_with_nothing_learned_says_nothing():
    result = classify(["qualsiasi", "parola"], {}, 0, 0, SETTINGS)
    assert result.score == 0.5
    assert result.clues == ()


def test_tokens_nearer_half_than_the_minimum_deviation_are_left_out():
    counts = {"tiepido": (6, 4)}  # f ≈ 0.59
    assert classify(["tiepido"], counts, 10, 10, SETTINGS).clues == ()
    looser = FilterSettings(**{**SETTINGS.__dict__, "min_deviation": 0.05})
    assert [token for token, _ in classify(["tiepido"], counts, 10, 10, looser).clues] == [
        "tiepido"
    ]


def result_with(score: float, spam_messages: int = 20, ham_messages: int = 20):
    return bayes.Classification(
        score=score,
        clues=(("viagra", 0.99), ("casino", 0.98), ("host:spam.example", 0.97), ("x", 0.9)),
        spam_messages=spam_messages,
        ham_messages=ham_messages,
    )


@pytest.mark.parametrize(
    ("score", "spam_messages", "ham_messages", "expected"),
    [
        (0.995, 20, 20, CommentStatus.SPAM),
        (0.99, 20, 20, CommentStatus.SPAM),
        (0.95, 20, 20, CommentStatus.PENDING),
        (0.9, 20, 20, CommentStatus.PENDING),
        (0.89, 20, 20, None),
        (0.01, 20, 20, None),
        # Not trained enough on one kind or the other: it only scores.
        (0.999, 19, 500, None),
        (0.999, 500, 19, None),
    ],
)
def test_the_verdict_follows_the_thresholds_after_the_minimum_training(
    score, spam_messages, ham_messages, expected
):
    found = bayes.verdict(result_with(score, spam_messages, ham_messages), SETTINGS)
    assert (found.status if found else None) == expected


def test_the_verdicts_reason_names_the_score_and_the_words():
    found = bayes.verdict(result_with(0.9973), SETTINGS)
    assert found is not None
    assert found.reason == (
        "filtro che impara: punteggio 0,997 (viagra, casino, host:spam.example)"
    )


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("SPAM_PRIOR_STRENGTH", 0),
        ("SPAM_UNKNOWN_PROBABILITY", 1),
        ("SPAM_UNKNOWN_PROBABILITY", 0),
        ("SPAM_MAX_CLUES", 0),
    ],
)
def test_settings_the_arithmetic_cannot_use_stop_the_start(key, value):
    with pytest.raises(ValueError):
        create_app({"TESTING": True, "SECRET_KEY": "x", key: value})


# Tokens


def test_tokens_of_every_field_carry_their_own_prefix():
    message = comment_message(
        "Cheap Viagra",
        "bot@Mail.Spam.Example.com",
        "http://www.Pills.example.ru/x",
        comment_to_html(
            "Buy cheap pills now!!! <a href='https://shop.pills.example.ru/?a=1&b=2'>here</a> "
            "and https://bit.example/x è molto conveniente"
        ),
    )
    assert tokens(message) == [
        "name:cheap",
        "name:viagra",
        "email:mail.spam.example.com",
        "email:example.com",
        "site:www.pills.example.ru",
        "site:example.ru",
        "host:shop.pills.example.ru",
        "host:example.ru",
        "host:bit.example",
        # The text: each word, and each with the one before it.
        "buy",
        "cheap",
        "buy cheap",
        "pills",
        "cheap pills",
        "now",
        "pills now",
        "here",
        "now here",
        "and",
        "here and",
        "https",
        "and https",
        "bit.example",
        "https bit.example",
        "molto",
        "bit.example molto",
        "conveniente",
        "molto conveniente",
    ]


def test_a_host_token_is_not_the_word():
    found = tokens(Message(text="example.com", links=["https://example.com/"]))
    assert found == ["host:example.com", "example.com"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # Case, fullwidth letters and zero-width characters fold away.
        ("Viagra ｖｉａｇｒａ via\u200bgra", ["viagra", "viagra viagra"]),
        # A word in capitals is also itself in capitals.
        ("VIAGRA", ["viagra", "caps:viagra"]),
        # Short words and plain numbers carry nothing; money and percentages stay.
        ("è di 12345 un $100 50%", ["$100"]),
        # Trailing punctuation goes, inner punctuation stays.
        (
            "l'auto... e-mail! www.casino.example.",
            [
                "l'auto",
                "e-mail",
                "l'auto e-mail",
                "www.casino.example",
                "e-mail www.casino.example",
            ],
        ),
        # A run longer than a word becomes its first letter and its length, alone.
        ("a" * 45 + " " + "Q" * 26, ["skip:a 40", "skip:q 20"]),
    ],
)
def test_words_are_folded_and_bounded(text, expected):
    assert tokens(Message(text=text)) == expected


def test_tokens_are_unique_and_capped():
    text = " ".join(f"parola{n}" for n in range(5 * MAX_TOKENS)) + " parola1"
    found = tokens(Message(text=text))
    assert len(found) == MAX_TOKENS == len(set(found))
    assert found[:2] == ["parola0", "parola1"]


@given(st.text(max_size=300), st.text(max_size=40), st.text(max_size=40))
def test_no_token_is_the_totals_row_or_too_long(text, name, site):
    for token in tokens(Message(text=text, name=name, email=f"{name}@{site}", site=site)):
        assert token != TOTALS
        assert 0 < len(token) <= 128
        assert token == token.casefold() or token.startswith(("site:", "email:", "host:"))


@pytest.mark.parametrize("address", ["http://[::1", "http://a:notaport/", "", "mailto:x", "//"])
def test_odd_addresses_give_no_host(address):
    assert bayes.host_of(address) == "" or ":" not in bayes.host_of(address)
    list(bayes.host_tokens("site", address))  # no error


def test_a_link_tag_written_as_text_is_no_link():
    html = comment_to_html('Nel tema scrivi &lt;a href="//finto.example"&gt; e basta')
    assert comment_message("a", "", "", html).links == []
    assert "host:finto.example" not in tokens(comment_message("a", "", "", html))
