"""The pipeline, declared once: each stage, the stream it reads, the stream it writes, its handler.

Everything that needs to know the stages reads this declaration: the worker runtime, `newsflow worker`,
`newsflow up`, `bootstrap`, `status`, `trace`, `push`, the compose checks and the tests. Adding a stage is
a folder under services/ holding its handler, plus one line in PIPELINE.

A deployment may run another declaration, for a stage of its own beside ours, by naming it in
NEWSFLOW_PIPELINE ("module:ATTRIBUTE"); every process of the deployment must name the same one.

Streams are named by their role ("urls", "articles", ...). The name on Redis is the setting
NEWSFLOW_STREAM_<ROLE> where there is one, else "news.<role>".
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from newsflow.settings import Settings


@dataclass(frozen=True)
class StageSpec:
    """One stage as declared: what it reads and writes, by stream role, and the class that handles it."""

    name: str
    input: str
    output: str | None
    # "module:Class", imported only by a process that runs the stage: the CLI, the API and the other
    # stages' images need none of its dependencies (spaCy for enrich).
    handler: str
    # Entries handled at once in one worker process: I/O-bound stages overlap their waits, CPU-bound
    # ones scale with processes instead.
    concurrency: int = 1
    # The handler writes whole batches (handle_batch): read up to NEWSFLOW_INDEX_BATCH_SIZE entries at once.
    batch: bool = False
    # How `newsflow trace` names the step once this stage is done with an article.
    done: str = "done"


PIPELINE: tuple[StageSpec, ...] = (
    # Fetches wait on the network, so several run at once.
    StageSpec(
        "ingest",
        "urls",
        "articles",
        "newsflow.ingest.worker:IngestHandler",
        concurrency=8,
        done="fetched and extracted",
    ),
    # CPU-bound: scale with processes, not tasks.
    StageSpec("enrich", "articles", "enriched", "newsflow.enrich.worker:EnrichHandler", done="enriched"),
    # One writer per process, a transaction per batch (SQLite serialises writes anyway).
    StageSpec("index", "enriched", None, "newsflow.index.worker:IndexHandler", batch=True, done="indexed"),
)

# The pipeline with the webhook sink: a second reader of news.enriched, in a group of its own, that POSTs
# each article to NEWSFLOW_WEBHOOK_URLS (services/webhook). NEWSFLOW_PIPELINE=newsflow.pipeline:WITH_WEBHOOK.
WITH_WEBHOOK: tuple[StageSpec, ...] = (
    *PIPELINE,
    # Receivers wait on the network, so several deliveries run at once.
    StageSpec(
        "webhook", "enriched", None, "newsflow.webhook.worker:WebhookHandler", concurrency=4, done="delivered"
    ),
)

DEFAULT_PIPELINE = "newsflow.pipeline:PIPELINE"


@dataclass(frozen=True)
class ProducerSpec:
    """A stage that reads no stream: it finds its work elsewhere and pushes onto `urls`. `newsflow up` and
    the compose file run it beside the stream stages; the stream declaration above does not hold it,
    since its first stage must read `urls`."""

    name: str
    # Its package, imported only by a process that runs it; where it is not installed, `up` runs without it.
    package: str
    command: tuple[str, ...]


# The discover stage: feeds and sitemaps polled, their new article URLs pushed (services/discover).
PRODUCERS: tuple[ProducerSpec, ...] = (ProducerSpec("discover", "newsflow.discover", ("discover",)),)


@dataclass(frozen=True)
class Stage:
    """A declared stage with its streams resolved to their names on Redis."""

    spec: StageSpec
    input: str
    output: str | None

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def group(self) -> str:
        # One consumer group per stage, named after it; downstream teams add their own groups.
        return self.spec.name


def stream_name(settings: Settings, role: str) -> str:
    return str(getattr(settings, f"stream_{role}", None) or f"news.{role}")


@lru_cache(maxsize=8)
def load_declaration(ref: str) -> tuple[StageSpec, ...]:
    module, _, attr = ref.partition(":")
    specs = getattr(importlib.import_module(module), attr or "PIPELINE")
    return validate(specs)


def validate(specs: Sequence[StageSpec]) -> tuple[StageSpec, ...]:
    """The declaration, checked: unique names, each stage's input written by an earlier stage (the first
    reads the pushed URLs), so data flows one way."""
    names = [s.name for s in specs]
    if not specs or len(set(names)) != len(names):
        raise ValueError(f"a pipeline needs stages with distinct names, got {names}")
    if specs[0].input != "urls":
        raise ValueError(f"the first stage must read 'urls', {specs[0].name} reads {specs[0].input!r}")
    written = {"urls"}
    for spec in specs:
        if spec.input not in written:
            raise ValueError(f"stage {spec.name} reads {spec.input!r}, which no earlier stage writes")
        if spec.output is not None:
            written.add(spec.output)
    return tuple(specs)


def stages(settings: Settings) -> dict[str, Stage]:
    """Every stage of the configured pipeline, in flow order, by name."""
    return {
        spec.name: Stage(
            spec,
            stream_name(settings, spec.input),
            stream_name(settings, spec.output) if spec.output else None,
        )
        for spec in load_declaration(settings.pipeline)
    }


def stage_of(settings: Settings, name: str) -> Stage:
    found = stages(settings).get(name)
    if found is None:
        raise KeyError(f"unknown stage {name!r} (the pipeline has: {', '.join(stages(settings))})")
    return found


def data_streams(settings: Settings) -> list[str]:
    """Every stream the pipeline reads or writes, in flow order (the dead-letter stream is not one)."""
    out: list[str] = []
    for stage in stages(settings).values():
        for stream in (stage.input, stage.output):
            if stream and stream not in out:
                out.append(stream)
    return out


def handler_class(stage: Stage) -> Any:
    """The stage's handler class, imported now; ModuleNotFoundError when its part is not installed."""
    module, _, attr = stage.spec.handler.partition(":")
    return getattr(importlib.import_module(module), attr)
