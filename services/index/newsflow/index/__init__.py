"""Index stage: news.enriched -> the search store; and the store the search API and CLI read."""
