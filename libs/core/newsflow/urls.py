"""URL validation, canonicalisation and the article id derived from it."""

from __future__ import annotations

import hashlib
from urllib.parse import urlsplit, urlunsplit

import courlan
import idna

MAX_URL_LENGTH = 2048


class InvalidUrl(ValueError):
    pass


def canonicalize(url: str) -> str:
    """Lower-cased scheme and host, no default port, no fragment, tracking parameters removed.

    Raises InvalidUrl for anything that is not an absolute http(s) URL with a host.
    """
    url = (url or "").strip()
    if not url:
        raise InvalidUrl("empty URL")
    if len(url) > MAX_URL_LENGTH:
        raise InvalidUrl(f"URL longer than {MAX_URL_LENGTH} characters")
    if "\ufffd" in url:  # what decoding left of bytes that were not UTF-8
        raise InvalidUrl("URL is not valid UTF-8")
    if any(ch.isspace() for ch in url):
        raise InvalidUrl("URL contains whitespace")
    # NUL and other control characters, and lone surrogates (which no encoding can write): HTTP clients
    # refuse them, so a URL holding one could only fail later, again and again.
    if any(ord(ch) < 32 or ord(ch) == 127 or 0xD800 <= ord(ch) <= 0xDFFF for ch in url):
        raise InvalidUrl("URL contains control characters or unpaired surrogates")
    try:
        parts = urlsplit(url)
    except ValueError as exc:  # "Invalid IPv6 URL": an unbalanced bracket in the host
        raise InvalidUrl(f"malformed URL: {exc}") from exc
    if parts.scheme.lower() not in ("http", "https"):
        raise InvalidUrl(f"scheme {parts.scheme or '(none)'!r} is not http or https")
    if not parts.hostname:
        raise InvalidUrl("URL has no host")
    try:
        parts.port  # noqa: B018 - raises ValueError on a malformed port
    except ValueError as exc:
        raise InvalidUrl(f"bad port: {exc}") from exc
    host = parts.hostname
    if not host.isascii() or "xn--" in host:
        try:  # as the HTTP client will encode it (IDNA 2008 with UTS 46 mapping)
            idna.decode(idna.encode(host, uts46=True))
        except (idna.IDNAError, UnicodeError) as exc:
            raise InvalidUrl(f"bad international host name: {exc}") from exc
    # courlan knows the tracking parameters (utm_*, fbclid, gclid, ref...) and normalises the rest.
    try:
        normalized = courlan.normalize_url(url, strict=False)
        parts = urlsplit(normalized)
    except ValueError as exc:
        raise InvalidUrl(f"malformed URL: {exc}") from exc
    return urlunsplit((parts.scheme, parts.netloc, parts.path or "/", parts.query, ""))


def article_id(canonical_url: str) -> str:
    return hashlib.sha256(canonical_url.encode("utf-8")).hexdigest()[:20]


def id_for_url(url: str) -> tuple[str, str]:
    """(article id, canonical URL) for a URL as pushed."""
    canonical = canonicalize(url)
    return article_id(canonical), canonical
