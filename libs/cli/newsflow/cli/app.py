"""The `newsflow` command: its sub-commands, each defined in the module of its kind."""

from __future__ import annotations

import typer

from newsflow.cli import offline, running, searching, sources, streams

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
sources_app = typer.Typer(
    no_args_is_help=True,
    help="Feeds and sitemaps followed: their new article URLs are pushed as they appear.",
)
app.add_typer(sources_app, name="sources")


def _version(value: bool) -> None:
    if value:
        from importlib.metadata import version

        typer.echo(f"newsflow {version('newsflow-cli')}")
        raise typer.Exit()


@app.callback()
def _options(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    """newsflow: push news URLs; get clean, geolocated, tagged articles out. Errors are one line on
    stderr with exit 1; --debug (anywhere on the line) or NEWSFLOW_DEBUG=1 shows the traceback."""


app.command()(running.up)
app.command()(running.worker)
app.command()(running.health)
app.command()(running.bootstrap)
app.command()(running.prepare)
app.command()(running.api)
app.command()(running.demo)
app.command()(streams.push)
app.command()(streams.tail)
app.command()(streams.status)
app.command()(streams.trace)
dlq_app.command("list")(streams.dlq_list)
dlq_app.command("replay")(streams.dlq_replay)
dlq_app.command("purge")(streams.dlq_purge)
app.command()(searching.search)
store_app.command("copy")(searching.store_copy)
sources_app.command("add")(sources.sources_add)
sources_app.command("list")(sources.sources_list)
sources_app.command("remove")(sources.sources_remove)
sources_app.command("import")(sources.sources_import)
app.command()(sources.discover)
app.command()(offline.extract)
app.command()(offline.geoparse)
app.command()(offline.enrich)
app.command()(offline.schema)
