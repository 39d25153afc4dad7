"""Client addresses grouped into blocks, the unit every per-address defense counts.

One IPv6 customer usually holds a whole /64: 2^64 addresses to hop between.
As Isso does, the defenses count an IPv4 address on its own (/32) and an
IPv6 address by its /64; both prefixes are configurable. Readers' reports,
which can take a comment off the page, count wider blocks (/24, /48): one
customer may hold a whole IPv6 /48, thousands of /64 "readers".
"""

from __future__ import annotations

import ipaddress

from flask import current_app, request


def address_block(address: str | None, prefix_v4: int, prefix_v6: int) -> str | None:
    """Return the network ``address`` belongs to, as text; None if it is no address.

    An IPv4 address written as IPv6 (``::ffff:192.0.2.1``) counts as IPv4,
    and a zone (``fe80::1%eth0``) is ignored.
    """
    try:
        parsed = ipaddress.ip_address((address or "").strip())
    except ValueError:
        return None
    if isinstance(parsed, ipaddress.IPv6Address):
        if parsed.ipv4_mapped is not None:
            parsed = parsed.ipv4_mapped
        else:
            parsed = ipaddress.IPv6Address(parsed.packed)  # drops the zone
    prefix = prefix_v4 if parsed.version == 4 else prefix_v6
    return str(ipaddress.ip_network((parsed, prefix), strict=False))


def client_block() -> str | None:
    """The configured block of this request's client address, or None."""
    config = current_app.config
    return address_block(
        request.remote_addr, config["IP_BLOCK_PREFIX_V4"], config["IP_BLOCK_PREFIX_V6"]
    )


def rate_limit_key() -> str:
    """Flask-Limiter's key: the client's block (a malformed address counts as itself)."""
    return client_block() or "unparsed:" + (request.remote_addr or "")[:64]


#: The blocks readers' reports are counted by, whatever the narrower blocks
#: of the other defenses: an IPv4 /24, an IPv6 /48 (a customer's whole site
#: allocation, RFC 6177).
WIDE_PREFIX_V4 = 24
WIDE_PREFIX_V6 = 48


def wide_block(address: str | None, prefix_v4: int = 32, prefix_v6: int = 64) -> str | None:
    """The /24 or /48 ``address`` belongs to, or a wider block when the
    configured prefixes are wider; None if it is no address."""
    return address_block(address, min(prefix_v4, WIDE_PREFIX_V4), min(prefix_v6, WIDE_PREFIX_V6))


def wide_block_key() -> str:
    """This request's client as readers' reports count it: its wide block
    (a malformed address counts as itself)."""
    config = current_app.config
    address = request.remote_addr
    block = wide_block(address, config["IP_BLOCK_PREFIX_V4"], config["IP_BLOCK_PREFIX_V6"])
    return block or "unparsed:" + (address or "")[:64]
