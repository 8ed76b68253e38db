"""The `newsflow` command: every command is in `app`; `newsflow up` supervises the stack (`stack`)."""

from __future__ import annotations

import os
import sys


def describe(exc: BaseException) -> str:
    """A failure as one line for the person at the terminal."""
    from pydantic import ValidationError
    from redis.exceptions import ConnectionError as RedisConnectionError
    from redis.exceptions import TimeoutError as RedisTimeoutError

    from newsflow.errors import one_line

    if isinstance(exc, ValidationError) and exc.title == "Settings":
        return "invalid setting: " + "; ".join(
            f"NEWSFLOW_{'_'.join(str(p) for p in e['loc']).upper()}: {e['msg']}"
            for e in exc.errors(include_url=False, include_input=False)
        )
    if isinstance(exc, RedisConnectionError | RedisTimeoutError):
        return f"cannot reach Redis ({one_line(exc)}); is the stack up, or NEWSFLOW_REDIS_URL right?"
    if isinstance(exc, OSError) and exc.filename:
        return f"{exc.strerror or one_line(exc)}: {exc.filename}"
    return f"{type(exc).__name__}: {one_line(exc)}"


def main() -> None:
    """Every error ends the command with one line on stderr and exit 1; `--debug` (or NEWSFLOW_DEBUG=1)
    shows the traceback instead."""
    debug = "--debug" in sys.argv[1:] or os.environ.get("NEWSFLOW_DEBUG", "") not in ("", "0")
    if "--debug" in sys.argv[1:]:
        sys.argv.remove("--debug")
    from newsflow.cli.app import app

    try:
        app()
    except KeyboardInterrupt:
        sys.exit(130)
    except Exception as exc:
        if debug:
            raise
        sys.stderr.write(f"newsflow: {describe(exc)}\n")
        sys.exit(1)
