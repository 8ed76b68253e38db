"""The deployment store: PostgreSQL full text (tsvector, websearch_to_tsquery), tags as a text[] with a
GIN index, and a geo filter by bounding box plus great-circle distance in plain SQL (no PostGIS). The
text index is core PostgreSQL's GIN, ranked by ts_rank_cd over every match, or, chosen by setting, RUM
(an extension), which ranks from the index by its own score.

`store` holds the store, `migrations` its schema.
"""

from newsflow.search.postgres.migrations import MIGRATIONS, TEXT_INDEXES
from newsflow.search.postgres.store import PostgresStore, StoreUnavailable

__all__ = ["MIGRATIONS", "TEXT_INDEXES", "PostgresStore", "StoreUnavailable"]
