"""The `newsflow` command."""

from __future__ import annotations

import asyncio
import json
import sys
import time
from pathlib import Path
from typing import Annotated

import typer
from redis.asyncio import Redis

from newsflow.errors import NoStackError
from newsflow.logs import configure_logging
from newsflow.settings import Settings, get_settings

app = typer.Typer(
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    help="newsflow: push news URLs; get clean, geolocated, tagged articles out.",
)
dlq_app = typer.Typer(
    no_args_is_help=True, help="Dead letters: entries that failed for good, with the reason."
)
app.add_typer(dlq_app, name="dlq")
store_app = typer.Typer(no_args_is_help=True, help="The search store: copy it into another.")
app.add_typer(store_app, name="store")


def _settings() -> Settings:
    settings = get_settings()
    configure_logging(settings.log_level, settings.log_format)
    return settings


def _redis(settings: Settings) -> Redis:
    from newsflow.stackfile import resolve_redis_url

    try:
        return Redis.from_url(resolve_redis_url(settings))
    except NoStackError as exc:
        typer.echo(f"newsflow: {exc}", err=True)
        raise typer.Exit(2) from exc


def _with_redis(settings: Settings, work):  # work: async (Redis) -> T
    """Run one async job against the stack's Redis and close the connection after it."""

    async def run():
        redis = _redis(settings)
        try:
            return await work(redis)
        finally:
            await redis.aclose()

    return asyncio.run(run())


def _open_store(settings: Settings):  # a Store; imported late, as the commands do
    """The configured store, or exit 1 saying why it cannot be opened (a bad URL, a database that refuses,
    a refused RUM index) instead of a traceback."""
    from newsflow.search.store import open_configured_store
    from newsflow.status import redact

    try:
        return open_configured_store(settings)
    except Exception as exc:
        typer.echo(f"newsflow: cannot open the store {redact(settings.effective_store_url)}: {exc}", err=True)
        raise typer.Exit(1) from exc


def _out(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


@app.command()
def up() -> None:
    """Run the whole stack in the foreground: Redis (embedded unless NEWSFLOW_REDIS_URL), 3 workers, the API."""
    from newsflow.cli.stack import Stack

    settings = _settings()
    stack = Stack(settings)
    try:
        stack.start()
    except RuntimeError as exc:
        stack.stop()
        typer.echo(f"newsflow: {exc}", err=True)
        raise typer.Exit(1) from exc
    typer.echo(
        f"newsflow is up: API {stack.api_url}, Redis {stack.redis_url}, store "
        f"{settings.effective_store_url}. Ctrl-C stops it.",
        err=True,
    )
    try:
        stack.run_forever()
    finally:
        stack.stop()


@app.command()
def worker(
    stage: Annotated[str, typer.Argument(help="a stage of the pipeline: ingest, enrich, index")],
) -> None:
    """Run one stage worker (what each docker compose service runs)."""
    from newsflow.pipeline import handler_class, stages
    from newsflow.runtime import run_worker
    from newsflow.stackfile import resolve_redis_url

    settings = _settings()
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


@app.command()
def bootstrap() -> None:
    """Create the consumer groups and migrate the store, then exit (compose's one-shot service)."""
    from newsflow.pipeline import stages
    from newsflow.status import redact
    from newsflow.streams import ensure_groups

    settings = _settings()
    _with_redis(settings, lambda r: ensure_groups(r, settings))
    for st in stages(settings).values():
        _out(f"group {st.group} on {st.input}: ready")
    _open_store(settings).close()  # opening runs the migrations, safe to run twice
    _out(f"store {redact(settings.effective_store_url)}: migrated")


@app.command()
def prepare() -> None:
    """Build the gazetteer index and check the NER model, so workers start fast (run at image build)."""
    from newsflow.enrich.gazetteer import cache_path, load_gazetteer
    from newsflow.enrich.nlp import MODEL, load_nlp

    settings = _settings()
    started = time.perf_counter()
    load_gazetteer(settings.data_dir)
    _out(f"gazetteer: {cache_path(settings.data_dir)} ({time.perf_counter() - started:.1f}s)")
    nlp = load_nlp()
    _out(
        f"NER model: {MODEL} {nlp.meta['version']}"
        if nlp is not None
        else f"NER model: {MODEL} not installed (places still found; no people or organisations)"
    )


@app.command()
def api() -> None:
    """Run the HTTP API alone (NEWSFLOW_API_HOST:NEWSFLOW_API_PORT)."""
    import uvicorn

    from newsflow.api.app import create_app

    settings = _settings()
    uvicorn.run(
        create_app(settings),
        host=settings.api_host,
        port=settings.api_port,
        log_level="warning",
        access_log=False,
    )


@app.command()
def push(
    urls: Annotated[list[str] | None, typer.Argument(help="URLs to queue; '-' reads them from stdin")] = None,
    file: Annotated[Path | None, typer.Option("--file", "-f", help="a file with one URL per line")] = None,
    force: Annotated[bool, typer.Option(help="fetch again even if ingested recently")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="one JSON line per URL")] = False,
) -> None:
    """Queue URLs on news.urls; prints each URL's article id (or why it was refused)."""
    from newsflow.push import push_urls

    settings = _settings()
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
        results = _with_redis(
            settings,
            lambda r: push_urls(
                r, settings, items, force=force, source="cli", wait=waiting, progress=advanced
            ),
        )
    for r in results:
        if as_json:
            _out(json.dumps(r.__dict__))
        elif r.error:
            typer.echo(f"refused  {r.url}  ({r.error})", err=True)
        else:
            _out(f"queued   {r.id}  {r.url}")
    if any(r.error for r in results):
        raise typer.Exit(1)


@app.command()
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

    settings = _settings()
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
        typer.echo(f"newsflow: bad search: {exc}", err=True)
        raise typer.Exit(2) from exc
    store = _open_store(settings)
    try:
        page = store.search(q)
    except SearchTimeout as exc:
        typer.echo(f"newsflow: {exc} (NEWSFLOW_SEARCH_TIMEOUT_S)", err=True)
        raise typer.Exit(1) from exc
    finally:
        store.close()
    if as_json:
        for article in page.results:
            _out(article.model_dump_json())
        if page.next_cursor:
            typer.echo(f"next cursor: {page.next_cursor}", err=True)
        return
    from newsflow.cli.render import print_results

    print_results(page)


@app.command()
def tail(
    from_start: Annotated[
        bool, typer.Option("--from-start", help="read the stream from its first entry")
    ] = False,
    group: Annotated[
        str | None, typer.Option(help="read through this consumer group (acknowledging)")
    ] = None,
    count: Annotated[int, typer.Option(help="stop after this many articles (0: follow forever)")] = 0,
) -> None:
    """Follow news.enriched: one enriched article JSON per line (a downstream consumer example)."""
    from newsflow.tail import follow

    settings = _settings()
    redis = _redis(settings)
    try:
        asyncio.run(follow(redis, settings, from_start=from_start, group=group, count=count, emit=_out))
    except KeyboardInterrupt:
        pass


@app.command()
def status(as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Streams (length, pending, lag, consumers), dead letters and articles in the store."""
    from newsflow.search.store import open_configured_store
    from newsflow.status import collect_status

    settings = _settings()
    try:
        store = open_configured_store(settings)
        articles: int | None = store.count()
        store.close()
    except Exception:  # noqa: BLE001 - status reports what it can reach
        articles = None

    snapshot = _with_redis(settings, lambda r: collect_status(r, settings, articles))
    if as_json:
        _out(json.dumps(snapshot))
        return
    from newsflow.cli.render import print_status

    print_status(snapshot)


@app.command()
def trace(
    ref: Annotated[str, typer.Argument(help="the URL as pushed (any spelling) or the article id")],
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Where one story is: pushed, fetched, enriched, indexed, or dead-lettered and why, with times."""
    from newsflow.search.store import open_configured_store
    from newsflow.trace import read_trace

    settings = _settings()
    try:
        store = open_configured_store(settings)
    except Exception as exc:  # noqa: BLE001 - the trace in Redis is still worth showing
        typer.echo(f"newsflow: store not reachable ({exc}); showing the stream trace only", err=True)
        store = None
    try:
        result = _with_redis(settings, lambda r: read_trace(r, settings, ref, store))
    except ValueError as exc:
        typer.echo(f"newsflow: {exc}", err=True)
        raise typer.Exit(2) from exc
    finally:
        if store is not None:
            store.close()
    if as_json:
        _out(json.dumps(result.as_json(), ensure_ascii=False))
    else:
        from newsflow.cli.render import print_trace

        print_trace(result)
    if result.state == "unknown":
        raise typer.Exit(1)


@app.command()
def extract(
    files: Annotated[list[Path] | None, typer.Argument(help="saved HTML pages")] = None,
    url: Annotated[str | None, typer.Option(help="the page's URL (for ids and relative links)")] = None,
    jsonl: Annotated[bool, typer.Option("--jsonl", help='read {"id","url","html"} lines on stdin')] = False,
) -> None:
    """Extract articles from saved HTML, offline; one article JSON per line."""
    from newsflow.ingest.extract import ExtractionError, extract_article

    _settings()
    if jsonl:
        for line in sys.stdin:
            if not line.strip():
                continue
            item = json.loads(line)
            try:
                article = extract_article(item.get("html") or "", item.get("url"), min_text_chars=0)
                doc = json.loads(article.model_dump_json())
            except ExtractionError as exc:
                doc = {"text": "", "error": str(exc)}
            doc["id"] = item.get("id", doc.get("id"))
            _out(json.dumps(doc, ensure_ascii=False))
        return
    for path in files or []:
        html = path.read_bytes()
        from newsflow.ingest.fetch import decode_html

        text, _ = decode_html(html, None)
        try:
            article = extract_article(text, url or path.resolve().as_uri(), min_text_chars=0)
        except ExtractionError as exc:
            typer.echo(f"newsflow: {path}: {exc}", err=True)
            continue
        _out(article.model_dump_json())


@app.command()
def geoparse(
    files: Annotated[
        list[Path] | None, typer.Argument(help="plain-text files; - or none: the text on stdin")
    ] = None,
    jsonl: Annotated[bool, typer.Option("--jsonl", help='read {"id","text"} lines on stdin')] = False,
) -> None:
    """Recognise and resolve places in text, offline (the enrich worker's own code)."""
    from newsflow.enrich.enricher import Enricher

    _settings()
    enricher = Enricher()
    status = 0
    if jsonl:
        for line in sys.stdin:
            if line.strip():
                item = json.loads(line)
                places = enricher.places(item.get("text") or "")
                _out(
                    json.dumps(
                        {"id": item.get("id"), "places": [p.model_dump() for p in places]}, ensure_ascii=False
                    )
                )
        return
    for path in files or [Path("-")]:
        try:
            text = (
                sys.stdin.read() if str(path) == "-" else path.read_text(encoding="utf-8", errors="replace")
            )
        except OSError as exc:  # one unreadable file is reported, the others are still parsed
            typer.echo(f"newsflow: {path}: {exc.strerror or exc}", err=True)
            status = 2
            continue
        places = enricher.places(text)
        _out(json.dumps({"id": str(path), "places": [p.model_dump() for p in places]}, ensure_ascii=False))
    raise typer.Exit(status)


@app.command()
def demo(
    keep: Annotated[
        bool, typer.Option(help="keep the stack running afterwards (like `newsflow up`)")
    ] = False,
    timeout: Annotated[float, typer.Option(help="seconds to wait for the pages to be indexed")] = 120.0,
) -> None:
    """Serve the bundled sample pages on 127.0.0.1, push them, wait until indexed, show what came out."""
    from newsflow.cli.demo import run_demo

    raise typer.Exit(run_demo(_settings(), keep=keep, timeout=timeout))


@app.command()
def schema(out: Annotated[Path | None, typer.Option(help="write here instead of stdout")] = None) -> None:
    """Print the JSON Schema of the enriched article (schema version 1)."""
    from newsflow.schemas import enriched_json_schema

    text = json.dumps(enriched_json_schema(), indent=2, sort_keys=True) + "\n"
    if out:
        out.write_text(text)
    else:
        sys.stdout.write(text)


@dlq_app.command("list")
def dlq_list(
    limit: Annotated[int, typer.Option(min=1)] = 100,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """List dead letters, oldest first."""
    from newsflow.dlq import list_dead_letters

    settings = _settings()

    for letter in _with_redis(settings, lambda r: list_dead_letters(r, settings, limit)):
        if as_json:
            _out(json.dumps(letter.as_json(), ensure_ascii=False))
        else:
            _out(
                f"{letter.dlq_id}  {letter.stage:<7} {letter.error:<12} attempts={letter.attempts}  "
                f"{letter.url or letter.article_id or ''}  {letter.reason}"
            )


@dlq_app.command("replay")
def dlq_replay(
    ids: Annotated[list[str] | None, typer.Argument(help="dead-letter ids (from `dlq list`)")] = None,
    all_: Annotated[bool, typer.Option("--all", help="replay every dead letter")] = False,
) -> None:
    """Put dead letters back on the stream they failed on."""
    from newsflow.dlq import replay

    if not ids and not all_:
        typer.echo("newsflow: give dead-letter ids or --all", err=True)
        raise typer.Exit(2)
    settings = _settings()

    done = _with_redis(settings, lambda r: replay(r, settings, None if all_ else list(ids or [])))
    _out(f"replayed {len(done)}")


@dlq_app.command("purge")
def dlq_purge(yes: Annotated[bool, typer.Option("--yes", help="do not ask")] = False) -> None:
    """Delete every dead letter."""
    from newsflow.dlq import purge

    settings = _settings()
    if not yes:
        typer.confirm("Delete all dead letters?", abort=True)

    _out(f"purged {_with_redis(settings, lambda r: purge(r, settings))}")


def _same_store(a: str, b: str) -> bool:
    from newsflow.search.store import sqlite_path

    path_a, path_b = sqlite_path(a), sqlite_path(b)
    if path_a is not None and path_b is not None:
        return path_a.resolve() == path_b.resolve()
    return a.rstrip("/") == b.rstrip("/")


@store_app.command("copy")
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
    from newsflow.search.store import copy_articles, open_store, sqlite_path
    from newsflow.status import redact

    settings = _settings()
    source_url = source or settings.effective_store_url
    if _same_store(source_url, to):
        typer.echo("newsflow: --from and --to name the same store", err=True)
        raise typer.Exit(2)
    source_path = sqlite_path(source_url)
    if source_path is not None and not source_path.is_file():
        typer.echo(f"newsflow: no store at {source_url}", err=True)  # opening would make an empty one
        raise typer.Exit(2)
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
    _out(
        f"copied {copied:,} articles from {redact(source_url)} to {redact(to)} in"
        f" {time.monotonic() - started:.1f} s; it holds {held:,}"
    )
