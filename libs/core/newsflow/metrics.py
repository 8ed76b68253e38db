"""Prometheus metrics, one definition each; every process exposes what it records."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

MESSAGES = Counter(
    "newsflow_messages_total",
    "Stream entries handled, by stage and outcome (ok, skipped, retry, deferred, dead_letter).",
    ["stage", "outcome"],
)
HANDLER_SECONDS = Histogram(
    "newsflow_handler_seconds",
    "Time to handle one stream entry, by stage.",
    ["stage"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60),
)
DEAD_LETTERED = Counter(
    "newsflow_dead_lettered_total",
    "Entries sent to the dead-letter stream, by stage and reason class.",
    ["stage", "reason"],
)
FAILURES = Counter(
    "newsflow_failures_total",
    "Failed handlings (retried or dead-lettered), by stage and reason: the error behind Quarantine/Requeue.",
    ["stage", "reason"],
)
FETCH_RESPONSES = Counter(
    "newsflow_fetch_responses_total",
    "Page fetches by outcome: HTTP status code, or the error kind.",
    ["status"],
)
URLS_PUSHED = Counter("newsflow_urls_pushed_total", "URLs accepted by the API.")
SOURCE_POLLS = Counter(
    "newsflow_source_polls_total",
    "Polls of feeds and sitemaps by the discover stage: ok, not_modified (304), failed, disabled.",
    ["outcome"],
)
DISCOVERED_URLS = Counter("newsflow_discovered_urls_total", "New article URLs the discover stage pushed.")
SOURCES = Gauge(
    "newsflow_sources",
    "Feeds and sitemaps the discover stage follows, by state: followed, ok, failing, disabled, due (now).",
    ["state"],
)
SEARCHES = Counter(
    "newsflow_searches_total",
    "Searches the API ran, by outcome (ok, or timeout: stopped at NEWSFLOW_SEARCH_TIMEOUT_S).",
    ["outcome"],
)
SEARCH_SECONDS = Histogram(
    "newsflow_search_seconds",
    "Time the store took to answer an API search, facets included.",
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)

# Gauges of the shared state, set from Redis and the store when /metrics is scraped.
STREAM_LENGTH = Gauge("newsflow_stream_length", "Entries in a stream.", ["stream"])
STREAM_PENDING = Gauge(
    "newsflow_stream_pending", "Entries delivered but not acknowledged.", ["stream", "group"]
)
STREAM_LAG = Gauge("newsflow_stream_lag", "Entries not yet delivered to a group.", ["stream", "group"])
DEAD_LETTERS = Gauge("newsflow_dead_letters", "Entries in the dead-letter stream.")
DEAD_LETTERS_TRIMMED = Counter(
    "newsflow_dead_letters_trimmed_total",
    "Dead letters removed for their age (NEWSFLOW_DLQ_MAX_AGE_S) or number (NEWSFLOW_DLQ_MAX_LEN).",
    ["why"],
)
STORE_ARTICLES = Gauge("newsflow_store_articles", "Articles in the search store.")


def failure_reason(exc: BaseException) -> str:
    """A label of bounded cardinality: the class of the underlying error (FetchError, ValidationError...)."""
    return type(exc.__cause__ or exc).__name__
