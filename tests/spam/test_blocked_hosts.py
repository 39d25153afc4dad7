"""Blocked sites (blog/spam/hosts.py): which hosts can be blocked, and what a
blocked host matches: a comment's site and its links, label by label."""

from __future__ import annotations

import pytest

from blog.comments.sanitize import comment_to_html
from blog.comments.values import Client, CommentText
from blog.models import CommentStatus
from blog.spam.hosts import HostRefused, blockable_host, matching_host, registrable_domain
from blog.spam.rules import SpamSettings, Submission, check_blocked_hosts

BLOCKED = ("spam.example.com",)


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("spam.example.com", "spam.example.com"),
        ("  Spam.Example.COM.  ", "spam.example.com"),
        ("bücher.de", "xn--bcher-kva.de"),
        ("BÜCHER.de", "xn--bcher-kva.de"),
        ("spam。example。com", "spam.example.com"),
        ("www.github.io", "www.github.io"),  # one owner's site under a public suffix
        ("example.co.uk", "example.co.uk"),
    ],
)
def test_a_host_is_stored_in_lower_case_ascii(typed, stored):
    assert blockable_host(typed) == stored


@pytest.mark.parametrize(
    ("typed", "reason"),
    [
        ("mozilla", "il nome di un sito ha almeno un punto"),
        ("www.mozilla", "non finisce con un dominio di primo livello conosciuto"),
        ("pillole.example", "non finisce con un dominio di primo livello conosciuto"),
        ("com", "il nome di un sito ha almeno un punto"),
        ("co.uk", "è un suffisso pubblico"),
        ("github.io", "è un suffisso pubblico"),
        ("203.0.113.9", "è un indirizzo IP"),
        ("[2001:db8::1]", "è un indirizzo IP"),
        ("http://spam.example.com/", "non è il nome di un sito"),
        ("spam..example.com", "non è il nome di un sito"),
        ("a" * 64 + ".example.com", "non è il nome di un sito"),
        ("spam example.com", "non è il nome di un sito"),
    ],
)
def test_what_nobody_owns_is_refused_with_a_reason(typed, reason):
    with pytest.raises(HostRefused) as refused:
        blockable_host(typed)
    assert reason in refused.value.message


def test_the_registrable_domain_follows_the_public_suffix_list():
    assert registrable_domain("www.shop.example.co.uk") == "example.co.uk"
    assert registrable_domain("a.spam.example.com") == "example.com"
    assert registrable_domain("someone.github.io") == "someone.github.io"
    assert registrable_domain("www.mozilla") is None


@pytest.mark.parametrize(
    ("url", "body", "matched"),
    [
        ("http://spam.example.com", "", "spam.example.com"),
        ("https://SPAM.Example.com:8443/pagina?x=1", "", "spam.example.com"),
        ("http://a.b.spam.example.com/", "", "spam.example.com"),
        ("http://spam.example.com./", "", "spam.example.com"),
        ("http://spam%2Eexample.com/", "", "spam.example.com"),  # as a browser reads it
        ("http://user@spam.example.com/", "", "spam.example.com"),
        ("", "Guardate https://a.spam.example.com/x", "spam.example.com"),
        ("", '<a href="http://x_y.spam.example.com/">qui</a>', "spam.example.com"),
        ("", "spam.example.com/offerta", "spam.example.com"),  # linked bare domain
        ("http://notspam.example.com", "", None),
        ("http://spam.example.com.evil.test", "", None),
        ("http://example.com", "", None),
        ("", "Scrivete a bot@spam.example.com", None),  # a mail link, not a site
        ("", "spam.example.community", None),
        ("", "", None),
    ],
)
def test_a_blocked_host_matches_itself_and_its_subdomains(url, body, matched):
    assert matching_host(url, comment_to_html(body), BLOCKED) == matched


def test_an_international_host_matches_however_it_is_written():
    blocked = (blockable_host("bücher.de"),)
    assert matching_host("http://shop.BÜCHER.de/", "", blocked) == "xn--bcher-kva.de"
    assert matching_host("http://shop.xn--bcher-kva.de/", "", blocked) == "xn--bcher-kva.de"
    assert matching_host("http://bucher.de/", "", blocked) is None


def submission(**fields: str) -> Submission:
    values = {
        "author": "Giulia",
        "email": "giulia@example.it",
        "url": "",
        "body": "",
        "body_html": "",
        "ip_address": "198.51.100.1",
        "user_agent": "Mozilla/5.0 Firefox/128.0",
        "honeypot": "",
    }
    values.update(fields)
    return Submission(
        text=CommentText(values["author"], values["email"], values["url"], values["body"]),
        body_html=values["body_html"],
        client=Client(ip_address=values["ip_address"], user_agent=values["user_agent"]),
        honeypot=values["honeypot"],
        seconds_to_submit=60.0,
    )


SETTINGS = SpamSettings(
    min_seconds=0, max_links=0, moderation_keys=(), disallowed_keys=(), blocked_hosts=BLOCKED
)


@pytest.mark.parametrize(
    "fields",
    [
        {"author": "spam.example.com"},
        {"email": "bot@spam.example.com"},
        {"user_agent": "Mozilla/5.0 (spam.example.com) Firefox/128.0"},
        {"ip_address": "spam.example.com"},
        {"body": "spam.example.com", "body_html": "<p>spam . example . com</p>"},
    ],
)
def test_the_check_never_reads_the_name_email_browser_or_address(fields):
    assert check_blocked_hosts(submission(**fields), SETTINGS) is None


def test_the_check_sends_a_comment_on_a_blocked_site_to_spam():
    verdict = check_blocked_hosts(submission(url="https://www.spam.example.com/"), SETTINGS)
    assert verdict is not None
    assert verdict.status is CommentStatus.SPAM
    assert verdict.reason == "sito bloccato «spam.example.com»"
    without = SpamSettings(min_seconds=0, max_links=0, moderation_keys=(), disallowed_keys=())
    assert check_blocked_hosts(submission(url="https://spam.example.com/"), without) is None
