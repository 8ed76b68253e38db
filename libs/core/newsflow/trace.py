"""Where one story is: every stage records its steps in a small per-article hash, `newsflow trace` reads it.

`newsflow:trace:<article id>` holds, for the last push of that URL:
    pushed_at, pushed_entry, url, source          written by push (CLI or API)
    <stage>_at, <stage>_entry, <stage>_output     when a stage finished it, its input and output entry ids
    <stage>_error, <stage>_error_at, <stage>_attempts   the last failure that will be retried
    <stage>_retry_at, <stage>_deferred      when it is retried next; why it was put off unattempted
    <stage>_skipped                         why it was acknowledged without output (ingested recently)
    dead_at, dead_stage, dead_reason, dead_attempts      when it was dead-lettered
The hash expires NEWSFLOW_TRACE_TTL_S after its last step (about 0.5 KB per article).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from redis.asyncio import Redis
from redis.asyncio.client import Pipeline

from newsflow import keys
from newsflow.pipeline import Stage, stages
from newsflow.settings import Settings
from newsflow.urls import InvalidUrl, id_for_url

_ID = re.compile(r"^[0-9a-f]{20}$")


def record(pipe: Pipeline, settings: Settings, article_id: str | None, fields: dict[str, str | int]) -> None:
    """Queue the trace update on a pipeline (or MULTI) the caller executes; nothing without an id or TTL."""
    if not article_id or settings.trace_ttl_s <= 0:
        return
    key = keys.trace(article_id)
    pipe.hset(key, mapping={k: str(v) for k, v in fields.items()})
    pipe.expire(key, settings.trace_ttl_s)


def resolve(ref: str) -> tuple[str, str | None]:
    """(article id, URL) for what a user typed: an article id, or a URL in any spelling."""
    ref = ref.strip()
    if _ID.match(ref):
        return ref, None
    try:
        return id_for_url(ref)[0], ref
    except InvalidUrl as exc:
        raise ValueError(f"neither an article id nor a valid URL: {exc}") from exc


@dataclass
class Trace:
    id: str
    url: str | None
    steps: list[dict[str, str]] = field(default_factory=list)
    state: str = "unknown"
    detail: str = ""
    title: str | None = None

    def as_json(self) -> dict[str, Any]:
        return self.__dict__.copy()


def _s(v: Any) -> str:
    return v.decode() if isinstance(v, bytes) else str(v)


async def _where_waiting(redis: Redis, st: Stage, entry_id: str) -> tuple[str, str]:
    """The state of an entry on a stage's input: pending (with its deliveries) or queued."""
    stage = st.name
    rows = await redis.xpending_range(st.input, st.group, min=entry_id, max=entry_id, count=1)
    if rows:
        row = rows[0]
        return (
            f"{stage}: in progress",
            f"delivered {row['times_delivered']} time(s) to {_s(row['consumer'])}, "
            f"idle {row['time_since_delivered'] / 1000:.1f} s",
        )
    if not await redis.xrange(st.input, min=entry_id, max=entry_id):
        return f"{stage}: unknown", f"entry {entry_id} is no longer on {st.input}"
    return f"{stage}: queued", f"waiting on {st.input} for the {st.group} group"


def _next_holder(pipeline: dict[str, Stage], raw: dict[str, str]) -> tuple[Stage, str] | None:
    """The first stage, in flow order, not done with the article although its input is there: the pushed
    entry for the first stage, else what the stage writing its input published."""
    producers = {st.output: name for name, st in pipeline.items() if st.output}
    first = next(iter(pipeline.values()))
    for name, st in pipeline.items():
        if f"{name}_at" in raw:
            continue
        if st.input == first.input:
            return st, raw.get("pushed_entry", "0-0")
        producer = producers.get(st.input)
        if producer and f"{producer}_at" in raw:
            return st, raw.get(f"{producer}_output", "0-0")
    return None


async def read_trace(redis: Redis, settings: Settings, ref: str, store: Any | None = None) -> Trace:
    article_id, url = resolve(ref)
    raw = {_s(k): _s(v) for k, v in (await redis.hgetall(keys.trace(article_id))).items()}
    trace = Trace(id=article_id, url=raw.get("url") or url)
    if "pushed_at" in raw:
        trace.steps.append(
            {
                "step": "pushed",
                "at": raw["pushed_at"],
                "detail": f"{settings.stream_urls} {raw.get('pushed_entry', '?')} (source {raw.get('source', '?')})",
            }
        )
    pipeline = stages(settings)
    for stage, st in pipeline.items():
        if f"{stage}_error_at" in raw:
            trace.steps.append(
                {
                    "step": f"{stage} failed",
                    "at": raw[f"{stage}_error_at"],
                    "detail": f"attempt {raw.get(f'{stage}_attempts', '?')}: {raw[f'{stage}_error']}",
                }
            )
        if f"{stage}_at" in raw:
            out = raw.get(f"{stage}_output")
            detail = f"from {st.input} {raw.get(f'{stage}_entry', '?')}" + (
                f" to {st.output} {out}" if out else ""
            )
            step = st.spec.done
            if f"{stage}_skipped" in raw:
                step, detail = "skipped", raw[f"{stage}_skipped"]
            trace.steps.append({"step": step, "at": raw[f"{stage}_at"], "detail": detail})
    if "dead_at" in raw:
        trace.steps.append(
            {
                "step": "dead-lettered",
                "at": raw["dead_at"],
                "detail": f"{raw.get('dead_stage')}: {raw.get('dead_reason')} "
                f"(attempts {raw.get('dead_attempts')})",
            }
        )
    trace.steps.sort(key=lambda s: s["at"])

    article = store.get(article_id) if store is not None else None
    if article is not None:
        trace.title = article.title
    last = trace.steps[-1]["step"] if trace.steps else None
    if last == "dead-lettered":
        trace.state, trace.detail = (
            "dead-lettered",
            trace.steps[-1]["detail"] + "; `newsflow dlq list` to replay",
        )
    elif article is not None:
        trace.state, trace.detail = "indexed", f"in the store: {article.title or '(no title)'}"
    elif last == "skipped":
        trace.state, trace.detail = "skipped", trace.steps[-1]["detail"]
    elif not raw:
        trace.state = "unknown"
        trace.detail = "no trace: never pushed, pushed before tracing, or older than NEWSFLOW_TRACE_TTL_S"
    else:
        waiting = _next_holder(pipeline, raw)
        if waiting is not None:
            trace.state, trace.detail = await _where_waiting(redis, *waiting)
        else:
            trace.state, trace.detail = (
                "indexed",
                "indexed, but not in this store (another NEWSFLOW_STORE_URL?)",
            )
        holder = trace.state.split(":")[0]
        if f"{holder}_error" in raw:
            trace.detail += f"; last error: {raw[holder + '_error']}"
        if f"{holder}_deferred" in raw:
            trace.detail += f"; deferred: {raw[holder + '_deferred']}"
        if f"{holder}_retry_at" in raw and "in progress" in trace.state:
            trace.detail += f"; next attempt at {raw[holder + '_retry_at']}"
    return trace
