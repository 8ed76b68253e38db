"""The embedded store: SQLite FTS5 with BM25 and Porter stemming, WAL so the API reads while the indexer
writes, tags and places in indexed side tables. `store` holds the store, `migrations` its schema.
"""

from newsflow.search.sqlite.migrations import MIGRATIONS
from newsflow.search.sqlite.store import SqliteStore

__all__ = ["MIGRATIONS", "SqliteStore"]
