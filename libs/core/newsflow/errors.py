"""How a handler says what became of an entry besides "done". Anything else raised counts as Requeue."""

from __future__ import annotations


class Quarantine(Exception):
    """Permanent failure: retrying cannot help (malformed entry, 404, not HTML). Dead-letter now."""


class Overran(Quarantine):
    """The handling outlived its time budget. What it started runs on in a thread that nothing can stop
    (a model's call): the entry is dead-lettered, then the worker exits for its supervisor (`newsflow
    up`, compose's restart policy) to start a fresh one, as a hard time limit does in Celery."""


class Requeue(Exception):
    """Transient failure (timeout, 503, Redis hiccup): the entry stays pending and is retried later.

    The retry waits an exponential backoff with jitter (newsflow.retry), or `retry_after_s` when the
    cause asked for longer (an HTTP Retry-After).
    """

    def __init__(self, reason: str, *, retry_after_s: float | None = None):
        super().__init__(reason)
        self.retry_after_s = retry_after_s


class Defer(Requeue):
    """Not attempted: the work must wait (a host asked for a pause). Retried later without counting
    as a delivery, so politeness never dead-letters an entry."""


class Skip(Exception):
    """Nothing to do (the URL was ingested recently): acknowledge without output, say why in the trace."""


def is_poison(exc: BaseException) -> bool:
    """Failures that the same entry would meet again on every delivery: dead-letter at once. Besides
    Quarantine, what input alone causes deep inside a library (JSON nested thousands deep, text no
    encoding can write, a URL the HTTP client refuses)."""
    return isinstance(exc, Quarantine | RecursionError | UnicodeError) or type(exc).__name__ == "InvalidURL"


class NoStackError(RuntimeError):
    """No Redis URL configured and no running `newsflow up` found."""


def one_line(exc: BaseException) -> str:
    """An error as one line for a person: pydantic's validation errors as "field: message; ...",
    without the input echoed back or the documentation link."""
    errors = getattr(exc, "errors", None)
    if callable(errors):
        try:
            items = errors(include_url=False, include_input=False)
        except TypeError:
            items = None
        if items:
            return "; ".join(
                f"{'.'.join(str(p) for p in e.get('loc', ()) if p != '__root__') or 'input'}: "
                f"{str(e.get('msg', '')).removeprefix('Value error, ')}"
                for e in items
            )
    return " ".join(str(exc).split()) or type(exc).__name__
