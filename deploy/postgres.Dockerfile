# PostgreSQL 16 with the RUM extension, newsflow's text index: it ranks a search's matches from the index
# instead of reading every match (NEWSFLOW_PG_TEXT_INDEX=rum; deploy/compose.rum.yaml uses this file).
# Debian, not Alpine: the PostgreSQL project's apt repository, which the official image carries, packages RUM.
FROM postgres:16-bookworm
RUN apt-get update \
    && apt-get install -y --no-install-recommends "postgresql-${PG_MAJOR}-rum" \
    && rm -rf /var/lib/apt/lists/*
