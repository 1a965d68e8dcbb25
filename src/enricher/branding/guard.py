"""The SSRF guard: which addresses the fetcher may connect to, and the resolver seam.

A website URL comes from a counterparty record, i.e. from anyone who can edit one, so every host is
resolved and every address checked before a connection is opened; the caller then connects to the
address that was checked (see :mod:`enricher.branding.fetch`), so DNS cannot change in between.

Only globally routable unicast addresses pass. Refused: loopback, private, link-local (169.254/16,
the cloud metadata address), shared (100.64/10), multicast, reserved, documentation, benchmarking,
unspecified, broadcast, and the IPv6 forms that carry an IPv4 address (IPv4-mapped, IPv4-compatible,
NAT64, 6to4, Teredo) are judged by the IPv4 address they carry.

``allow`` names hosts (exact, or ``.suffix`` / ``*.suffix`` for a domain and its subdomains) or CIDRs
that may be reached *although they are loopback or private* (tests, on-prem sites): allowing lifts
only that refusal (loopback, RFC 1918 private, IPv6 unique-local, shared 100.64/10). Link-local,
cloud metadata addresses (169.254.169.254, fd00:ec2::254, 100.100.100.200, 192.0.0.192),
unspecified, multicast, broadcast, reserved and documentation addresses stay refused whatever the
allow-list says, for an allowed name, an allowed CIDR and after a redirect alike. A name is allowed
only when the URL itself names it, so a redirect to a raw ``127.0.0.1`` stays blocked although
``sites.test`` (which resolves there) is allowed.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field

from enricher.errors import BlockedTargetError, FetchError

__all__ = [
    "AddressGuard",
    "IPAddress",
    "ResolveError",
    "Resolver",
    "blocked_reason",
    "liftable",
    "system_resolver",
]

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str], Awaitable[list[str]]]
"""An async callable host -> addresses (as strings); the seam tests use to fake DNS answers."""


class ResolveError(FetchError):
    """The host name has no address (DNS failure): the real reason, not robots.txt's or a network one."""


_V4 = ipaddress.IPv4Network
_V6 = ipaddress.IPv6Network

# Checked explicitly rather than trusting ``is_global`` alone: its answer for some ranges changed
# between Python versions, and the reason names what was refused.
_V4_BLOCKS: tuple[tuple[_V4, str], ...] = (
    (_V4("0.0.0.0/8"), "unspecified/this-network"),
    (_V4("10.0.0.0/8"), "private"),
    (_V4("100.64.0.0/10"), "shared (carrier-grade NAT)"),
    (_V4("127.0.0.0/8"), "loopback"),
    (_V4("169.254.0.0/16"), "link-local (cloud metadata)"),
    (_V4("172.16.0.0/12"), "private"),
    (_V4("192.0.0.0/24"), "reserved (IETF protocol assignments)"),
    (_V4("192.0.2.0/24"), "reserved (documentation)"),
    (_V4("192.88.99.0/24"), "reserved (6to4 relay)"),
    (_V4("192.168.0.0/16"), "private"),
    (_V4("198.18.0.0/15"), "reserved (benchmarking)"),
    (_V4("198.51.100.0/24"), "reserved (documentation)"),
    (_V4("203.0.113.0/24"), "reserved (documentation)"),
    (_V4("224.0.0.0/4"), "multicast"),
    (_V4("240.0.0.0/4"), "reserved"),
)

_V6_BLOCKS: tuple[tuple[_V6, str], ...] = (
    (_V6("::/128"), "unspecified"),
    (_V6("::1/128"), "loopback"),
    (_V6("100::/64"), "reserved (discard)"),
    (_V6("2001:db8::/32"), "reserved (documentation)"),
    (_V6("2001:10::/28"), "reserved (ORCHID)"),
    (_V6("2001:20::/28"), "reserved (ORCHIDv2)"),
    (_V6("64:ff9b:1::/48"), "NAT64 (local use)"),
    (_V6("fc00::/7"), "unique-local"),
    (_V6("fe80::/10"), "link-local"),
    (_V6("fec0::/10"), "site-local (deprecated)"),
    (_V6("ff00::/8"), "multicast"),
)
_NAT64 = _V6("64:ff9b::/96")
_IPV4_COMPATIBLE = _V6("::/96")

# Cloud metadata services that sit outside 169.254/16: AWS over IPv6, Alibaba, Oracle.
_METADATA = {
    ipaddress.ip_address("fd00:ec2::254"): "cloud metadata",
    ipaddress.ip_address("100.100.100.200"): "cloud metadata",
    ipaddress.ip_address("192.0.0.192"): "cloud metadata",
}

_LIFTABLE = ("loopback", "private", "unique-local", "shared (carrier-grade NAT)")
"""The only refusals an allow-list entry lifts (matched at the start of a reason, after an IPv6 form's
prefix such as "IPv4-mapped ")."""


def liftable(reason: str) -> bool:
    """True when an allow-list may lift this refusal: loopback and private networks, nothing else."""
    if "metadata" in reason:
        return False
    for prefix in ("IPv4-mapped ", "NAT64 ", "6to4 "):
        reason = reason.removeprefix(prefix)
    return reason.startswith(_LIFTABLE)


def _v4_reason(ip: ipaddress.IPv4Address) -> str | None:
    for net, reason in _V4_BLOCKS:
        if ip in net:
            return reason
    if ip == ipaddress.IPv4Address("255.255.255.255"):
        return "broadcast"
    return None if ip.is_global else "not globally routable"


def blocked_reason(address: str | IPAddress) -> str | None:
    """Why the fetcher must not connect to ``address``, or None when it is a public unicast address."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0] if isinstance(address, str) else address)
    except ValueError:
        return "not an IP address"
    if isinstance(ip, ipaddress.IPv4Address):
        return _METADATA.get(ip) or _v4_reason(ip)
    # IPv6 forms that carry an IPv4 address are judged by that address.
    metadata = _METADATA.get(ip) or (_METADATA.get(ip.ipv4_mapped) if ip.ipv4_mapped else None)
    if metadata:
        return metadata
    if ip.ipv4_mapped is not None:
        inner = _v4_reason(ip.ipv4_mapped)
        return f"IPv4-mapped {inner}" if inner else None
    if ip in _NAT64:
        inner = _v4_reason(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF))
        return f"NAT64 {inner}" if inner else None
    for net, reason in _V6_BLOCKS:
        if ip in net:
            return reason
    if ip in _IPV4_COMPATIBLE:
        return "IPv4-compatible (deprecated)"
    if ip.sixtofour is not None:
        inner = _v4_reason(ip.sixtofour)
        return f"6to4 {inner}" if inner else None
    if ip.teredo is not None:
        return "Teredo tunnel"
    return None if ip.is_global else "not globally routable"


async def system_resolver(host: str) -> list[str]:
    """Resolve ``host`` with the system resolver (``getaddrinfo``), addresses in its order, no repeats."""
    loop = asyncio.get_running_loop()
    try:
        infos = await loop.getaddrinfo(host, None, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise ResolveError(f"cannot resolve host {host!r} ({exc.strerror})") from None
    seen: dict[str, None] = {}
    for info in infos:
        seen.setdefault(str(info[4][0]), None)
    return list(seen)


def _literal_ip(host: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(host.strip("[]").split("%", 1)[0])
    except ValueError:
        return None


@dataclass
class AddressGuard:
    """Resolves hosts and checks their addresses against the block list and the allow list."""

    allow: Iterable[str] = ()
    resolver: Resolver = system_resolver
    _names: set[str] = field(init=False, default_factory=set)
    _suffixes: tuple[str, ...] = field(init=False, default=())
    _networks: list[ipaddress.IPv4Network | ipaddress.IPv6Network] = field(init=False, default_factory=list)

    def __post_init__(self) -> None:
        suffixes: list[str] = []
        for raw in self.allow:
            item = raw.strip().lower()
            if not item:
                continue
            try:
                self._networks.append(ipaddress.ip_network(item.strip("[]"), strict=False))
                continue
            except ValueError:
                pass
            if item.startswith("*."):
                suffixes.append(item[1:])
            elif item.startswith("."):
                suffixes.append(item)
            else:
                self._names.add(item.rstrip("."))
        self._suffixes = tuple(suffixes)

    def name_allowed(self, host: str) -> bool:
        """True when the allow list names ``host`` (exactly or by a domain suffix)."""
        name = host.lower().rstrip(".")
        return name in self._names or any(name.endswith(s) or name == s[1:] for s in self._suffixes)

    def address_reason(self, address: str, *, allowed_name: bool = False) -> str | None:
        """Why ``address`` is refused (None: allowed). An allowed CIDR holding it, or ``allowed_name``
        (the URL's host is on the allow-list), lifts a loopback/private refusal and no other."""
        ip = _literal_ip(address)
        if ip is None:
            return "not an IP address"
        reason = blocked_reason(ip)
        if reason is None:
            return None
        in_allowed_net = any(ip.version == net.version and ip in net for net in self._networks)
        if (allowed_name or in_allowed_net) and liftable(reason):
            return None
        if allowed_name or in_allowed_net:
            return f"{reason}; the allow-list lifts only loopback and private"
        return reason

    async def resolve(self, host: str) -> list[str]:
        """The addresses to connect to for ``host``, every one checked; raises BlockedTargetError.

        A host that resolves to any refused address is refused as a whole: mixing public and private
        answers is a classic DNS-rebinding trick, and there is no honest reason for a company site to.
        """
        if not host:
            raise BlockedTargetError("URL has no host")
        literal = _literal_ip(host)
        if literal is not None:
            reason = self.address_reason(str(literal))
            if reason:
                raise BlockedTargetError(f"refused address {literal} ({reason})")
            return [str(literal)]
        addresses = await self._lookup(host)
        allowed_name = self.name_allowed(host)
        for address in addresses:
            reason = self.address_reason(address, allowed_name=allowed_name)
            if reason:
                raise BlockedTargetError(f"host {host!r} resolves to refused address {address} ({reason})")
        return addresses

    async def _lookup(self, host: str) -> list[str]:
        try:
            addresses = await self.resolver(host)
        except FetchError:
            raise
        except (OSError, UnicodeError) as exc:
            raise ResolveError(f"cannot resolve host {host!r} ({exc})") from None
        if not addresses:
            raise ResolveError(f"cannot resolve host {host!r} (no address)")
        return addresses
