"""Enrich stage: news.articles -> places, focus, people, organisations, keywords, topics -> news.enriched."""
