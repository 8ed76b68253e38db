"""Commands on the search store: search it, copy it into another."""

from __future__ import annotations

import time
from typing import Annotated

import typer

from newsflow.cli.common import load_settings, open_store_or_exit, out
from newsflow.errors import one_line


def search(
    query: Annotated[
        str, typer.Argument(help='words, "phrases", OR, -excluded; empty lists the newest')
    ] = "",
    country: Annotated[str | None, typer.Option(help="ISO-2 code of any place in the story")] = None,
    focus_country: Annotated[str | None, typer.Option(help="ISO-2 code of the story's main country")] = None,
    place: Annotated[str | None, typer.Option(help="a place name or GeoNames id")] = None,
    near: Annotated[str | None, typer.Option(help="LAT,LON,KM")] = None,
    bbox: Annotated[str | None, typer.Option(help="MIN_LON,MIN_LAT,MAX_LON,MAX_LAT")] = None,
    person: Annotated[str | None, typer.Option()] = None,
    org: Annotated[str | None, typer.Option("--org", help="an organisation")] = None,
    keyword: Annotated[str | None, typer.Option()] = None,
    topic: Annotated[str | None, typer.Option()] = None,
    tag: Annotated[
        str | None, typer.Option(help="person, organisation, keyword, topic, place or country")
    ] = None,
    language: Annotated[str | None, typer.Option(help="ISO 639-1, e.g. en")] = None,
    site: Annotated[str | None, typer.Option(help="site name or host, e.g. dw.com")] = None,
    since: Annotated[
        str | None, typer.Option(help="published at or after: YYYY-MM-DD or ISO datetime")
    ] = None,
    until: Annotated[str | None, typer.Option(help="published before: YYYY-MM-DD or ISO datetime")] = None,
    sort: Annotated[str, typer.Option(help="relevance or date")] = "relevance",
    limit: Annotated[int, typer.Option(min=1, max=500)] = 10,
    cursor: Annotated[str | None, typer.Option(help="the next_cursor of a previous page")] = None,
    facets: Annotated[
        bool, typer.Option("--facets", help="also count by country, topic, organisation, person, site, day")
    ] = False,
    as_json: Annotated[
        bool, typer.Option("--json", help="one enriched article per line, nothing else")
    ] = False,
) -> None:
    """Search the store (the running stack's, or NEWSFLOW_STORE_URL)."""
    from pydantic import ValidationError

    from newsflow.search.query import SearchParams, SearchTimeout

    settings = load_settings()
    try:
        # Validated as the API validates its query string: an unknown --sort is pydantic's error too.
        q = SearchParams.model_validate(
            dict(
                q=query,
                country=country,
                focus_country=focus_country,
                place=place,
                near=near,
                bbox=bbox,
                person=person,
                organization=org,
                keyword=keyword,
                topic=topic,
                tag=tag,
                language=language,
                site=site,
                since=since,
                until=until,
                sort=sort,
                limit=limit,
                cursor=cursor,
                facets=facets and not as_json,
            )
        ).to_query()
    except (ValueError, ValidationError) as exc:
        typer.echo(f"newsflow: bad search: {one_line(exc)}", err=True)
        raise typer.Exit(2) from exc
    store = open_store_or_exit(settings)
    try:
        page = store.search(q)
    except SearchTimeout as exc:
        typer.echo(f"newsflow: {exc} (NEWSFLOW_SEARCH_TIMEOUT_S)", err=True)
        raise typer.Exit(1) from exc
    finally:
        store.close()
    if as_json:
        for article in page.results:
            out(article.model_dump_json())
        if page.next_cursor:
            typer.echo(f"next cursor: {page.next_cursor}", err=True)
        return
    from newsflow.cli.render import print_results

    print_results(page)


def store_copy(
    to: Annotated[str, typer.Option("--to", help="the store to fill: sqlite:///PATH or postgresql://…")],
    source: Annotated[
        str | None,
        typer.Option(
            "--from", help="the store to read (default: the running stack's, or NEWSFLOW_STORE_URL)"
        ),
    ] = None,
    batch: Annotated[int, typer.Option(min=1, max=10_000, help="articles per upsert")] = 500,
) -> None:
    """Copy every article of one store into another (SQLite to PostgreSQL or back), each with its first
    sighting. Safe to run again: articles are upserted by id. A PostgreSQL database keeps the text index
    it has; a new one gets NEWSFLOW_PG_TEXT_INDEX's."""
    from newsflow.search.copy import CopyRefused, check_copy, copy_articles
    from newsflow.search.store import open_store
    from newsflow.status import redact

    settings = load_settings()
    source_url = source or settings.effective_store_url
    try:
        check_copy(source_url, to)
    except CopyRefused as exc:
        typer.echo(f"newsflow: {exc}", err=True)
        raise typer.Exit(2) from exc
    stores = []
    try:
        for url in (source_url, to):
            stores.append(open_store(url, settings.pg_text_index, keep_text_index=True))
    except Exception as exc:
        for store in stores:
            store.close()
        typer.echo(f"newsflow: cannot open the store {redact(url)}: {exc}", err=True)
        raise typer.Exit(2 if isinstance(exc, ValueError) else 1) from exc
    src, dst = stores
    total, started, step = src.count(), time.monotonic(), max(batch, 10_000)

    def progress(copied: int) -> None:
        if copied // step != (copied - batch) // step:
            typer.echo(f"  {copied:,} of {total:,} articles", err=True)

    try:
        copied = copy_articles(src, dst, batch, progress)
        held = dst.count()
    finally:
        src.close()
        dst.close()
    out(
        f"copied {copied:,} articles from {redact(source_url)} to {redact(to)} in"
        f" {time.monotonic() - started:.1f} s; it holds {held:,}"
    )
