"""The address guard (SSRF): the fetcher (and the webhook sink) connect only to public addresses, the
ones they checked.

Checking a name and then letting the HTTP client resolve it again leaves a window: a DNS server that
answers a public address to the check and 127.0.0.1 to the connection (DNS rebinding) gets through.
So the check lives in the connection itself: `GuardedBackend` is the httpcore network backend that
resolves the host once, refuses it if any of its addresses is private, loopback, link-local,
multicast or reserved, and connects to those same checked addresses. TLS still verifies the
certificate against the host name (httpcore passes the origin's name as SNI, not the address).
Every hop of a redirect is a new connection, so every hop is checked; robots.txt too.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

import httpcore
import httpx

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Resolver = Callable[[str, int], Awaitable[list[str]]]


class AddressRefused(Exception):
    """The host resolves to an address the guard refuses: a permanent failure for that URL."""


class HostNotFound(Exception):
    """DNS says the name does not exist (NXDOMAIN, no address): permanent, unlike a resolver that
    does not answer (EAI_AGAIN), which is retried."""


# getaddrinfo's answers for a name that does not exist, as opposed to one it could not look up now.
_NO_SUCH_NAME = {socket.EAI_NONAME, getattr(socket, "EAI_NODATA", socket.EAI_NONAME)}


NAT64 = ipaddress.ip_network("64:ff9b::/96")
IPV4_COMPATIBLE = ipaddress.ip_network("::/96")


def is_public_address(address: str) -> bool:
    ip = ipaddress.ip_address(address)
    if isinstance(ip, ipaddress.IPv6Address):
        # IPv6 addresses that carry an IPv4 one reach that one: 6to4 (2002:7f00:1::1 is 127.0.0.1),
        # Teredo, NAT64 and the old IPv4-compatible and mapped forms are judged by the address inside.
        inner = (
            ip.ipv4_mapped
            or ip.sixtofour
            or (ip.teredo[1] if ip.teredo else None)
            or (ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF) if ip in NAT64 or ip in IPV4_COMPATIBLE else None)
        )
        if inner is not None:
            return is_public_address(str(inner))
        if ip.is_site_local:  # fec0::/10: deprecated, but still routed inside some networks
            return False
    return not (
        ip.is_private
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
        or not ip.is_global
    )


def parse_networks(spec: str) -> list[Network]:
    """NEWSFLOW_FETCH_ALLOWED_NETWORKS: comma-separated addresses or CIDR blocks."""
    return [ipaddress.ip_network(part.strip(), strict=False) for part in spec.split(",") if part.strip()]


async def system_resolver(host: str, port: int) -> list[str]:
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


FETCH_HINT = "set NEWSFLOW_FETCH_ALLOW_PRIVATE or NEWSFLOW_FETCH_ALLOWED_NETWORKS to allow"


def check_addresses(
    host: str, addresses: Iterable[str], allowed: list[Network], hint: str = FETCH_HINT
) -> None:
    """Every address must pass, so one public record cannot smuggle a private one in."""
    for address in addresses:
        if is_public_address(address) or any(ipaddress.ip_address(address) in net for net in allowed):
            continue
        raise AddressRefused(f"{host} resolves to non-public address {address} ({hint})")


class GuardedBackend(httpcore.AsyncNetworkBackend):
    def __init__(
        self,
        allowed: list[Network],
        resolver: Resolver = system_resolver,
        inner: httpcore.AsyncNetworkBackend | None = None,
        hint: str = FETCH_HINT,
    ):
        self.allowed, self.resolver, self.hint = allowed, resolver, hint
        self.inner = inner or httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Any = None,
    ) -> httpcore.AsyncNetworkStream:
        try:
            addresses = await self.resolver(host, port)
        except socket.gaierror as exc:
            if exc.errno in _NO_SUCH_NAME:
                raise HostNotFound(f"{host} does not exist (DNS: {exc.strerror})") from exc
            raise httpcore.ConnectError(f"cannot resolve {host}: {exc}") from exc
        except OSError as exc:  # transient, as any connection failure
            raise httpcore.ConnectError(f"cannot resolve {host}: {exc}") from exc
        if not addresses:
            raise httpcore.ConnectError(f"cannot resolve {host}: no addresses")
        check_addresses(host, addresses, self.allowed, self.hint)
        last: Exception | None = None
        for address in addresses:
            try:
                return await self.inner.connect_tcp(
                    address, port, timeout=timeout, local_address=local_address, socket_options=socket_options
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                last = exc
        assert last is not None
        raise last

    async def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Any = None
    ) -> httpcore.AsyncNetworkStream:
        raise AddressRefused("unix sockets are not fetched")

    async def sleep(self, seconds: float) -> None:
        await self.inner.sleep(seconds)


def guarded_transport(
    allow_private: bool, allowed: list[Network], resolver: Resolver = system_resolver, hint: str = FETCH_HINT
) -> httpx.AsyncHTTPTransport:
    """httpx's transport, connecting through GuardedBackend unless private addresses are allowed."""
    transport = httpx.AsyncHTTPTransport(trust_env=False)
    if not allow_private:
        # httpx 0.28 takes no network backend (encode/httpx#3749 proposes one), so its pool is rebuilt
        # with ours: the same settings httpx gives it by default.
        limits = httpx.Limits(max_connections=100, max_keepalive_connections=20, keepalive_expiry=5.0)
        transport._pool = httpcore.AsyncConnectionPool(
            ssl_context=httpx.create_ssl_context(trust_env=False),
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            network_backend=GuardedBackend(allowed, resolver, hint=hint),
        )
    return transport
