"""Every setting newsflow reads, from the environment (``NEWSFLOW_*``). The README lists them."""

from __future__ import annotations

import ipaddress
import os
from functools import lru_cache
from pathlib import Path

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


def _default_data_dir() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "newsflow"


def default_enrich_processes() -> int:
    """Half the machine's cores (at most 4): the other half fetches, extracts, indexes and serves."""
    return max(1, min(4, (os.cpu_count() or 1) // 2))


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="NEWSFLOW_", extra="ignore")

    # Where things are. Unset redis_url: `newsflow up` starts its own redis-server and the other
    # commands find it through the stack file in data_dir (see newsflow.stack).
    redis_url: str | None = None
    store_url: str | None = Field(default=None, description="default: sqlite:///<data_dir>/newsflow.db")
    # PostgreSQL's text index. "gin" is core PostgreSQL: cheap to write, ranks by reading every match.
    # "rum" (the RUM extension) ranks from the index, so searches are faster, but each article written
    # costs ~3 ms and ~0.6 MB of WAL (doc/choices.md). Every process of a deployment must agree: the
    # store builds its index, and drops the other, on start.
    pg_text_index: str = Field(default="gin", pattern="^(rum|gin)$")
    # A search still running after this many seconds is stopped: the API answers 504 and the CLI exits 1.
    # Some queries cost in proportion to the archive (a phrase of two common words on GIN rechecks
    # every article holding both), and one of them must not hold a connection and a core for minutes.
    # 0: no limit.
    search_timeout_s: float = Field(default=10.0, ge=0)
    data_dir: Path = Field(default_factory=_default_data_dir)
    redis_server_bin: str | None = Field(
        default=None, description="redis-server binary for the embedded Redis; default: the newest found"
    )
    embedded_redis_port: int = Field(
        default=0,
        ge=0,
        le=65535,
        description="the port of the Redis that `newsflow up` starts when no NEWSFLOW_REDIS_URL is given;"
        " 0: a free port at each start. Pin it for consumers that cannot read stack.json",
    )

    # HTTP API.
    api_host: str = "127.0.0.1"
    api_port: int = 8000
    api_token: SecretStr | None = None
    api_max_body_bytes: int = Field(default=1_048_576, description="largest request body the API reads")

    # Fetching.
    fetch_allow_private: bool = False
    # Comma-separated addresses or CIDR blocks fetched even though they are private (an intranet server).
    fetch_allowed_networks: str = ""
    fetch_connect_timeout: float = 5.0
    fetch_read_timeout: float = 10.0
    fetch_total_timeout: float = 20.0
    fetch_max_bytes: int = 5_000_000
    fetch_max_redirects: int = 5
    user_agent: str = "newsflow/0.1 (+https://github.com/newsflow/newsflow)"
    # Politeness, per worker process: robots.txt, requests to one host spaced and capped.
    fetch_respect_robots: bool = True
    fetch_host_interval_s: float = 1.0
    fetch_host_concurrency: int = 2
    # A host that asks for a longer wait (Retry-After, Crawl-delay) gets its URLs retried later instead.
    fetch_max_host_wait_s: float = 20.0
    # A URL ingested within this window is not fetched again unless pushed with force; bodies are
    # compared with those of this window to mark near-duplicate (syndicated) copies. 0 turns both off.
    dedup_window_s: int = 7 * 86_400

    # The stages that run (newsflow.pipeline); another declaration adds a stage of a deployment's own.
    pipeline: str = "newsflow.pipeline:PIPELINE"

    # Streams and delivery.
    stream_urls: str = "news.urls"
    stream_articles: str = "news.articles"
    stream_enriched: str = "news.enriched"
    stream_dlq: str = "news.dlq"
    # Trimming never drops an entry some group has not acknowledged; beyond that, entries are kept this
    # long for consumers that read without a group (XREAD) or join later.
    stream_retention_s: int = 86_400
    # Dead letters are kept for replay, but not forever: older than this, or beyond this many, they go.
    dlq_max_age_s: int = Field(default=30 * 86_400, ge=0, description="0 keeps them at any age")
    dlq_max_len: int = Field(default=100_000, ge=0, description="0 keeps any number")
    # Backpressure: above this many unread news.urls entries, POST /v1/urls answers 429 and push waits.
    urls_max_lag: int = 50_000
    max_deliveries: int = 3
    # Must exceed the slowest handler (fetch total timeout included), or live work gets stolen.
    claim_idle_ms: int = 60_000
    # A transient failure is retried after an exponential backoff with jitter: about base, 2 x base,
    # 4 x base ... seconds, at most max (a Retry-After asking for longer is obeyed up to max).
    retry_base_s: float = 30.0
    retry_max_s: float = 3_600.0
    batch_size: int = 10
    index_batch_size: int = Field(default=1000, description="entries the index worker writes per transaction")
    graceful_timeout: float = 15.0
    consumer_name: str | None = None
    # Enrich is the pipeline's CPU-bound stage (spaCy on every English body): `newsflow up` runs this many
    # enrich processes, one consumer each in the same group. Default: half the cores, at most 4.
    enrich_processes: int = Field(default_factory=lambda: default_enrich_processes(), ge=1, le=64)
    # What enrich reads of a body (and of its captions): a 1.2 MB page extracts to a million characters,
    # which took the worker to 6 GB. The article keeps its whole text; tags come from this much of it.
    enrich_max_chars: int = Field(default=100_000, ge=1_000)
    # Seconds one article's enrichment may take (0: no budget). Past it the entry is dead-lettered and the
    # worker exits, to be restarted: the model's call cannot be interrupted. The text limit above keeps
    # a healthy article near 3 s at worst on one core.
    enrich_budget_s: float = Field(default=60.0, ge=0)
    # How often a worker re-creates missing groups, trims its input stream and removes dead consumers.
    maintenance_interval_s: float = 60.0
    # A consumer idle this long with nothing pending belongs to a worker that is gone: it is removed.
    consumer_max_idle_s: int = 3_600

    # Observability. The trace of each article (`newsflow trace`) is kept this long after its last step.
    trace_ttl_s: int = 3 * 86_400
    log_level: str = Field(default="info", pattern="(?i)^(debug|info|warning|error|critical)$")
    # The webhook sink, an optional stage (NEWSFLOW_PIPELINE=newsflow.pipeline:WITH_WEBHOOK).
    webhook_urls: str = Field(
        default="", description="comma-separated http(s) URLs each enriched article is POSTed to"
    )
    webhook_secret: SecretStr | None = Field(
        default=None, description="key of the HMAC-SHA256 signature of each request (X-Newsflow-Signature)"
    )
    webhook_timeout_s: float = Field(default=10.0, gt=0, description="a receiver's time to answer")
    webhook_allow_private: bool = Field(
        default=False,
        description="POST to private and loopback addresses too (the fetcher's SSRF rules otherwise)",
    )
    webhook_allowed_networks: str = Field(
        default="", description="comma-separated addresses or CIDR blocks allowed although private"
    )
    # The discover stage: feeds and sitemaps polled for new article URLs (services/discover).
    discover_interval_s: float = Field(
        default=900.0, gt=0, description="a new source's first interval between polls"
    )
    discover_min_interval_s: float = Field(
        default=120.0, gt=0, description="the shortest interval a busy source's polls adapt to"
    )
    discover_max_interval_s: float = Field(
        default=86_400.0, gt=0, description="the longest interval a quiet or failing source's polls adapt to"
    )
    discover_max_failures: int = Field(
        default=5, ge=1, description="consecutive failed polls after which a source is disabled"
    )
    discover_max_age_s: int = Field(
        default=3 * 86_400, ge=0, description="items dated older than this are not pushed (0: any age)"
    )
    discover_max_children: int = Field(
        default=20, ge=1, description="child sitemaps of an index read per poll, the newest first"
    )
    discover_lease_s: int = Field(
        default=300, ge=10, description="a replica polls a source under a lease this long: no double polls"
    )
    log_format: str = Field(default="json", pattern="^(json|console)$")
    metrics_port: int = Field(default=0, description="worker metrics HTTP port; 0 turns it off")

    @field_validator(
        "api_token",
        "redis_url",
        "store_url",
        "redis_server_bin",
        "consumer_name",
        "webhook_secret",
        mode="before",
    )
    @classmethod
    def _empty_is_unset(cls, value: object) -> object:
        # `NEWSFLOW_API_TOKEN=` in an env file means "no token", not "the empty token".
        return None if value == "" else value

    @field_validator("fetch_allowed_networks", "webhook_allowed_networks")
    @classmethod
    def _networks_parse(cls, value: str) -> str:
        for part in value.split(","):
            if part.strip():
                ipaddress.ip_network(part.strip(), strict=False)  # ValueError names the bad one
        return value

    @property
    def effective_store_url(self) -> str:
        return self.store_url or f"sqlite:///{self.data_dir / 'newsflow.db'}"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
