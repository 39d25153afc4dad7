"""The guard of outgoing requests (blog/core/fetch.py): each refusal, and
the same request let through when only that check is relaxed."""

from __future__ import annotations

import ipaddress
import time
from collections.abc import Iterator

import pytest

from blog.core import fetch as guard
from blog.core.fetch import FetchError, FetchRefused, FetchSettings
from tests.support.web_server import Site, web_site

PRODUCTION = FetchSettings(user_agent="Il blog (+https://blog.example)")
#: What the tests' own loopback server needs: http and loopback allowed.
LOOPBACK = FetchSettings(
    user_agent="Il blog (+https://blog.example)",
    allow_http=True,
    allow_loopback=True,
    timeout=2,
    max_bytes=1000,
    max_redirects=3,
)
HTTP_ONLY = FetchSettings(user_agent="x", allow_http=True)


@pytest.fixture
def site() -> Iterator[Site]:
    with web_site() as site:
        site.serve("/page", "<p>ciao</p>")
        yield site


def test_a_public_page_is_fetched_with_the_blogs_user_agent(site: Site) -> None:
    fetched = guard.fetch(site.url("/page"), LOOPBACK)
    assert (fetched.status, fetched.text) == (200, "<p>ciao</p>")
    assert site.received[-1].headers["user-agent"] == "Il blog (+https://blog.example)"


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "127.9.9.9",
        "::1",
        "10.0.0.1",
        "172.16.5.4",
        "192.168.1.1",
        "100.64.0.1",  # shared address space (carrier NAT)
        "169.254.169.254",  # cloud metadata
        "fe80::1",
        "fc00::1",
        "0.0.0.0",
        "::",
        "224.0.0.1",
        "ff02::1",
        "240.0.0.1",
        "255.255.255.255",
        "::ffff:127.0.0.1",
        "::ffff:10.0.0.1",
        "::ffff:169.254.169.254",
        "2002:7f00:1::1",  # 6to4 around 127.0.0.1
        "2002:a9fe:a9fe::1",  # 6to4 around 169.254.169.254
        "64:ff9b::7f00:1",  # NAT64 around 127.0.0.1
        "64:ff9b::a9fe:a9fe",  # NAT64 around 169.254.169.254
        "2001:db8::1",  # documentation
    ],
)
def test_an_address_that_is_not_public_is_refused(address: str) -> None:
    assert guard.refusal(ipaddress.ip_address(address)) is not None


@pytest.mark.parametrize(
    "address", ["93.184.216.34", "2606:2800:220:1:248:1893:25c8:1946", "64:ff9b::5db8:d822"]
)
def test_a_public_address_is_allowed(address: str) -> None:
    assert guard.refusal(ipaddress.ip_address(address)) is None


def test_only_loopback_itself_is_let_through_by_the_test_setting() -> None:
    assert guard.refusal(ipaddress.ip_address("127.0.0.1"), allow_loopback=True) is None
    assert guard.refusal(ipaddress.ip_address("::1"), allow_loopback=True) is None
    for hidden in ("::ffff:127.0.0.1", "10.0.0.1", "169.254.169.254", "64:ff9b::7f00:1"):
        assert guard.refusal(ipaddress.ip_address(hidden), allow_loopback=True) is not None


@pytest.mark.parametrize("host", ["127.0.0.1", "[::ffff:127.0.0.1]", "localhost"])
def test_loopback_is_refused_unless_the_test_setting_allows_it(site: Site, host: str) -> None:
    url = site.url("/page", host=host)
    with pytest.raises(FetchRefused):
        guard.fetch(url, HTTP_ONLY)
    assert site.received == []
    if host != "[::ffff:127.0.0.1]":  # a mapped address stays refused
        assert guard.fetch(url, LOOPBACK).status == 200


@pytest.mark.parametrize(
    "url",
    [
        "http://[::1]:9/",
        "http://10.0.0.1/",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::ffff:127.0.0.1]/",
        "http://0x7f.1/",  # 127.0.0.1 as some resolvers read it
        "http://2130706433/",  # 127.0.0.1 as a number
    ],
)
def test_addresses_are_checked_after_resolution(url: str) -> None:
    with pytest.raises(FetchRefused):
        guard.fetch(url, HTTP_ONLY)


def test_a_name_resolving_to_loopback_among_public_addresses_is_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    answers = [ipaddress.ip_address("8.8.8.8"), ipaddress.ip_address("127.0.0.1")]
    monkeypatch.setattr(guard, "resolve", lambda host, port: answers)
    # One public and one loopback answer: every address is checked, not the first.
    with pytest.raises(FetchRefused, match="127.0.0.1"):
        guard.check_url("https://mixed.example/", PRODUCTION)


def test_the_checked_address_is_the_one_connected_to(
    site: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No second lookup: a name only the guard can resolve still reaches the
    page, and the request keeps the name in Host."""
    looked_up: list[str] = []

    def resolve(host: str, port: int) -> list[ipaddress.IPv4Address | ipaddress.IPv6Address]:
        looked_up.append(host)
        return [ipaddress.ip_address("127.0.0.1")]

    monkeypatch.setattr(guard, "resolve", resolve)
    fetched = guard.fetch(f"http://rebinding.invalid:{site.port}/page", LOOPBACK)
    assert fetched.status == 200
    assert looked_up == ["rebinding.invalid"]
    assert site.received[-1].headers["host"] == f"rebinding.invalid:{site.port}"


def test_a_redirect_is_checked_like_the_first_address(site: Site) -> None:
    site.serve(
        "/to-mapped",
        status=302,
        headers={"Location": f"http://[::ffff:127.0.0.1]:{site.port}/page"},
    )
    site.serve("/to-metadata", status=301, headers={"Location": "http://169.254.169.254/latest/"})
    site.serve(
        "/to-loopback", status=307, headers={"Location": f"http://localhost:{site.port}/page"}
    )
    for path in ("/to-mapped", "/to-metadata"):
        with pytest.raises(FetchRefused):
            guard.fetch(site.url(path), LOOPBACK)
    # The same redirect to loopback is followed only where loopback is allowed.
    assert guard.fetch(site.url("/to-loopback"), LOOPBACK).text == "<p>ciao</p>"
    assert [r.path for r in site.received].count("/page") == 1


def test_http_is_refused_in_production(site: Site) -> None:
    production_on_loopback = FetchSettings(user_agent="x", allow_loopback=True)
    with pytest.raises(FetchRefused, match="only https"):
        guard.fetch(site.url("/page"), production_on_loopback)
    assert site.received == []
    for url in ("ftp://example.com/", "file:///etc/passwd", "gopher://127.0.0.1/"):
        with pytest.raises(FetchRefused):
            guard.fetch(url, LOOPBACK)


def test_credentials_in_the_address_are_refused(site: Site) -> None:
    with pytest.raises(FetchRefused, match="credentials"):
        guard.fetch(f"http://user:pw@127.0.0.1:{site.port}/page", LOOPBACK)


@pytest.mark.parametrize("no_length", [False, True])
def test_a_body_too_big_is_refused(site: Site, no_length: bool) -> None:
    site.serve("/big", "x" * 1001, no_length=no_length)
    site.serve("/fits", "x" * 1000, no_length=no_length)
    with pytest.raises(FetchRefused, match="over 1000 bytes"):
        guard.fetch(site.url("/big"), LOOPBACK)
    assert len(guard.fetch(site.url("/fits"), LOOPBACK).body) == 1000


def test_a_server_that_does_not_answer_in_time_is_given_up(site: Site) -> None:
    site.serve("/slow", "late", delay=3)
    with pytest.raises(FetchError, match="timed out"):
        guard.fetch(site.url("/slow"), LOOPBACK)


def test_a_body_that_trickles_is_given_up_at_the_deadline(site: Site) -> None:
    # Each byte comes well within the read timeout; the whole takes 5 s.
    site.serve("/drip", "x" * 50, drip=0.1)
    started = time.monotonic()
    with pytest.raises(FetchError, match="more than 2 s"):
        guard.fetch(site.url("/drip"), LOOPBACK)
    assert time.monotonic() - started < 4  # cut at the deadline, not at the end


def test_too_many_redirects_are_refused(site: Site) -> None:
    for hop in range(5):
        site.serve(f"/hop{hop}", status=302, headers={"Location": f"/hop{hop + 1}"})
    site.serve("/hop5", "arrivato")
    with pytest.raises(FetchRefused, match="more than 3 redirects"):
        guard.fetch(site.url("/hop1"), LOOPBACK)
    assert guard.fetch(site.url("/hop2"), LOOPBACK).text == "arrivato"
