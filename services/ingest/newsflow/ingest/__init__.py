"""Ingest stage: news.urls -> fetch -> extract -> news.articles."""
