"""Text normalisation shared by the stages."""

from __future__ import annotations

import re
import unicodedata


def fold(name: str) -> str:
    """A comparison key for names: lower case, accents off, curly apostrophes straight, spaces single."""
    if name.isascii():  # most names: no accents or curly quotes to undo (several times faster)
        return " ".join(name.split()).lower()
    name = unicodedata.normalize("NFKD", name)
    name = "".join(ch for ch in name if not unicodedata.combining(ch))
    name = name.replace("\u2019", "'").replace("\u2010", "-").replace("\u2013", "-")
    return re.sub(r"\s+", " ", name).strip().lower()


def key(text: str) -> str:
    """fold() with letters and digits only: names and titles compared past spacing, punctuation,
    quotes and dashes ("STERN.de" and "stern de", "Golem.de" and "golem de")."""
    return "".join(ch for ch in fold(text) if ch.isalnum())
