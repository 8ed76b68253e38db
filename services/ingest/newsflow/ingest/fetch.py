"""Fetching one page: politely (robots.txt, per-host pacing, Retry-After), within timeouts and a size cap,
redirects checked hop by hop. Articles are HTML only (`fetch`); the discover stage's feeds and sitemaps
take the same path with their own types, size cap and conditional-GET headers (`fetch_document`)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit

import anyio
import charset_normalizer
import httpx
from bs4.dammit import EncodingDetector

from newsflow.guard import AddressRefused, HostNotFound, guarded_transport, parse_networks
from newsflow.ingest.polite import ROBOTS_MAX_BYTES, HostBusy, HostGates, RobotsCache, host_of
from newsflow.retry import parse_retry_after
from newsflow.settings import Settings
from newsflow.urls import InvalidUrl, canonicalize

HTML_TYPES = ("text/html", "application/xhtml+xml")


def not_html_reason(mime: str, body: bytes) -> str | None:
    """Why a body is not an HTML page, or None: a declared type that is not HTML, or no type and no
    <html> tag near the start. The worker and `newsflow extract` refuse files by the same rule."""
    if mime and mime not in HTML_TYPES:
        return f"not HTML: content-type {mime}"
    if not mime and b"<html" not in body[:4096].lower():
        return "not HTML: no content-type and no <html> tag"
    return None


# Client errors that retrying cannot fix; 408 and 429 are transient and absent on purpose.
PERMANENT_STATUSES = {400, 401, 403, 404, 405, 406, 410, 414, 415, 451}


class FetchError(Exception):
    def __init__(
        self,
        reason: str,
        *,
        permanent: bool,
        status: int | None = None,
        retry_after_s: float | None = None,
        attempted: bool = True,
    ):
        super().__init__(reason)
        self.reason = reason
        self.permanent = permanent
        self.status = status
        self.retry_after_s = retry_after_s
        # False: no request was made (the host asked for a pause first); the attempt does not count.
        self.attempted = attempted


@dataclass
class FetchResult:
    url: str
    final_url: str
    status: int
    content_type: str
    encoding: str
    html: str
    redirects: list[str] = field(default_factory=list)


@dataclass
class Document:
    """A fetched body as bytes, or status 304 with none when the conditional GET found it unchanged."""

    url: str
    final_url: str
    status: int
    content_type: str
    charset: str | None
    body: bytes
    etag: str | None = None
    last_modified: str | None = None
    redirects: list[str] = field(default_factory=list)


# (content type, body) -> why the body is refused, or None.
Refuse = Callable[[str, bytes], str | None]


def check_url(url: str) -> None:
    """Only http and https, with a host. (Addresses are checked where the connection is made: guard.py.)"""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise FetchError(f"scheme {parts.scheme!r} is not allowed", permanent=True)
    if not parts.hostname:
        raise FetchError("URL has no host", permanent=True)


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
    declared: list[str | None] = [header_charset, EncodingDetector.find_declared_encoding(body, is_html=True)]
    for charset in declared:
        if not charset or charset.lower().replace("_", "-") in ("utf-8", "utf8"):
            continue
        try:
            return body.decode(charset), charset
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
        """`transport` replaces the guarded one (tests give theirs a resolver)."""
        self.settings = settings
        timeout = httpx.Timeout(
            connect=settings.fetch_connect_timeout,
            read=settings.fetch_read_timeout,
            write=settings.fetch_read_timeout,
            pool=settings.fetch_connect_timeout,
        )
        if transport is None:
            transport = guarded_transport(
                settings.fetch_allow_private, parse_networks(settings.fetch_allowed_networks)
            )
        self.gates = HostGates(
            settings.fetch_host_interval_s, settings.fetch_host_concurrency, settings.fetch_max_host_wait_s
        )
        self.robots = RobotsCache(settings.user_agent)
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
        """GET an HTML page politely: robots.txt, per-host pacing, every hop address-checked.

        NEWSFLOW_FETCH_TOTAL_TIMEOUT bounds the requests (redirects included); waiting for the host's
        turn does not count against it (HostGates.max_wait_s bounds that).
        """
        doc = await self.fetch_document(url, refuse=not_html_reason)
        html, encoding = decode_html(doc.body, doc.charset)
        return FetchResult(
            url=url,
            final_url=doc.final_url,
            status=doc.status,
            content_type=doc.content_type or "text/html",
            encoding=encoding,
            html=html,
            redirects=doc.redirects,
        )

    async def fetch_document(
        self,
        url: str,
        *,
        refuse: Refuse | None = None,
        headers: dict[str, str] | None = None,
        max_bytes: int | None = None,
    ) -> Document:
        """GET any body by the same rules as a page. `refuse` is asked about the declared type before the
        body is read and about the body after; `headers` are sent with every hop (If-None-Match…)."""
        budget = Budget(self.settings.fetch_total_timeout)
        current = url
        hops: list[str] = []
        seen: set[str] = set()
        while True:
            check_url(current)
            if self.settings.fetch_respect_robots:
                await self._obey_robots(current, budget)
            response, body = await self._get(current, budget, max_bytes, refuse, headers)
            # Any 3xx is is_redirect to httpx; 304 Not Modified answers a conditional GET instead.
            if response.is_redirect and response.status_code != 304:
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
            return self._document(url, current, response, body, hops, refuse)

    async def _get(
        self,
        url: str,
        budget: Budget,
        max_bytes: int | None = None,
        refuse: Refuse | None = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[httpx.Response, bytes]:
        """One request in the host's turn, within what is left of the budget; the body read (capped)."""
        host = host_of(url)
        try:
            async with self.gates.slot(host):
                with anyio.fail_after(budget.left()), budget.spending():
                    async with self.client.stream("GET", url, headers=headers) as response:
                        body = b"" if response.is_redirect else await self._body(response, max_bytes, refuse)
                        return response, body
        except HostBusy as exc:
            raise FetchError(str(exc), permanent=False, retry_after_s=exc.wait_s, attempted=False) from exc
        except (AddressRefused, HostNotFound) as exc:
            raise FetchError(str(exc), permanent=True) from exc
        except TimeoutError as exc:
            raise FetchError(
                f"no complete response within {self.settings.fetch_total_timeout:g}s", permanent=False
            ) from exc
        except httpx.TimeoutException as exc:
            raise FetchError(f"timeout: {type(exc).__name__}", permanent=False) from exc
        except httpx.TransportError as exc:
            raise FetchError(f"connection failed: {type(exc).__name__}: {exc}", permanent=False) from exc

    async def _obey_robots(self, url: str, budget: Budget) -> None:
        host = host_of(url)
        if not self.robots.known(host):
            async with self.robots.lock(host):
                if not self.robots.known(host):
                    await self._load_robots(host, budget)
        verdict = self.robots.verdict(url)
        if verdict.unavailable:
            raise FetchError(
                f"{verdict.unavailable}; not fetching from {host} meanwhile",
                permanent=False,
                retry_after_s=verdict.wait_s,
            )
        if not verdict.allowed:
            raise FetchError(f"disallowed by robots.txt for {self.robots.agent}", permanent=True)
        if verdict.crawl_delay_s:
            self.gates.slow_down(host, crawl_delay_s=verdict.crawl_delay_s)

    async def _load_robots(self, host: str, budget: Budget) -> None:
        robots_url = f"{host}/robots.txt"
        response, body = None, b""
        for _ in range(self.settings.fetch_max_redirects + 1):  # RFC 9309: follow at least 5
            check_url(robots_url)
            try:
                response, body = await self._get(robots_url, budget, max_bytes=ROBOTS_MAX_BYTES)
            except FetchError as exc:
                if exc.permanent:  # too large, say: no usable rules
                    break
                if not exc.attempted:  # the host asked for a pause: robots.txt waits too
                    raise
                self.robots.unavailable(host, f"robots.txt unreachable ({exc.reason})")
                return
            if not response.is_redirect:
                break
            robots_url = urljoin(robots_url, response.headers.get("location", "/robots.txt"))
        status = response.status_code if response is not None and not response.is_redirect else 404
        if status >= 500:
            self.robots.unavailable(host, f"robots.txt answered HTTP {status}")
            return
        text = body.decode("utf-8", "replace") if status < 300 else ""
        self.robots.remember(host, status, text)

    async def _body(self, response: httpx.Response, max_bytes: int | None, refuse: Refuse | None) -> bytes:
        status = response.status_code
        if status >= 400 or status < 200 or status == 304:
            return b""  # the status says it all; the body is not needed
        limit = max_bytes or self.settings.fetch_max_bytes
        if refuse is not None:
            mime = response.headers.get("content-type", "").split(";")[0].strip().lower()
            if mime and (reason := refuse(mime, b"")):
                raise FetchError(reason, permanent=True, status=status)
        declared = response.headers.get("content-length")
        if declared and declared.isdigit() and int(declared) > limit:
            raise FetchError(
                f"too large: content-length {declared} > {limit} bytes", permanent=True, status=status
            )
        chunks: list[bytes] = []
        size = 0
        async for chunk in response.aiter_bytes():
            size += len(chunk)
            if size > limit:
                raise FetchError(f"too large: body exceeds {limit} bytes", permanent=True, status=status)
            chunks.append(chunk)
        return b"".join(chunks)

    def _document(
        self,
        url: str,
        final_url: str,
        response: httpx.Response,
        body: bytes,
        hops: list[str],
        refuse: Refuse | None,
    ) -> Document:
        status = response.status_code
        if status >= 400 or status < 200:
            retry_after = (
                parse_retry_after(response.headers.get("retry-after")) if status in (429, 503) else None
            )
            if retry_after is not None:
                self.gates.slow_down(host_of(final_url), retry_after_s=retry_after)
            permanent = status in PERMANENT_STATUSES
            reason = f"HTTP {status}" + (
                f" (Retry-After {retry_after:.0f}s)" if retry_after is not None else ""
            )
            raise FetchError(reason, permanent=permanent, status=status, retry_after_s=retry_after)
        mime = response.headers.get("content-type", "").split(";")[0].strip().lower()
        if status != 304 and refuse is not None and (refused := refuse(mime, body)):
            raise FetchError(refused, permanent=True, status=status)
        return Document(
            url=url,
            final_url=final_url,
            status=status,
            content_type=mime,
            charset=response.charset_encoding,
            body=body,
            etag=response.headers.get("etag"),
            last_modified=response.headers.get("last-modified"),
            redirects=hops,
        )


class Budget:
    """The seconds a fetch may spend in requests; time spent waiting for a host's turn is not counted."""

    def __init__(self, seconds: float):
        self.remaining = seconds

    def left(self) -> float:
        return max(self.remaining, 0.001)

    @contextmanager
    def spending(self) -> Iterator[None]:
        started = time.monotonic()
        try:
            yield
        finally:
            self.remaining -= time.monotonic() - started
