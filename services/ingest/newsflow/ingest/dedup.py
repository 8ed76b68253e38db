"""Not fetching what was just ingested, and marking near-duplicate copies of a story.

Both kinds of Redis key expire after NEWSFLOW_DEDUP_WINDOW_S and are named after the articles stream,
so two deployments (or two test runs) on one Redis keep apart:

    newsflow:ingested:<stream>:<id>           {"id", "at"} for the pushed, final and page-canonical URL
                                              of each ingested article: a push of any of them is skipped
    newsflow:simhash:<stream>:<band>:<4 hex>  members "<fingerprint>:<id>": articles whose body
                                              fingerprint has that 16-bit band

A fingerprint is a 64-bit SimHash (Charikar) of the body's word 3-gram shingles. Copies of one story
(syndicated wire copy, a page re-published with a line changed, another intro or footer) differ in a
few bits, unrelated stories in about 32. Measured on the 175 extraction-corpus bodies: no two
unrelated bodies closer than 14 bits; a copy with one word changed plus a line added before and after
differs by 4 bits at the median and 7 at the 90th percentile. Candidates come from four 16-bit bands:
a copy within 3 bits shares one exactly (pigeonhole; Manku et al., WWW 2007), one within 4 to 7
bits most of the time; a candidate counts as a copy within MAX_DISTANCE bits.
"""

from __future__ import annotations

import hashlib
import json
import re
from urllib.parse import urlsplit

import numpy as np
from redis.asyncio import Redis
from redis.asyncio.client import Pipeline

from newsflow import keys
from newsflow.schemas import Article, format_utc, utcnow
from newsflow.settings import Settings
from newsflow.urls import InvalidUrl, id_for_url

MAX_DISTANCE = 7
BANDS = 4
# Below this many words a fingerprint says little: short texts share most shingles by chance.
MIN_WORDS = 50
_WORD = re.compile(r"\w+")


def fingerprint(text: str) -> int | None:
    """The body's 64-bit SimHash, or None for a text too short to tell copies apart."""
    words = _WORD.findall(text.lower())
    if len(words) < MIN_WORDS:
        return None
    shingles = {" ".join(words[i : i + 3]) for i in range(len(words) - 2)}
    digests = b"".join(hashlib.blake2b(s.encode(), digest_size=8).digest() for s in shingles)
    bits = np.unpackbits(np.frombuffer(digests, dtype=np.uint8)).reshape(-1, 64)
    # Each bit of the result is the majority vote of that bit over all shingles.
    votes = bits.sum(axis=0, dtype=np.int64) * 2 > len(shingles)
    return int.from_bytes(np.packbits(votes).tobytes(), "big")


def distance(a: int, b: int) -> int:
    return (a ^ b).bit_count()


def _bands(fp: int) -> list[str]:
    return [f"{(fp >> (16 * i)) & 0xFFFF:04x}" for i in range(BANDS)]


def _ids_of(*urls: str | None) -> set[str]:
    ids = set()
    for url in urls:
        try:
            article_id, canonical = id_for_url(url or "")
        except InvalidUrl:
            continue
        # Some sites point every page's canonical link at their home page: that says nothing.
        if urlsplit(canonical).path.strip("/"):
            ids.add(article_id)
    return ids


async def already_ingested(redis: Redis, settings: Settings, article_id: str) -> dict[str, str] | None:
    """{"id", "at"} of the article ingested from this URL within the window, if any."""
    if settings.dedup_window_s <= 0:
        return None
    raw = await redis.get(keys.ingested(settings.stream_articles, article_id))
    if raw is None:
        return None
    try:
        return json.loads(raw)
    except ValueError:
        return {"id": article_id, "at": "?"}


async def find_original(redis: Redis, settings: Settings, article: Article) -> str | None:
    """The id of an earlier article this one copies: the same page-canonical or final URL, or a body
    within MAX_DISTANCE bits of its fingerprint. None when it is the first of its kind."""
    if settings.dedup_window_s <= 0:
        return None
    others = _ids_of(article.canonical_url, article.final_url) - {article.id}
    fp = int(article.fingerprint, 16) if article.fingerprint else None
    async with redis.pipeline(transaction=False) as pipe:
        for other in sorted(others):
            pipe.get(keys.ingested(settings.stream_articles, other))
        if fp is not None:
            for band, value in enumerate(_bands(fp)):
                pipe.smembers(keys.simhash_band(settings.stream_articles, band, value))
        results = await pipe.execute()
    for raw in results[: len(others)]:
        if raw is not None:
            try:
                original = json.loads(raw)["id"]
            except (ValueError, KeyError):
                continue
            if original != article.id:
                return original
    best: tuple[int, str] | None = None
    for members in results[len(others) :]:
        for member in members:
            hex_fp, _, original = (member.decode() if isinstance(member, bytes) else member).partition(":")
            if original == article.id:
                continue
            d = distance(fp, int(hex_fp, 16))  # type: ignore[arg-type]
            if d <= MAX_DISTANCE and (best is None or (d, original) < best):
                best = (d, original)
    return best[1] if best else None


def mark_ingested(pipe: Pipeline, settings: Settings, article: Article) -> None:
    """Queue, on the MULTI that publishes the article, the marks that later pushes and copies find."""
    window = settings.dedup_window_s
    if window <= 0:
        return
    value = json.dumps({"id": article.id, "at": format_utc(utcnow())})
    pipe.set(keys.ingested(settings.stream_articles, article.id), value, ex=window)
    # The other URLs of the page keep the article first ingested under them.
    for other in _ids_of(article.final_url, article.canonical_url) - {article.id}:
        pipe.set(keys.ingested(settings.stream_articles, other), value, ex=window, nx=True)
    if article.fingerprint:
        # Copies are filed under their original, so a third copy finds the first, not the second.
        member = f"{article.fingerprint}:{article.duplicate_of or article.id}"
        for band, value in enumerate(_bands(int(article.fingerprint, 16))):
            key = keys.simhash_band(settings.stream_articles, band, value)
            pipe.sadd(key, member)
            pipe.expire(key, window)
