"""Fetching one page: timeouts, a body size cap, redirects checked hop by hop, HTML only."""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit

import anyio
import charset_normalizer
import httpx
from bs4.dammit import EncodingDetector

from newsflow.settings import Settings
from newsflow.urls import InvalidUrl, canonicalize

HTML_TYPES = ("text/html", "application/xhtml+xml")
# Client errors that retrying cannot fix; 408 and 429 are transient and absent on purpose.
PERMANENT_STATUSES = {400, 401, 403, 404, 405, 406, 410, 414, 415, 451}


class FetchError(Exception):
    def __init__(self, reason: str, *, permanent: bool, status: int | None = None):
        super().__init__(reason)
        self.reason = reason
        self.permanent = permanent
        self.status = status


@dataclass
class FetchResult:
    url: str
    final_url: str
    status: int
    content_type: str
    encoding: str
    html: str
    redirects: list[str] = field(default_factory=list)


def is_public_address(address: str) -> bool:
    ip = ipaddress.ip_address(address)
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return not (
        ip.is_private
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
        or not ip.is_global
    )


async def check_destination(url: str, allow_private: bool) -> None:
    """Refuse a URL whose host resolves to a private, loopback, link-local or reserved address.

    Every address the name resolves to is checked, so one public record cannot smuggle a private one.
    """
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise FetchError(f"scheme {parts.scheme!r} is not allowed", permanent=True)
    host = parts.hostname
    if not host:
        raise FetchError("URL has no host", permanent=True)
    if allow_private:
        return
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise FetchError(f"cannot resolve {host}: {exc.strerror}", permanent=False) from exc
    for info in infos:
        address = info[4][0]
        if not is_public_address(address):
            raise FetchError(
                f"{host} resolves to non-public address {address} (set NEWSFLOW_FETCH_ALLOW_PRIVATE to allow)",
                permanent=True,
            )


def decode_html(body: bytes, header_charset: str | None) -> tuple[str, str]:
    """Decode page bytes, trusting what the bytes prove over what the server claims.

    Pages often declare latin-1 while sending UTF-8 (or the reverse); strict UTF-8 success is strong
    evidence, a declared charset that decodes cleanly comes next, statistical detection last.
    """
    for bom, enc in ((b"\xef\xbb\xbf", "utf-8"), (b"\xff\xfe", "utf-16"), (b"\xfe\xff", "utf-16")):
        if body.startswith(bom):
            return body.decode(enc, "replace").lstrip("\ufeff"), enc
    try:
        return body.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    declared = [header_charset, EncodingDetector.find_declared_encoding(body, is_html=True)]
    for enc in declared:
        if not enc or enc.lower().replace("_", "-") in ("utf-8", "utf8"):
            continue
        try:
            return body.decode(enc), enc
        except (LookupError, UnicodeDecodeError):
            continue
    matches = list(charset_normalizer.from_bytes(body[:200_000]))
    if matches:
        best = matches[0]
        # Single-byte code pages are hard to tell apart on short text; like browsers, prefer
        # windows-1252 whenever the detector finds it about as plausible as its first choice.
        for match in matches:
            if match.encoding == "cp1252" and match.chaos <= best.chaos + 0.05:
                best = match
                break
        return body.decode(best.encoding, "replace"), best.encoding
    return body.decode("cp1252", "replace"), "cp1252"


class Fetcher:
    def __init__(self, settings: Settings, transport: httpx.AsyncBaseTransport | None = None):
        self.settings = settings
        timeout = httpx.Timeout(
            connect=settings.fetch_connect_timeout,
            read=settings.fetch_read_timeout,
            write=settings.fetch_read_timeout,
            pool=settings.fetch_connect_timeout,
        )
        self.client = httpx.AsyncClient(
            timeout=timeout,
            follow_redirects=False,  # followed by hand so every hop passes the address check
            headers={
                "User-Agent": settings.user_agent,
                "Accept": "text/html,application/xhtml+xml;q=0.9,*/*;q=0.1",
            },
            transport=transport,
            trust_env=False,
        )

    async def aclose(self) -> None:
        await self.client.aclose()

    async def fetch(self, url: str) -> FetchResult:
        try:
            with anyio.fail_after(self.settings.fetch_total_timeout):
                return await self._fetch(url)
        except TimeoutError as exc:
            raise FetchError(
                f"no complete response within {self.settings.fetch_total_timeout:g}s", permanent=False
            ) from exc

    async def _fetch(self, url: str) -> FetchResult:
        current = url
        hops: list[str] = []
        seen: set[str] = set()
        while True:
            await check_destination(current, self.settings.fetch_allow_private)
            try:
                async with self.client.stream("GET", current) as response:
                    if response.is_redirect:
                        location = response.headers.get("location")
                        if not location:
                            raise FetchError(f"HTTP {response.status_code} without Location", permanent=True)
                        target = urljoin(current, location)
                        try:
                            target = canonicalize(target)
                        except InvalidUrl as exc:
                            raise FetchError(f"redirect to invalid URL: {exc}", permanent=True) from exc
                        if target in seen or target == current:
                            raise FetchError(f"redirect loop at {target}", permanent=True)
                        if len(hops) >= self.settings.fetch_max_redirects:
                            raise FetchError(
                                f"more than {self.settings.fetch_max_redirects} redirects", permanent=True
                            )
                        seen.add(current)
                        hops.append(target)
                        current = target
                        continue
                    return await self._read(url, current, response, hops)
            except httpx.TimeoutException as exc:
                raise FetchError(f"timeout: {type(exc).__name__}", permanent=False) from exc
            except httpx.TransportError as exc:
                raise FetchError(f"connection failed: {type(exc).__name__}: {exc}", permanent=False) from exc

    async def _read(self, url: str, final_url: str, response: httpx.Response, hops: list[str]) -> FetchResult:
        status = response.status_code
        if status >= 400 or status < 200:
            permanent = status in PERMANENT_STATUSES
            raise FetchError(f"HTTP {status}", permanent=permanent, status=status)
        content_type = response.headers.get("content-type", "")
        mime = content_type.split(";")[0].strip().lower()
        if mime and mime not in HTML_TYPES:
            raise FetchError(f"not HTML: content-type {mime}", permanent=True, status=status)
        limit = self.settings.fetch_max_bytes
        declared = response.headers.get("content-length")
        if declared and declared.isdigit() and int(declared) > limit:
            raise FetchError(f"too large: content-length {declared} > {limit} bytes", permanent=True, status=status)
        chunks: list[bytes] = []
        size = 0
        async for chunk in response.aiter_bytes():
            size += len(chunk)
            if size > limit:
                raise FetchError(f"too large: body exceeds {limit} bytes", permanent=True, status=status)
            chunks.append(chunk)
        body = b"".join(chunks)
        if not mime and b"<html" not in body[:4096].lower():
            raise FetchError("not HTML: no content-type and no <html> tag", permanent=True, status=status)
        html, encoding = decode_html(body, response.charset_encoding)
        return FetchResult(
            url=url, final_url=final_url, status=status, content_type=mime or "text/html",
            encoding=encoding, html=html, redirects=hops,
        )
