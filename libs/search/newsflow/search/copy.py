"""Copying every article of one store into another (SQLite to PostgreSQL or back), through the store
contract itself, so every pair of stores works; `newsflow store copy` runs it."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from newsflow.search.store import Store, sqlite_path


class CopyRefused(ValueError):
    """A copy that must not start: one store named twice, or a source that is not there."""


def check_copy(source_url: str, target_url: str) -> None:
    """Refuse a copy of a store into itself, or from a SQLite file that does not exist (opening it
    would make an empty one)."""
    source, target = sqlite_path(source_url), sqlite_path(target_url)
    if source is not None and target is not None:
        same = source.resolve() == target.resolve()
    else:
        same = source_url.rstrip("/") == target_url.rstrip("/")
    if same:
        raise CopyRefused("--from and --to name the same store")
    if source is not None and not source.is_file():
        raise CopyRefused(f"no store at {source_url}")


def copy_articles(
    source: Store, target: Store, batch: int = 500, progress: Callable[[int], None] | None = None
) -> int:
    """Every article of `source` upserted into `target` with its first sighting, in batches; returns how
    many were copied. Upserts are idempotent, so a copy that stopped midway is simply run again. The next
    page is read while one is written: most of a write is waiting on the target's database."""
    copied = 0
    with ThreadPoolExecutor(1, thread_name_prefix="store-copy") as reader:
        page = source.scan(0, batch)
        while page:
            ahead = reader.submit(source.scan, page[-1].position, batch)
            target.upsert([s.article for s in page], first_seen={s.article.id: s.first_seen_at for s in page})
            copied += len(page)
            if progress:
                progress(copied)
            page = ahead.result()
    return copied
