"""`newsflow demo`: serve the bundled sample pages on 127.0.0.1, run the stack, push one, follow a feed
that lists the others, wait, show."""

from __future__ import annotations

import asyncio
import time
from importlib import resources
from pathlib import Path

from redis.asyncio import Redis
from rich.console import Console

from newsflow.cli.pageserver import PageServer
from newsflow.cli.render import print_results
from newsflow.dlq import list_dead_letters
from newsflow.push import push_urls
from newsflow.search.query import SearchPage, SearchQuery
from newsflow.search.store import open_configured_store
from newsflow.settings import Settings
from newsflow.status import redact
from newsflow.urls import id_for_url

console = Console(soft_wrap=True)
DEMO_PORT = 8089


def pages_dir() -> Path:
    return Path(str(resources.files("newsflow.cli.demo") / "pages"))


def run_demo(settings: Settings, keep: bool = False, timeout: float = 120.0) -> int:
    from newsflow.cli.stack import Stack

    # A fixed port keeps the sample URLs, hence their article ids, the same from one demo to the next.
    server = PageServer(pages_dir(), port=DEMO_PORT)
    server.start()
    pages = sorted(p.name for p in pages_dir().glob("*.html"))
    # The Courier's stories come through its feed (the discover stage), the others are pushed.
    feed = server.url("feed.xml")
    via_feed = [server.url(name) for name in pages if name.startswith("courier-")]
    good = [server.url(name) for name in pages if server.url(name) not in via_feed]
    # Two URLs that must fail, to show dead letters: a JSON document and a page that does not exist.
    bad = [server.url("feed.json"), server.url("no-such-story.html")]
    console.print(f"[bold]newsflow demo[/bold]: serving {len(pages)} sample pages on {server.base_url}")
    # The demo fetches from 127.0.0.1, which the fetcher refuses unless told otherwise.
    # Its pages come from one local server: no politeness pause between them.
    stack = Stack(
        settings.model_copy(update={"fetch_allow_private": True, "api_port": 0}),
        extra_env={
            "NEWSFLOW_FETCH_ALLOW_PRIVATE": "true",
            "NEWSFLOW_LOG_LEVEL": "error",
            "NEWSFLOW_FETCH_HOST_INTERVAL_S": "0",
        },
    )
    t0 = time.monotonic()
    try:
        with console.status("starting redis-server, the ingest, enrich and index workers, and the API …"):
            stack.start()
        console.print(
            f"stack ready (workers loaded) in {time.monotonic() - t0:.1f}s: API {stack.api_url},"
            f" Redis {redact(stack.redis_url or '')}"
        )
        assert stack.redis_url is not None  # started
        code = asyncio.run(_push_and_wait(settings, stack.redis_url, good, bad, feed, via_feed, timeout))
        if keep:
            console.print(
                "\nThe stack keeps running (Ctrl-C stops it). Try, in another terminal:\n"
                "  newsflow search Mali\n  newsflow status\n  newsflow tail --from-start --count 1"
            )
            stack.run_forever()
        return code
    finally:
        stack.stop()
        server.stop()


async def _follow(redis: Redis, settings: Settings, feed: str) -> bool:
    """Follows the demo's feed, if the discover stage is installed here."""
    try:
        from newsflow.discover.sources import Registry
    except ModuleNotFoundError:
        console.print("  (the discover stage is not installed: no feed followed)")
        return False
    source, _ = await Registry(redis, settings).add(feed)
    console.print(f"  following {source.url}: the discover stage polls it and pushes what it lists")
    return True


async def _push_and_wait(
    settings: Settings,
    redis_url: str,
    good: list[str],
    bad: list[str],
    feed: str,
    via_feed: list[str],
    timeout: float,
) -> int:
    redis = Redis.from_url(redis_url)
    store = open_configured_store(settings)
    try:
        dlq_before = {d.dlq_id for d in await list_dead_letters(redis, settings, 10_000)}
        pushed_at = time.monotonic()
        results = await push_urls(redis, settings, good + bad, force=True, source="demo")
        for r in results:
            console.print(f"  queued {r.id}  {r.url}")
        wanted = {r.id: r.url for r in results if r.url in good and r.id}
        indexed_after: dict[str, float] = {}
        baseline = {aid: (a.enriched_at if a else None) for aid in wanted for a in [store.get(aid)]}
        earlier: set[str] = set()
        if await _follow(redis, settings, feed):
            for url in via_feed:
                aid = id_for_url(url)[0]
                wanted[aid] = url
                # A feed's stories are pushed once: after an earlier demo they are in the store already.
                baseline[aid] = None
                if store.get(aid) is not None:
                    indexed_after[aid] = 0.0
                    earlier.add(aid)
                    console.print(
                        f"  {url}: in the store from an earlier demo (a feed's items are pushed once)"
                    )
        failed: list = []
        spinner = console.status("waiting for the pipeline …")
        spinner.start()
        while time.monotonic() - pushed_at < timeout:
            for aid in wanted:
                if aid in indexed_after:
                    continue
                article = store.get(aid)
                if article is not None and article.enriched_at != baseline[aid]:
                    indexed_after[aid] = time.monotonic() - pushed_at
            failed = [
                d for d in await list_dead_letters(redis, settings, 10_000) if d.dlq_id not in dlq_before
            ]
            if len(indexed_after) == len(wanted) and len(failed) >= len(bad):
                break
            spinner.update(
                f"{time.monotonic() - pushed_at:4.1f}s: {len(indexed_after)}/{len(wanted)} pages indexed, "
                f"{len(failed)}/{len(bad)} bad URLs dead-lettered"
            )
            await asyncio.sleep(0.1)
        spinner.stop()
        page = SearchPage(
            total=len(indexed_after), results=[a for aid in indexed_after if (a := store.get(aid))]
        )
        console.rule("indexed articles")
        print_results(page)
        console.rule("timing")
        for aid, seconds in sorted(indexed_after.items(), key=lambda kv: kv[1]):
            if aid in earlier:
                console.print(f"  (an earlier demo)  {wanted[aid]}")
                continue
            how = "from the feed's addition" if wanted[aid] in via_feed else "from push"
            console.print(f"  {seconds:6.2f}s {how} to searchable  {wanted[aid]}")
        console.rule("dead letters (expected: the JSON feed and the missing page)")
        for d in failed:
            console.print(f"  {d.stage}: {d.url}  {d.error}: {d.reason}")
        search = store.search(SearchQuery(q="Wagner", country="ML"))
        console.rule("a search")
        console.print(
            f"  newsflow search Wagner --country ML  ->  {search.total} hit(s): "
            + ", ".join(a.title or a.id for a in search.results)
        )
        missing = set(wanted) - set(indexed_after)
        if missing:
            console.print(
                f"[red]not indexed within {timeout:g}s: {', '.join(wanted[m] for m in missing)}[/red]"
            )
            return 1
        return 0
    finally:
        store.close()
        await redis.aclose()
