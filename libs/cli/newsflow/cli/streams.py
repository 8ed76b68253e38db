"""Commands on the streams of a running stack: push URLs, follow the output, status, trace, dead letters."""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from newsflow.cli.common import load_settings, out, redis_client, with_redis


def push(
    urls: Annotated[list[str] | None, typer.Argument(help="URLs to queue; '-' reads them from stdin")] = None,
    file: Annotated[Path | None, typer.Option("--file", "-f", help="a file with one URL per line")] = None,
    force: Annotated[bool, typer.Option(help="fetch again even if ingested recently")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="one JSON line per URL")] = False,
) -> None:
    """Queue URLs on news.urls; prints each URL's article id (or why it was refused)."""
    from newsflow.push import push_urls

    settings = load_settings()
    items = list(urls or [])
    if "-" in items:
        items.remove("-")
        items += [line.strip() for line in sys.stdin]
    if file:
        items += [line.strip() for line in file.read_text().splitlines()]
    items = [u for u in items if u and not u.startswith("#")]
    if not items:
        typer.echo("newsflow: no URLs given (arguments, --file FILE or -)", err=True)
        raise typer.Exit(2)

    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    # Progress on stderr, for lists long enough to take a while; stdout keeps one line per URL.
    progress = Progress(
        TextColumn("queued"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("{task.description}"),
        console=Console(stderr=True),
        transient=True,
        disable=len(items) <= 1000,
    )
    task = progress.add_task("", total=len(items))

    def waiting(exc: Exception) -> None:
        progress.update(task, description=f"[yellow]waiting: {exc}[/yellow]")
        if progress.disable:
            typer.echo(f"newsflow: waiting: {exc}", err=True)

    def advanced(done: int, total: int) -> None:
        progress.update(task, completed=done, total=total, description="")

    with progress:
        results = with_redis(
            settings,
            lambda r: push_urls(
                r, settings, items, force=force, source="cli", wait=waiting, progress=advanced
            ),
        )
    for r in results:
        if as_json:
            out(json.dumps(r.__dict__))
        elif r.error:
            typer.echo(f"refused  {r.url}  ({r.error})", err=True)
        else:
            out(f"queued   {r.id}  {r.url}")
    if any(r.error for r in results):
        raise typer.Exit(1)


def tail(
    from_start: Annotated[
        bool, typer.Option("--from-start", help="read the stream from its first entry")
    ] = False,
    group: Annotated[
        str | None, typer.Option(help="read through this consumer group (acknowledging)")
    ] = None,
    count: Annotated[int, typer.Option(help="stop after this many articles (0: follow forever)")] = 0,
    delete: Annotated[
        bool, typer.Option("--delete", help="remove the --group from the stream, then exit")
    ] = False,
) -> None:
    """Follow news.enriched: one enriched article JSON per line (a downstream consumer example)."""
    from newsflow.tail import delete_group, follow

    settings = load_settings()
    redis = redis_client(settings)
    if delete:
        if not group:
            raise typer.BadParameter("--delete needs --group NAME")
        removed = asyncio.run(delete_group(redis, settings, group))
        typer.echo(
            f"removed consumer group {group!r}" if removed else f"no consumer group {group!r} on the stream",
            err=True,
        )
        raise typer.Exit(0 if removed else 1)
    try:
        asyncio.run(
            follow(
                redis,
                settings,
                from_start=from_start,
                group=group,
                count=count,
                emit=out,
                notify=lambda message: typer.echo(message, err=True),
            )
        )
    except KeyboardInterrupt:
        pass


def status(as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Streams (length, pending, lag, consumers), dead letters and articles in the store."""
    from newsflow.search.store import open_configured_store
    from newsflow.status import collect_status

    settings = load_settings()
    try:
        store = open_configured_store(settings)
        articles: int | None = store.count()
        store.close()
    except Exception:  # noqa: BLE001 - status reports what it can reach
        articles = None

    snapshot = with_redis(settings, lambda r: collect_status(r, settings, articles))
    if as_json:
        out(json.dumps(snapshot))
        return
    from newsflow.cli.render import print_status

    print_status(snapshot)


def trace(
    ref: Annotated[str, typer.Argument(help="the URL as pushed (any spelling) or the article id")],
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Where one story is: pushed, fetched, enriched, indexed, or dead-lettered and why, with times."""
    from newsflow.search.store import open_configured_store
    from newsflow.trace import read_trace

    settings = load_settings()
    try:
        store = open_configured_store(settings)
    except Exception as exc:  # noqa: BLE001 - the trace in Redis is still worth showing
        typer.echo(f"newsflow: store not reachable ({exc}); showing the stream trace only", err=True)
        store = None
    try:
        result = with_redis(settings, lambda r: read_trace(r, settings, ref, store))
    except ValueError as exc:
        typer.echo(f"newsflow: {exc}", err=True)
        raise typer.Exit(2) from exc
    finally:
        if store is not None:
            store.close()
    if as_json:
        out(json.dumps(result.as_json(), ensure_ascii=False))
    else:
        from newsflow.cli.render import print_trace

        print_trace(result)
    if result.state == "unknown":
        raise typer.Exit(1)


def dlq_list(
    limit: Annotated[int, typer.Option(min=1)] = 100,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """List dead letters, oldest first."""
    from newsflow.dlq import list_dead_letters

    settings = load_settings()

    for letter in with_redis(settings, lambda r: list_dead_letters(r, settings, limit)):
        if as_json:
            out(json.dumps(letter.as_json(), ensure_ascii=False))
        else:
            out(
                f"{letter.dlq_id}  {letter.stage:<7} {letter.error:<12} attempts={letter.attempts}  "
                f"{letter.url or letter.article_id or ''}  {letter.reason}"
            )


def dlq_replay(
    ids: Annotated[list[str] | None, typer.Argument(help="dead-letter ids (from `dlq list`)")] = None,
    all_: Annotated[bool, typer.Option("--all", help="replay every dead letter")] = False,
) -> None:
    """Put dead letters back on the stream they failed on."""
    from newsflow.dlq import replay

    if not ids and not all_:
        typer.echo("newsflow: give dead-letter ids or --all", err=True)
        raise typer.Exit(2)
    settings = load_settings()

    done = with_redis(settings, lambda r: replay(r, settings, None if all_ else list(ids or [])))
    out(f"replayed {len(done)}")


def dlq_purge(yes: Annotated[bool, typer.Option("--yes", help="do not ask")] = False) -> None:
    """Delete every dead letter."""
    from newsflow.dlq import purge

    settings = load_settings()
    if not yes:
        typer.confirm("Delete all dead letters?", abort=True)

    out(f"purged {with_redis(settings, lambda r: purge(r, settings))}")
