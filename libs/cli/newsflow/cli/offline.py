"""Commands that need no stack: extract articles from saved pages, find places in text, the schema."""

from __future__ import annotations

import json
import mimetypes
import sys
from pathlib import Path
from typing import Annotated

import typer

from newsflow.cli.common import load_settings, out


def extract(
    files: Annotated[list[Path] | None, typer.Argument(help="saved HTML pages")] = None,
    url: Annotated[str | None, typer.Option(help="the page's URL (for ids and relative links)")] = None,
    jsonl: Annotated[bool, typer.Option("--jsonl", help='read {"id","url","html"} lines on stdin')] = False,
) -> None:
    """Extract articles from saved HTML, offline; one article JSON per line."""
    from newsflow.ingest.extract import ExtractionError, extract_article

    load_settings()
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
            out(json.dumps(doc, ensure_ascii=False))
        return
    from newsflow.ingest.fetch import decode_html, not_html_reason

    failed = False
    for path in files or []:
        html = path.read_bytes()
        # A file has no content-type header: its name's type stands in for it, as a server's would.
        reason = not_html_reason(mimetypes.guess_type(path.name)[0] or "", html)
        if reason:
            typer.echo(f"newsflow: {path}: {reason}", err=True)
            failed = True
            continue
        text, _ = decode_html(html, None)
        try:
            article = extract_article(text, url or path.resolve().as_uri(), min_text_chars=0)
        except ExtractionError as exc:
            typer.echo(f"newsflow: {path}: {exc}", err=True)
            failed = True
            continue
        out(article.model_dump_json())
    if failed:
        raise typer.Exit(1)


def geoparse(
    files: Annotated[
        list[Path] | None, typer.Argument(help="plain-text files; - or none: the text on stdin")
    ] = None,
    jsonl: Annotated[bool, typer.Option("--jsonl", help='read {"id","text"} lines on stdin')] = False,
) -> None:
    """Recognise and resolve places in text, offline (the enrich worker's own code)."""
    from newsflow.enrich.enricher import Enricher

    load_settings()
    enricher = Enricher()
    status = 0
    if jsonl:
        for line in sys.stdin:
            if line.strip():
                item = json.loads(line)
                places = enricher.places(item.get("text") or "")
                out(
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
        out(json.dumps({"id": str(path), "places": [p.model_dump() for p in places]}, ensure_ascii=False))
    raise typer.Exit(status)


def enrich(
    files: Annotated[
        list[Path] | None, typer.Argument(help="plain-text article bodies; - or none: stdin")
    ] = None,
    jsonl: Annotated[
        bool,
        typer.Option(
            "--jsonl",
            help='read article JSON lines on stdin (at least {"id","text"}; what extract --jsonl writes)',
        ),
    ] = False,
) -> None:
    """Enrich articles offline with the enrich worker's own code: places, focus, people, organisations,
    keywords, topics, language; one enriched article JSON per line, with the input's id."""
    from pydantic import ValidationError

    from newsflow.enrich.enricher import Enricher, offline_article

    load_settings()
    enricher = Enricher()
    status = 0
    if jsonl:
        for number, line in enumerate(sys.stdin, start=1):
            if not line.strip():
                continue
            try:
                item = json.loads(line)
                enriched = enricher.enrich(offline_article(item))
            except (json.JSONDecodeError, ValidationError, TypeError) as exc:
                # A bad line is reported and skipped; the others are still enriched.
                typer.echo(f"newsflow: line {number}: {str(exc).splitlines()[0]}", err=True)
                status = 2
                continue
            out(enriched.model_dump_json())
        raise typer.Exit(status)
    for path in files or [Path("-")]:
        try:
            text = (
                sys.stdin.read() if str(path) == "-" else path.read_text(encoding="utf-8", errors="replace")
            )
        except OSError as exc:
            typer.echo(f"newsflow: {path}: {exc.strerror or exc}", err=True)
            status = 2
            continue
        out(enricher.enrich(offline_article({"id": str(path), "text": text})).model_dump_json())
    raise typer.Exit(status)


def schema(
    out: Annotated[Path | None, typer.Option(help="write here instead of stdout")] = None,
    all_to: Annotated[
        Path | None,
        typer.Option("--all", help="write every JSON Schema and the AsyncAPI document into this folder"),
    ] = None,
) -> None:
    """Print the JSON Schema of the enriched article (schema version 1), or write the whole published
    contract (every payload's schema and the streams' AsyncAPI document) with --all."""
    from newsflow.contract import ASYNCAPI_FILE, asyncapi, enriched_json_schema, json_schemas

    if all_to is not None:
        all_to.mkdir(parents=True, exist_ok=True)
        documents = {**json_schemas(), ASYNCAPI_FILE: asyncapi()}
        for name, document in documents.items():
            (all_to / name).write_text(json.dumps(document, indent=2, sort_keys=True) + "\n")
        typer.echo(f"wrote {len(documents)} files to {all_to}")
        return
    text = json.dumps(enriched_json_schema(), indent=2, sort_keys=True) + "\n"
    if out:
        out.write_text(text)
    else:
        sys.stdout.write(text)
