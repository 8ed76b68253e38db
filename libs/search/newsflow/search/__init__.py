"""The search store: one contract (`store`), one query model (`query`), two stores (`sqlite`, `postgres`).

The index worker writes through it; the API, the CLI and the demo read through it.
"""
