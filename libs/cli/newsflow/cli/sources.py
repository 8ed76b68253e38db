"""`newsflow sources …` and `newsflow discover`: the feeds and sitemaps newsflow follows, and the worker
that polls them (services/discover, imported only here)."""

from __future__ import annotations

import asyncio
import re
import signal
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from redis.asyncio import Redis

from newsflow.cli.common import load_settings, out, redis_client, with_redis
from newsflow.settings import Settings

_NOT_INSTALLED = "the discover stage is not installed here ({}); install newsflow-discover"


def _registry(redis: Redis, settings: Settings) -> Any:  # a discover Registry: imported only here
    from newsflow.discover.sources import Registry

    return Registry(redis, settings)


def _when(at: datetime | None) -> str:
    return at.strftime("%Y-%m-%d %H:%M:%S") if at else "-"


def sources_add(
    addresses: Annotated[
        list[str], typer.Argument(help="feed or sitemap URLs, or sites (their feeds are found)")
    ],
    exact: Annotated[bool, typer.Option("--exact", help="follow each URL as given, find nothing")] = False,
) -> None:
    """Follow feeds and sitemaps: new article URLs they list are pushed as they appear. A site's home
    page is searched for its feeds (linked, at the common paths) and the news sitemaps of its robots.txt."""
    settings = load_settings()

    async def run(redis: Redis) -> None:
        from newsflow.discover.find import follow
        from newsflow.ingest.fetch import Fetcher

        registry = _registry(redis, settings)
        fetcher = Fetcher(settings)
        try:
            for address in addresses:
                followed = await follow(registry, fetcher, address, exact=exact)
                for note in followed.notes:
                    out(f"{address}: {note}")
                if not followed.sources:
                    out(f"{address}: nothing to follow")
                for source, new in followed.sources:
                    out(f"{'added' if new else 'already followed'}: {source.url} (id {source.id})")
        finally:
            await fetcher.aclose()

    try:
        with_redis(settings, run)
    except ModuleNotFoundError as exc:
        typer.echo("newsflow: " + _NOT_INSTALLED.format(exc), err=True)
        raise typer.Exit(2) from exc


def sources_list(
    as_json: Annotated[bool, typer.Option("--json", help="one JSON object per source")] = False,
) -> None:
    """The sources followed: kind, last and next poll, new URLs per poll, failures, disabled ones."""
    settings = load_settings()
    sources = with_redis(settings, lambda r: _registry(r, settings).all())
    if as_json:
        for s in sources:
            out(s.model_dump_json())
        return
    if not sources:
        out("no sources: newsflow sources add URL|SITE")
        return
    for s in sources:
        state = "DISABLED" if s.disabled else ("failing" if s.failures else "ok")
        out(f"{s.url}  [{s.kind or 'not yet polled'}, {state}, id {s.id}]")
        out(
            f"  last poll {_when(s.last_poll_at)}, next {_when(None if s.disabled else s.next_poll_at)}"
            f" (every {s.interval_s / 60:.0f} min); new per poll {s.new or '-'}; pushed {s.pushed}"
        )
        if s.failures:
            out(f"  {s.failures} failed polls in a row: {s.last_error}")
        for problem in s.problems:
            out(f"  note: {problem}")


def sources_remove(ids: Annotated[list[str], typer.Argument(help="source ids or URLs")]) -> None:
    """Stop following sources."""
    settings = load_settings()

    async def run(redis: Redis) -> int:
        registry = _registry(redis, settings)
        missing = 0
        for given in ids:
            source = await registry.find(given)
            if source is None or not await registry.remove(source.id):
                out(f"no such source: {given}")
                missing += 1
            else:
                out(f"removed: {source.url}")
        return missing

    if with_redis(settings, run):
        raise typer.Exit(1)


_OPML_URL = re.compile(r"""xmlUrl\s*=\s*["']([^"']+)["']""", re.I)


def sources_import(
    file: Annotated[Path, typer.Argument(help="an OPML file (feed readers export them) or one URL per line")],
) -> None:
    """Follow every feed of an OPML file or a plain list, as given (no discovery)."""
    text = file.read_text(errors="replace")
    if "<opml" in text[:2000].lower():
        from xml.sax.saxutils import unescape

        urls = [unescape(u, {"&quot;": '"', "&apos;": "'"}) for u in _OPML_URL.findall(text)]
    else:
        urls = [
            line.strip() for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")
        ]
    if not urls:
        typer.echo(f"newsflow: no feed URLs in {file}", err=True)
        raise typer.Exit(1)
    sources_add(urls, exact=True)


def discover() -> None:
    """Run the discover worker: poll the sources that are due and push their new URLs (a compose service)."""
    settings = load_settings()
    try:
        from newsflow.discover.worker import DiscoverWorker
    except ModuleNotFoundError as exc:
        typer.echo("newsflow: " + _NOT_INSTALLED.format(exc), err=True)
        raise typer.Exit(2) from exc

    async def run() -> None:
        redis = redis_client(settings)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        try:
            await DiscoverWorker(redis, settings).run(stop)
        finally:
            await redis.aclose()

    asyncio.run(run())
