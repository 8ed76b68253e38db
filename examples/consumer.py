"""A downstream consumer of news.enriched, written as a team outside newsflow would: redis-py and
jsonschema only, no newsflow import. It follows doc/consumers.md:

- finds the stream (--redis-url, else $REDIS_URL, else a local `newsflow up`'s stack.json);
- reads through its own consumer group, first what it was given before a crash and did not acknowledge,
  then new entries;
- skips entries that are not enriched articles of schema version 1, and those its schema rejects;
- de-duplicates by article id against what it already wrote, so a crash between writing and XACK
  duplicates nothing;
- acknowledges an entry only once its line is on disk.

    pip install redis jsonschema
    python examples/consumer.py --group my-team --out articles.jsonl
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import redis
from jsonschema import Draft202012Validator

SCHEMA_NAME = "enriched-article/1"
SCHEMA_FILE = Path(__file__).resolve().parent.parent / "schema" / "enriched-article.v1.json"


def local_redis_url() -> str:
    """The Redis URL of a local `newsflow up` (its password included), from its stack.json."""
    data_dir = os.environ.get("NEWSFLOW_DATA_DIR") or Path.home() / ".local" / "share" / "newsflow"
    return json.loads((Path(data_dir) / "stack.json").read_text())["redis_url"]


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--redis-url", default=os.environ.get("REDIS_URL"))
    parser.add_argument("--stream", default="news.enriched")
    parser.add_argument("--group", required=True)
    parser.add_argument("--consumer", default="consumer-1", help="keep it across restarts")
    parser.add_argument("--schema", type=Path, default=SCHEMA_FILE)
    parser.add_argument("--out", type=Path, required=True, help="JSON lines: one per article")
    parser.add_argument("--idle-exit", type=float, default=0, help="exit after this many idle seconds")
    parser.add_argument("--delay", type=float, default=0, help="seconds of work per article")
    args = parser.parse_args()

    r = redis.Redis.from_url(args.redis_url or local_redis_url(), decode_responses=True)
    validator = Draft202012Validator(
        json.loads(args.schema.read_text()), format_checker=Draft202012Validator.FORMAT_CHECKER
    )
    try:
        r.xgroup_create(args.stream, args.group, id="0", mkstream=True)
    except redis.ResponseError as exc:
        if "BUSYGROUP" not in str(exc):
            raise

    seen = set()
    if args.out.exists():
        seen = {json.loads(line)["id"] for line in args.out.read_text().splitlines() if line.strip()}
    out = args.out.open("a")

    # "0": this consumer's own pending entries, from a run that died before acknowledging them; once
    # none is left, ">": entries never delivered to the group.
    cursor = "0"
    idle_since = time.monotonic()
    while True:
        reply = r.xreadgroup(args.group, args.consumer, {args.stream: cursor}, count=50, block=1000)
        entries = reply[0][1] if reply else []
        if cursor != ">" and not entries:
            cursor = ">"
            continue
        if not entries:
            if args.idle_exit and time.monotonic() - idle_since > args.idle_exit:
                return 0
            continue
        idle_since = time.monotonic()
        for entry_id, fields in entries:
            if cursor != ">":
                cursor = entry_id
            handle(r, args, validator, seen, out, entry_id, fields)


def handle(r, args, validator, seen, out, entry_id, fields) -> None:
    if fields.get("schema") != SCHEMA_NAME:
        print(f"skipped {entry_id}: schema {fields.get('schema')!r}", file=sys.stderr)
    else:
        try:
            article = json.loads(fields.get("json", ""))
            errors = [e.message for e in validator.iter_errors(article)]
        except ValueError as exc:
            article, errors = None, [str(exc)]
        if errors:
            print(f"skipped {entry_id}: invalid: {errors[0][:200]}", file=sys.stderr)
        elif article["id"] not in seen:
            time.sleep(args.delay)
            out.write(
                json.dumps({"id": article["id"], "entry": entry_id, "title": article.get("title")}) + "\n"
            )
            out.flush()
            os.fsync(out.fileno())
            seen.add(article["id"])
    r.xack(args.stream, args.group, entry_id)


if __name__ == "__main__":
    sys.exit(main())
