"""Commands that run newsflow: the whole stack, one worker, the API, the one-shot bootstrap, the demo."""

from __future__ import annotations

import os
import time
from typing import Annotated

import typer

from newsflow.cli.common import load_settings, open_store_or_exit, out, with_redis
from newsflow.errors import NoStackError


def up() -> None:
    """Run the whole stack in the foreground: Redis (embedded unless NEWSFLOW_REDIS_URL), 3 workers, the API."""
    from newsflow.cli.stack import Stack
    from newsflow.status import redact

    settings = load_settings()
    os.umask(0o077)  # the data dir's files (AOF, SQLite, logs) for their owner only, children's too
    stack = Stack(settings)
    try:
        stack.start()
    except RuntimeError as exc:
        stack.stop()
        typer.echo(f"newsflow: {exc}", err=True)
        raise typer.Exit(1) from exc
    typer.echo(
        f"newsflow is up: API {stack.api_url}, Redis {redact(stack.redis_url or '')}, store "
        f"{redact(settings.effective_store_url)}. Ctrl-C stops it.",
        err=True,
    )
    try:
        stack.run_forever()
    finally:
        stack.stop()


def worker(
    stage: Annotated[str, typer.Argument(help="a stage of the pipeline: ingest, enrich, index")],
) -> None:
    """Run one stage worker (what each docker compose service runs)."""
    from newsflow.pipeline import handler_class, stages
    from newsflow.runtime import run_worker
    from newsflow.stackfile import resolve_redis_url

    settings = load_settings()
    declared = stages(settings)
    if stage not in declared:
        typer.echo(f"newsflow: unknown stage {stage!r} (the pipeline has: {', '.join(declared)})", err=True)
        raise typer.Exit(2)
    try:
        handler = handler_class(declared[stage])(settings, declared[stage])
    except ModuleNotFoundError as exc:
        typer.echo(
            f"newsflow: the {stage} stage is not installed here ({exc}); install newsflow-{stage}", err=True
        )
        raise typer.Exit(2) from exc
    try:
        url = resolve_redis_url(settings)
    except NoStackError as exc:
        typer.echo(f"newsflow: {exc}", err=True)
        raise typer.Exit(2) from exc
    run_worker(handler, settings, url)


def health(
    stage: Annotated[str, typer.Argument(help="the stage whose worker on this host is checked")],
) -> None:
    """Exit 0 when this host's STAGE worker is reading its stream (its heartbeat in Redis is live), else 1.

    Compose's worker healthcheck: a worker's heartbeat starts once its model is loaded and its
    subscribers read, and stops when its event loop does; an open metrics port says neither."""
    from redis.asyncio import Redis

    from newsflow.consumers import host_prefix, on_this_host
    from newsflow.upkeep import live_consumers

    settings = load_settings()

    async def beating(redis: Redis) -> list[str]:
        return [c for c in await live_consumers(redis, stage) if on_this_host(settings, c)]

    found = with_redis(settings, beating)
    if not found:
        expected = settings.consumer_name or f"{host_prefix()}*"
        typer.echo(f"newsflow: no live {stage} worker on this host ({expected})", err=True)
        raise typer.Exit(1)
    out(f"{stage}: {', '.join(sorted(found))} reading")


def bootstrap() -> None:
    """Create the consumer groups and migrate the store, then exit (compose's one-shot service)."""
    from newsflow.pipeline import stages
    from newsflow.status import redact
    from newsflow.streams import ensure_groups

    settings = load_settings()
    with_redis(settings, lambda r: ensure_groups(r, settings))
    for st in stages(settings).values():
        out(f"group {st.group} on {st.input}: ready")
    open_store_or_exit(settings).close()  # opening runs the migrations, safe to run twice
    out(f"store {redact(settings.effective_store_url)}: migrated")


def prepare() -> None:
    """Build the gazetteer index and check the NER model, so workers start fast (run at image build)."""
    from newsflow.enrich.gazetteer import cache_path, load_gazetteer
    from newsflow.enrich.nlp import MODEL, load_nlp

    settings = load_settings()
    started = time.perf_counter()
    load_gazetteer(settings.data_dir)
    out(f"gazetteer: {cache_path(settings.data_dir)} ({time.perf_counter() - started:.1f}s)")
    nlp = load_nlp()
    out(
        f"NER model: {MODEL} {nlp.meta['version']}"
        if nlp is not None
        else f"NER model: {MODEL} not installed (places still found; no people or organisations)"
    )


def api() -> None:
    """Run the HTTP API alone (NEWSFLOW_API_HOST:NEWSFLOW_API_PORT)."""
    import uvicorn

    from newsflow.api.app import create_app

    settings = load_settings()
    uvicorn.run(
        create_app(settings),
        host=settings.api_host,
        port=settings.api_port,
        log_level="warning",
        access_log=False,
    )


def demo(
    keep: Annotated[
        bool, typer.Option(help="keep the stack running afterwards (like `newsflow up`)")
    ] = False,
    timeout: Annotated[float, typer.Option(help="seconds to wait for the pages to be indexed")] = 120.0,
) -> None:
    """Serve the bundled sample pages on 127.0.0.1, push them, wait until indexed, show what came out."""
    from newsflow.cli.demo import run_demo

    raise typer.Exit(run_demo(load_settings(), keep=keep, timeout=timeout))
