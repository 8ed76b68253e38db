"""What the commands share: settings and logging, the stack's Redis, the store, stdout."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, TypeVar

import typer
from redis.asyncio import Redis

from newsflow.errors import NoStackError
from newsflow.logs import configure_logging
from newsflow.settings import Settings, get_settings

if TYPE_CHECKING:
    from newsflow.search.store import Store

T = TypeVar("T")


def load_settings() -> Settings:
    from newsflow.stackfile import with_stack_pipeline

    settings = with_stack_pipeline(get_settings())
    configure_logging(settings.log_level, settings.log_format)
    return settings


def redis_client(settings: Settings) -> Redis:
    from newsflow.stackfile import resolve_redis_url

    try:
        return Redis.from_url(resolve_redis_url(settings))
    except NoStackError as exc:
        typer.echo(f"newsflow: {exc}", err=True)
        raise typer.Exit(2) from exc


def with_redis(settings: Settings, work: Callable[[Redis], Awaitable[T]]) -> T:
    """Run one async job against the stack's Redis and close the connection after it."""

    async def run() -> T:
        redis = redis_client(settings)
        try:
            return await work(redis)
        finally:
            await redis.aclose()

    return asyncio.run(run())


def open_store_or_exit(settings: Settings) -> Store:
    """The configured store, or exit 1 saying why it cannot be opened (a bad URL, a database that refuses,
    a refused RUM index) instead of a traceback."""
    from newsflow.search.store import open_configured_store
    from newsflow.status import redact

    try:
        return open_configured_store(settings)
    except Exception as exc:
        typer.echo(f"newsflow: cannot open the store {redact(settings.effective_store_url)}: {exc}", err=True)
        raise typer.Exit(1) from exc


def out(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()
