"""The two ways a handler says "this entry failed". Anything else raised counts as Requeue."""


class Quarantine(Exception):
    """Permanent failure: retrying cannot help (malformed entry, 404, not HTML). Dead-letter now."""


class Requeue(Exception):
    """Transient failure (timeout, 503, Redis hiccup): leave the entry pending so it is retried."""


class NoStackError(RuntimeError):
    """No Redis URL configured and no running `newsflow up` found."""
