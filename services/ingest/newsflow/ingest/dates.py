"""The publication time as the page declares it: the instant, the page's own offset, and whether the
page gives a time at all.

Pages state one publication time in several places and in several ways: JSON-LD `datePublished`,
`article:published_time`, `<meta name="date">`, `<time datetime>`; in UTC ("2023-11-09T01:49:09Z"),
with the newsroom's offset ("2023-11-08T21:11:03-05:00"), as a naive local time ("2023-04-28
18:11:01.0", n-tv), with a zone name ("Fri Apr 28 19:20:36 CEST 2023", FAZ), or as a day. So:

1. the first declared value (in the order of `metadata.read_metadata`) is the anchor, unless declared
   values disagree and a later one has the day that htmldate reads on the page (a republished
   story declares its old and its new date);
2. a later value that agrees with it (the same day, or the same wall-clock time) but says more (a time
   where the anchor has only a day; an offset where it has none) refines it;
3. a naive time gets its offset from a value on the page that has the same wall-clock time with one,
   else from the site's country when all of that country's zones agree (a German site: Berlin time),
   else it is taken as UTC;
4. the page's local offset is kept from any value of the same instant written with one (a UTC meta tag
   beside `<time datetime="…-05:00">`, or beside a naive local time some hours off), else from the
   site's country as in 3, because the publication day is the publisher's local day;
5. placeholders ("0001-01-01", years before 1995 or after next year) are no date;
6. a time the page shows beside its headline outranks declared values that are bare days of another
   day: a newspaper declares the day of its print edition ("2020-04-30") and shows when the story went
   online ("29.04.2020, 12:01 Uhr"). A shown bare day does not: a post's footer shows the day it was
   last edited as often as the day it was published. A shown time whose offset nothing on the page
   or in the site's country gives stays a day (unlike a declared naive time, taken as UTC).

Measured with bench/metadata.py (publication day and time within 60 s; doc/choices.md).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from email.utils import parsedate_to_datetime
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import pytz  # its country -> zones table; zoneinfo has none

_HAS_TIME = re.compile(r"\d{1,2}:\d{2}")
_ISO_DAY = re.compile(r"^\s*(\d{4})-(\d{2})-(\d{2})\s*$")
EARLIEST_YEAR = 1995
SAME_INSTANT = timedelta(seconds=60)
# Country-code domains that are not used for their country.
GENERIC_CCTLDS = {"io", "co", "tv", "me", "fm", "ai", "ly", "cc", "ws", "to", "am", "gg", "is"}


@dataclass(frozen=True)
class Stamp:
    """One declared value, parsed: a moment (naive when the page gave no offset) or a bare day."""

    value: datetime
    has_time: bool
    has_offset: bool

    @property
    def wall(self) -> datetime:
        return self.value.replace(tzinfo=None)


@dataclass(frozen=True)
class Published:
    at: datetime  # aware
    time_known: bool

    @property
    def utc(self) -> datetime:
        return self.at.astimezone(UTC)

    @property
    def local(self) -> str:
        """ISO 8601 with the page's own offset, or the bare day when the page gives no time."""
        if not self.time_known:
            return self.at.date().isoformat()
        return self.at.isoformat().replace("+00:00", "Z")


def parse_stamp(value: str | None) -> Stamp | None:
    """A declared date string, parsed; None for what is not one or is a placeholder."""
    if not value or not value.strip():
        return None
    text = value.strip()
    parsed: datetime | None = None
    if day := _ISO_DAY.match(text):
        try:
            parsed = datetime(int(day[1]), int(day[2]), int(day[3]))
        except ValueError:
            return None
        return _checked(Stamp(parsed, has_time=False, has_offset=False))
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        try:
            parsed = parsedate_to_datetime(text)  # RFC 2822, as in some <meta name="date">
        except (TypeError, ValueError, IndexError):
            parsed = None
        if parsed is not None and parsed.tzinfo is None and re.search(r"[A-Z]{3,4}\s*\d{0,4}$", text):
            parsed = None  # a zone name the e-mail parser does not know ("CEST"): dateparser does
    if parsed is None:
        import dateparser  # slow to import; only the odd formats need it

        parsed = dateparser.parse(
            text,
            languages=["en", "de", "fr", "es", "it", "pt", "nl", "ar", "ru"],
            settings={"STRICT_PARSING": True},
        )
        if parsed is None:
            return None
    has_time = bool(_HAS_TIME.search(text))
    return _checked(Stamp(parsed, has_time=has_time, has_offset=parsed.tzinfo is not None))


def _checked(stamp: Stamp) -> Stamp | None:
    year = stamp.value.year
    return stamp if EARLIEST_YEAR <= year <= datetime.now(UTC).year + 1 else None


def _country_zone(url: str | None, wall: datetime) -> tzinfo | None:
    """The offset of the site's country at that wall-clock time, when all its zones agree on it."""
    host = urlsplit(url or "").hostname or ""
    tld = host.rsplit(".", 1)[-1].lower() if "." in host else ""
    if len(tld) != 2 or tld in GENERIC_CCTLDS:
        return None
    zones = pytz.country_timezones.get("gb" if tld == "uk" else tld)
    if not zones:
        return None
    offsets = set()
    for name in zones:
        try:
            offsets.add(wall.replace(tzinfo=ZoneInfo(name)).utcoffset())
        except ZoneInfoNotFoundError:
            return None
    if len(offsets) != 1:
        return None
    return ZoneInfo(zones[0])


def _local_offset(instant: datetime, stamps: list[Stamp]) -> timezone | None:
    """An offset the page writes this instant with: a value with an offset at the same instant, or a
    naive value a whole number of quarter hours away from it (its local wall-clock time)."""
    for s in stamps:
        if not s.has_time:
            continue
        if s.has_offset and abs(s.value - instant) <= SAME_INSTANT and s.value.utcoffset():
            return timezone(s.value.utcoffset())  # type: ignore[arg-type]
    for s in stamps:
        if not s.has_time or s.has_offset:
            continue
        delta = s.wall - instant.astimezone(UTC).replace(tzinfo=None)
        minutes = round(delta.total_seconds() / 60)
        if (
            minutes
            and abs(minutes) <= 14 * 60
            and minutes % 15 == 0
            and abs(delta.total_seconds() - minutes * 60) <= 60
        ):
            return timezone(timedelta(minutes=minutes))
    return None


def _days(stamp: Stamp) -> set[str]:
    days = {stamp.wall.date().isoformat()}
    if stamp.has_offset:
        days.add(stamp.value.astimezone(UTC).date().isoformat())
    return days


def publication_time(
    declared: list[str],
    page_times: list[str],
    url: str | None,
    *,
    day_hint: str | None = None,
    shown_online: str | None = None,
    fallback: Sequence[str] = (),
) -> Published | None:
    """From the declared publication values (in order of trust) and every other time the page writes
    (`<time datetime>`, modification times): the moment, in the page's own offset. `day_hint`: the
    publication day another reading of the page gives (YYYY-MM-DD), which settles a disagreement;
    `shown_online`: the day and time shown beside the headline (rule 6); `fallback`: values less trusted
    than any declared one (that reading itself)."""
    stamps = [s for s in map(parse_stamp, declared) if s]
    online = parse_stamp(shown_online)
    if (
        online is not None
        and online.has_time
        and stamps
        and not any(s.has_time for s in stamps)
        and online.wall.date() not in {s.wall.date() for s in stamps}
    ):
        stamps.insert(0, online)
    exact = [s for s in stamps if s.has_time and s.has_offset]
    if day_hint and len({d for s in exact for d in _days(s)}) > 1:
        # Declared instants that disagree (a republished story's old and new dates): the one of the
        # day the page's text shows, by htmldate's reading of it, goes first. Only instants: a bare
        # day or a naive time may be the same moment written in another zone.
        stamps.sort(key=lambda s: not (s in exact and day_hint in _days(s)))
    # The shown time keeps its identity among the fallbacks: only it, not a declared twin, stays a day.
    stamps += [s for s in (online if v and v == shown_online else parse_stamp(v) for v in fallback) if s]
    if not stamps:
        return None
    others = [s for s in map(parse_stamp, page_times) if s]
    anchor = stamps[0]
    for s in stamps[1:]:
        same_day = s.wall.date() == anchor.wall.date()
        same_wall = s.has_time and anchor.has_time and abs(s.wall - anchor.wall) <= SAME_INSTANT
        if not anchor.has_time and s.has_time and same_day:
            anchor = s
        elif anchor.has_time and not anchor.has_offset and s.has_offset and same_wall:
            anchor = s
    if not anchor.has_time:
        # A day: a time elsewhere on the page on that day refines it only when declared as publication.
        return Published(anchor.value.replace(tzinfo=UTC), time_known=False)
    at = anchor.value
    if at.tzinfo is None:
        match = next(
            (
                s
                for s in stamps + others
                if s.has_offset and s.has_time and abs(s.wall - anchor.wall) <= SAME_INSTANT
            ),
            None,
        )
        zone = match.value.tzinfo if match else _country_zone(url, anchor.wall)
        if zone is None and anchor is online:
            # A time shown to readers with no offset anywhere: a day, rather than a guessed instant.
            return Published(anchor.value.replace(hour=0, minute=0, tzinfo=UTC), time_known=False)
        at = at.replace(tzinfo=zone or UTC)
        if zone is None:
            return Published(at, time_known=True)
    if not at.utcoffset():
        offset = _local_offset(at, stamps + others)
        if offset is not None:
            at = at.astimezone(offset)
        elif zone := _country_zone(url, at.replace(tzinfo=None)):
            at = at.astimezone(zone)
    return Published(at, time_known=True)
