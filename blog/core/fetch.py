"""The one guard every outgoing request to an address a stranger chose goes through.

A Webmention's source, a page an article links to, its Webmention
endpoint: each is an address someone else picked, and fetching it from
the server could reach what only the server can reach (a database's HTTP
port, a cloud's metadata service at 169.254.169.254, an admin page on
loopback). So, for every request and every redirect hop:

* only ``https`` (``FETCH_ALLOW_HTTP`` allows ``http``), no credentials in
  the address;
* the host name is resolved once, and every address it resolves to must be
  public: no private, loopback, link-local, multicast, reserved or
  unspecified address, nor one of those hidden in an IPv4-mapped, 6to4 or
  NAT64 IPv6 address (``FETCH_ALLOW_LOOPBACK`` lets loopback through, for
  tests only);
* the connection goes to the address that was checked, never to a second
  lookup's answer (a name that answers differently the second time cannot
  slip through): the request carries the name in ``Host`` and in TLS's SNI,
  and the certificate is checked against the name;
* the time to connect and between reads is bounded, and so is the whole
  exchange (``FETCH_TIMEOUT``); the body is read as it streams and dropped
  past ``FETCH_MAX_BYTES``; at most ``FETCH_MAX_REDIRECTS`` redirects, each
  hop checked as the first;
* the User-Agent names the blog; no proxy from the environment is used.

Built on httpx (already a dependency, for Akismet): its ``sni_hostname``
request extension is what keeps TLS talking to the name while the socket
goes to the checked address.
"""

from __future__ import annotations

import ipaddress
import socket
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin, urlsplit, urlunsplit

import httpx

Address = ipaddress.IPv4Address | ipaddress.IPv6Address

#: IPv6 prefixes that carry an IPv4 address in their last 32 bits (RFC 6052,
#: RFC 8215): the IPv4 address inside is what would be reached.
NAT64_PREFIXES = (
    ipaddress.IPv6Network("64:ff9b::/96"),
    ipaddress.IPv6Network("64:ff9b:1::/48"),
)
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})


class FetchError(Exception):
    """A fetch that did not complete: the guard refused it, or the network failed."""


class FetchRefused(FetchError):
    """The guard refused the address, a redirect, or what came back."""


@dataclass(frozen=True)
class FetchSettings:
    """What bounds a fetch; :meth:`from_config` reads the ``FETCH_*`` settings."""

    user_agent: str
    allow_http: bool = False
    #: For tests only: lets the guard reach 127.0.0.0/8 and ::1.
    allow_loopback: bool = False
    connect_timeout: float = 5.0
    #: The whole exchange, redirects included, in seconds.
    timeout: float = 10.0
    max_bytes: int = 1_000_000
    max_redirects: int = 5

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> FetchSettings:
        name = str(config.get("SITE_NAME") or "blog").encode("ascii", "ignore").decode()
        return cls(
            user_agent=f"{name.strip() or 'blog'} (+{config.get('SITE_URL') or ''})",
            allow_http=bool(config["FETCH_ALLOW_HTTP"]),
            allow_loopback=bool(config["FETCH_ALLOW_LOOPBACK"]),
            connect_timeout=float(config["FETCH_CONNECT_TIMEOUT"]),
            timeout=float(config["FETCH_TIMEOUT"]),
            max_bytes=int(config["FETCH_MAX_BYTES"]),
            max_redirects=int(config["FETCH_MAX_REDIRECTS"]),
        )


@dataclass(frozen=True)
class Fetched:
    """A response, read whole within the bounds."""

    #: The address that answered, after redirects.
    url: str
    status: int
    headers: httpx.Headers
    body: bytes

    @property
    def text(self) -> str:
        """The body as text, in the charset the response names (UTF-8 otherwise)."""
        charset = httpx.Response(self.status, headers=self.headers).charset_encoding
        try:
            return self.body.decode(charset or "utf-8", errors="replace")
        except LookupError:
            return self.body.decode("utf-8", errors="replace")


def refusal(address: Address, allow_loopback: bool = False) -> str | None:
    """Say why ``address`` may not be reached, or None when it is public."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded: ipaddress.IPv4Address | None = address.ipv4_mapped or address.sixtofour
        if embedded is None and any(address in prefix for prefix in NAT64_PREFIXES):
            embedded = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
        if embedded is not None:
            inner = refusal(embedded, allow_loopback=False)
            return f"{address} carries {embedded}: {inner}" if inner else None
        if address.teredo is not None:
            return f"{address} is a Teredo address"
    if address.is_loopback:
        return None if allow_loopback else f"{address} is a loopback address"
    for kind, found in (
        ("unspecified", address.is_unspecified),
        ("link-local", address.is_link_local),
        ("multicast", address.is_multicast),
        ("private", address.is_private),
        ("reserved", address.is_reserved),
        ("not global", not address.is_global),
    ):
        if found:
            return f"{address} is {kind}"
    return None


def resolve(host: str, port: int) -> list[Address]:
    """Every address ``host`` resolves to (once); refuse a name that resolves to none."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as error:
        raise FetchError(f"{host}: cannot resolve ({error})") from error
    addresses: list[Address] = []
    for info in infos:
        # The scope of an IPv6 address (fe80::1%eth0) is dropped: link-local is refused anyway.
        text = str(info[4][0]).split("%", 1)[0]
        found = ipaddress.ip_address(text)
        if found not in addresses:
            addresses.append(found)
    if not addresses:
        raise FetchError(f"{host}: no address")
    return addresses


@dataclass(frozen=True)
class Target:
    """An address checked by the guard: where to connect, and what to call it."""

    url: str
    scheme: str
    host: str
    port: int
    address: Address

    @property
    def pinned_url(self) -> str:
        """The same URL with the checked address in place of the name."""
        parts = urlsplit(self.url)
        host = f"[{self.address}]" if self.address.version == 6 else str(self.address)
        return urlunsplit((self.scheme, f"{host}:{self.port}", parts.path or "/", parts.query, ""))

    @property
    def host_header(self) -> str:
        default = 443 if self.scheme == "https" else 80
        name = f"[{self.host}]" if ":" in self.host else self.host
        return name if self.port == default else f"{name}:{self.port}"


def check_url(url: str, settings: FetchSettings) -> Target:
    """Check an address as the guard does, and resolve it once; refuse it or
    return where to connect."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as error:
        raise FetchRefused(f"{url!r} is not a valid address") from error
    scheme = parts.scheme.lower()
    allowed = ("https", "http") if settings.allow_http else ("https",)
    if scheme not in allowed:
        raise FetchRefused(f"{url!r}: only {' and '.join(allowed)} addresses are fetched")
    if parts.username is not None or parts.password is not None:
        raise FetchRefused(f"{url!r}: an address with credentials is not fetched")
    host = (parts.hostname or "").rstrip(".")
    if not host:
        raise FetchRefused(f"{url!r} names no host")
    port = port or (443 if scheme == "https" else 80)
    addresses = resolve(host, port)
    for address in addresses:
        if reason := refusal(address, settings.allow_loopback):
            raise FetchRefused(f"{host}: {reason}")
    return Target(url=url, scheme=scheme, host=host, port=port, address=addresses[0])


def fetch(
    url: str,
    settings: FetchSettings,
    *,
    method: str = "GET",
    data: Mapping[str, str] | None = None,
    headers: Mapping[str, str] | None = None,
    follow_redirects: bool = True,
) -> Fetched:
    """Make one request through the guard, following redirects (GET only) within its bounds.

    Raises :class:`FetchRefused` for what the guard refuses and
    :class:`FetchError` for what the network did; returns any status.
    """
    deadline = time.monotonic() + settings.timeout
    timeout = httpx.Timeout(
        settings.timeout, connect=min(settings.connect_timeout, settings.timeout)
    )
    with httpx.Client(
        timeout=timeout, follow_redirects=False, trust_env=False, http2=False
    ) as client:
        for _hop in range(settings.max_redirects + 1):
            target = check_url(url, settings)
            response = _exchange(client, target, settings, method, data, headers, deadline)
            location = response.headers.get("location")
            if not (follow_redirects and method == "GET" and response.status in REDIRECT_STATUSES):
                return response
            if not location:
                return response
            url = urljoin(url, location.strip())
        raise FetchRefused(f"more than {settings.max_redirects} redirects")


def _exchange(
    client: httpx.Client,
    target: Target,
    settings: FetchSettings,
    method: str,
    data: Mapping[str, str] | None,
    headers: Mapping[str, str] | None,
    deadline: float,
) -> Fetched:
    """One request to the checked address, its body read within the bounds."""
    sent_headers = {
        "Host": target.host_header,
        "User-Agent": settings.user_agent,
        "Accept-Encoding": "identity",
        **(headers or {}),
    }
    extensions = {"sni_hostname": target.host} if target.scheme == "https" else {}
    request = client.build_request(
        method, target.pinned_url, headers=sent_headers, data=data, extensions=extensions
    )
    try:
        response = client.send(request, stream=True)
    except httpx.TimeoutException as error:
        raise FetchError(f"{target.url}: timed out") from error
    except httpx.HTTPError as error:
        raise FetchError(f"{target.url}: {type(error).__name__}: {error}") from error
    try:
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > settings.max_bytes:
            raise FetchRefused(
                f"{target.url}: {declared} bytes declared, over {settings.max_bytes} bytes"
            )
        body = bytearray()
        for chunk in response.iter_raw():
            body += chunk
            if len(body) > settings.max_bytes:
                raise FetchRefused(f"{target.url}: over {settings.max_bytes} bytes")
            if time.monotonic() > deadline:
                raise FetchError(f"{target.url}: took more than {settings.timeout:g} s")
    except httpx.TimeoutException as error:
        raise FetchError(f"{target.url}: timed out") from error
    except httpx.HTTPError as error:
        raise FetchError(f"{target.url}: {type(error).__name__}: {error}") from error
    finally:
        response.close()
    if time.monotonic() > deadline:
        raise FetchError(f"{target.url}: took more than {settings.timeout:g} s")
    return Fetched(
        url=target.url, status=response.status_code, headers=response.headers, body=bytes(body)
    )
