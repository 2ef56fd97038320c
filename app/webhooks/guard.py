"""Where webhooks may go: http(s) only, and never into the server's own networks.

A destination is checked after DNS resolution, and the request then goes to the
address that was checked (the name kept for ``Host`` and TLS), so a name that
resolves elsewhere the second time cannot reach an internal address.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
# How long a subscription's create or update waits for DNS.
CREATE_LOOKUP_SECONDS = 1.0


class Refused(ValueError):
    """A destination webhooks may not be sent to; the message says why."""


class Unresolved(Refused):
    """A host name that does not resolve (now)."""


@dataclass(frozen=True, slots=True)
class Destination:
    url: str
    host: str
    # The checked address to connect to; None when private destinations are allowed.
    address: str | None


def check_url(url: str) -> str:
    """The host of an http(s) URL; Refused for anything else."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises on a port that is not a number
    except ValueError:
        raise Refused("The URL is not valid.") from None
    if parts.scheme not in ("http", "https"):
        raise Refused("Only http and https URLs are allowed.")
    if not parts.hostname:
        raise Refused("The URL has no host.")
    if parts.username or parts.password:
        raise Refused("Credentials in the URL are not allowed; put them in the path.")
    return parts.hostname


def forbidden(address: Address) -> bool:
    """Anything but a global unicast address.

    That leaves out loopback, private (10/8, 192.168/16, fc00::/7, where AWS's
    fd00:ec2::254 lives), link-local (169.254.169.254, the usual cloud metadata
    address), shared (100.64/10, Alibaba's metadata), reserved and multicast.
    """
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return not address.is_global or address.is_multicast


async def resolve(host: str) -> list[Address]:
    try:
        return [ipaddress.ip_address(host)]
    except ValueError:
        pass
    loop = asyncio.get_running_loop()
    infos = await loop.getaddrinfo(host, None, type=socket.SOCK_STREAM)
    return [ipaddress.ip_address(str(info[4][0]).split("%", 1)[0]) for info in infos]


async def destination(url: str, *, allow_private: bool) -> Destination:
    """Check ``url`` and resolve its host; Refused if it leads somewhere it may not."""
    host = check_url(url)
    if allow_private:
        return Destination(url, host, None)
    try:
        addresses = await resolve(host)
    except OSError:
        raise Unresolved(f"The host {host!r} does not resolve.") from None
    bad = [a for a in addresses if forbidden(a)]
    if bad or not addresses:
        raise Refused(
            f"The host {host!r} resolves to {bad[0] if bad else 'nothing'}, a loopback, "
            "private, link-local or metadata address; webhooks may not be sent there."
        )
    return Destination(url, host, str(addresses[0]))


async def check_at_create(url: str, *, allow_private: bool) -> None:
    """Refuse what is refused at send time, except a name that does not resolve (yet, or
    within a second): sending checks it again."""
    with contextlib.suppress(Unresolved, TimeoutError):
        async with asyncio.timeout(CREATE_LOOKUP_SECONDS):
            await destination(url, allow_private=allow_private)
