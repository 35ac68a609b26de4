"""Which addresses the server may send requests to — webhook deliveries, and federation's
fetches and deliveries — against server-side request forgery: a URL that makes the server call
into its own network (loopback, a private network, a cloud metadata address).

Only global unicast addresses may be reached, unless the instance allows private ones (for
tests and closed networks; each kind of request has its setting, such as
`webhook_allow_private_addresses`). IPv6 forms that embed an
IPv4 address (mapped `::ffff:a.b.c.d`, 6to4 `2002::/16`, NAT64 `64:ff9b::/96`) are judged by
the IPv4 address they lead to.

Checked twice: when a URL is registered (its host must resolve, and only to addresses that may
be reached), and on every delivery, by the resolver of the delivery client, which drops refused
addresses — a host that points somewhere else since (DNS rebinding) gets no request.
"""

from __future__ import annotations

import asyncio
import errno
import ipaddress
import socket

from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import ThreadedResolver

Address = ipaddress.IPv4Address | ipaddress.IPv6Address

RESOLVE_SECONDS = 5.0
"""How long registering waits for a host name to resolve."""

_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")


class Unreachable(Exception):
    """A URL's host that deliveries may not go to; the message says why."""


def may_reach(address: Address) -> bool:
    """Whether a delivery may go to `address` when private addresses are not allowed."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded = address.ipv4_mapped or address.sixtofour
        if embedded is None and address in _NAT64:
            embedded = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
        if embedded is not None:
            return may_reach(embedded)
    return address.is_global and not address.is_multicast


def literal(host: str) -> Address | None:
    """`host` as an IP address, if it is one (`[…]` around IPv6 as in a URL)."""
    try:
        return ipaddress.ip_address(host.removeprefix("[").removesuffix("]"))
    except ValueError:
        return None


def allowed(address: str, allow_private: bool) -> bool:
    """Whether a delivery may go to `address` (an IP address as text)."""
    parsed = literal(address.split("%", 1)[0])  # an IPv6 zone (`%eth0`) is link-local anyway
    return parsed is not None and (allow_private or may_reach(parsed))


REFUSED = "a private, loopback, link-local or reserved address"


async def check_host(host: str, port: int, allow_private: bool) -> None:
    """Raise Unreachable unless `host` resolves, and only to addresses deliveries may go to."""
    if literal(host) is not None:
        if not allowed(host.removeprefix("[").removesuffix("]"), allow_private):
            raise Unreachable(f"{host} is {REFUSED}")
        return
    loop = asyncio.get_running_loop()
    try:
        async with asyncio.timeout(RESOLVE_SECONDS):
            found = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, TimeoutError) as exc:
        raise Unreachable(f"{host} does not resolve ({exc or 'timed out'})") from None
    for address in dict.fromkeys(str(info[4][0]) for info in found):
        if not allowed(address, allow_private):
            raise Unreachable(f"{host} resolves to {address}, {REFUSED}")


class GuardedResolver(AbstractResolver):
    """Resolves as the system does, keeping only addresses deliveries may go to."""

    def __init__(self, allow_private: bool) -> None:
        self._allow_private = allow_private
        self._resolver = ThreadedResolver()

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        found = await self._resolver.resolve(host, port, family)
        kept = [r for r in found if allowed(r["host"], self._allow_private)]
        if not kept:
            refused = ", ".join(r["host"] for r in found)
            # aiohttp reports the strerror of what the resolver raised.
            raise OSError(errno.EHOSTUNREACH, f"{host} resolves only to {REFUSED}: {refused}")
        return kept

    async def close(self) -> None:
        await self._resolver.close()
