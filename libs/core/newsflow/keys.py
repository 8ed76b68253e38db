"""Every Redis key newsflow writes besides the streams, in one place. All begin with `newsflow:`.

Keys that belong to one entry of a stream name the stream and the group, so two deployments that share
a Redis with other stream names (the tests do) never see each other's state.
"""

from __future__ import annotations

PREFIX = "newsflow"


def heartbeat(stage: str, consumer: str) -> str:
    """A live worker refreshes this key; it expires shortly after the worker is gone."""
    return f"{PREFIX}:worker:{stage}:{consumer}"


HEARTBEAT_PATTERN = f"{PREFIX}:worker:*"


def stage_of_heartbeat(key: str) -> str:
    return key.split(":")[2]


def consumer_of_heartbeat(key: str) -> str:
    return key.split(":", 3)[3]


def attempt(stream: str, group: str, entry_id: str) -> str:
    """When a retried entry was first attempted (for its dead letter); gone once the entry is done."""
    return f"{PREFIX}:attempt:{stream}:{group}:{entry_id}"


def due(stream: str, group: str, entry_id: str) -> str:
    """Lives until a deferred entry is due again, when its delay is longer than the claim idle time."""
    return f"{PREFIX}:due:{stream}:{group}:{entry_id}"


def trace(article_id: str) -> str:
    """The steps of one article through the stages (newsflow.trace)."""
    return f"{PREFIX}:trace:{article_id}"


def rate(stage: str, outcome: str, bucket: int) -> str:
    """Entries a stage handled with an outcome in one 10-second bucket (newsflow.rates)."""
    return f"{PREFIX}:rate:{stage}:{outcome}:{bucket}"


def ingested(articles_stream: str, article_id: str) -> str:
    """An article ingested recently: later pushes of its URL are skipped (newsflow.ingest.dedup)."""
    return f"{PREFIX}:ingested:{articles_stream}:{article_id}"


def simhash_band(articles_stream: str, band: int, value: str) -> str:
    """Articles whose body fingerprint has this value in this band: near-duplicate candidates."""
    return f"{PREFIX}:simhash:{articles_stream}:{band}:{value}"


def sources(urls_stream: str) -> str:
    """The discover stage's sources, id -> JSON (newsflow.discover.sources)."""
    return f"{PREFIX}:sources:{urls_stream}"


def sources_due(urls_stream: str) -> str:
    """Source ids scored by their next poll time; a disabled source is absent."""
    return f"{PREFIX}:sources:due:{urls_stream}"


def source_lease(urls_stream: str, source_id: str) -> str:
    """Held by the discover replica polling the source."""
    return f"{PREFIX}:sources:lease:{urls_stream}:{source_id}"


def discovered(urls_stream: str, article_id: str) -> str:
    """An article URL a source listed recently: no source pushes it again within the dedup window."""
    return f"{PREFIX}:discovered:{urls_stream}:{article_id}"


def discovered_title(urls_stream: str, source_id: str, digest: str) -> str:
    """A title one source listed recently: the same story under a new URL is not pushed again."""
    return f"{PREFIX}:discovered-title:{urls_stream}:{source_id}:{digest}"
