"""Human-readable output of search results and status, with rich."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.table import Table

from newsflow.search.query import SearchPage

console = Console(soft_wrap=True)


def print_results(page: SearchPage) -> None:
    console.print(f"[bold]{page.total}[/bold] article(s)")
    for a in page.results:
        when = a.published_at.date().isoformat() if a.published_at else "undated"
        focus = a.focus.name if a.focus and a.focus.name else (a.focus.country_code if a.focus else "-")
        console.print(
            f"\n[bold]{a.title or '(no title)'}[/bold]  [dim]{a.site_name or ''} {when}  id {a.id}[/dim]"
        )
        console.print(f"  [dim]{a.url}[/dim]")
        snippet = page.snippets.get(a.id) or (a.text[:200] + ("…" if len(a.text) > 200 else ""))
        console.print("  " + snippet.replace("\n", " "), markup=False, highlight=False)
        places = ", ".join(dict.fromkeys(p.resolved_name or p.name for p in a.places))
        console.print(f"  focus: {focus}   places: {places or '-'}")
        if a.organizations or a.people:
            console.print(
                f"  organisations: {', '.join(a.organizations) or '-'}   people: {', '.join(a.people) or '-'}"
            )
        if a.topics:
            console.print(f"  topics: {', '.join(a.topics)}")
    if page.facets:
        console.print()
        for facet, counts in page.facets.items():
            if counts:
                console.print(f"[bold]{facet}[/bold]: " + ", ".join(f"{k} ({n})" for k, n in counts.items()))
    if page.next_cursor:
        console.print(f"\nmore: --cursor {page.next_cursor}")


def print_status(s: dict[str, Any]) -> None:
    stages = Table(title="stages (entries handled in the last minute)", title_justify="left")
    outcomes = {
        "ok": "ok",
        "skipped": "skipped",
        "retry": "retried",
        "deferred": "deferred",
        "dead_letter": "dead-lettered",
    }
    for col in ("stage", "workers", *outcomes.values()):
        stages.add_column(col, justify="left" if col == "stage" else "right")
    for stage, counts in s["last_minute"].items():
        stages.add_row(stage, str(s["workers"].get(stage, 0)), *(str(counts.get(o, 0)) for o in outcomes))
    console.print(stages)
    streams = Table(title="streams", title_justify="left")
    for col in ("stream", "length", "group", "lag", "pending", "consumers (pending, idle)"):
        streams.add_column(col, justify="right" if col in ("length", "lag", "pending") else "left")
    for stream, info in s["streams"].items():
        groups = info["groups"] or {"-": None}
        for name, g in groups.items():
            consumers = (
                ", ".join(f"{c['name']} ({c['pending']}, {c['idle_ms'] / 1000:.0f}s)" for c in g["consumers"])
                if g
                else "-"
            )
            streams.add_row(
                stream,
                str(info["length"]),
                name,
                str(g["lag"]) if g and g["lag"] is not None else "-",
                str(g["pending"]) if g else "-",
                consumers or "-",
            )
    console.print(streams)
    letters = s["dead_letters"]
    console.print(
        f"dead letters: [{'red' if letters else 'green'}]{letters}[/]"
        + ("  (newsflow dlq list)" if letters else "")
        + f"    articles in store: {s['store']['articles']}    store: {s['store']['url']}",
        highlight=False,
    )
    if src := s.get("sources", {}).get("followed"):
        counts = s["sources"]
        console.print(
            f"sources: {src} followed, {counts['due']} due now, "
            f"[{'yellow' if counts['failing'] else 'green'}]{counts['failing']} failing[/], "
            f"[{'red' if counts['disabled'] else 'green'}]{counts['disabled']} disabled[/]"
            + ("  (newsflow sources list)" if counts["failing"] or counts["disabled"] else ""),
            highlight=False,
        )


def print_trace(t: Any) -> None:
    console.print(f"[bold]article {t.id}[/bold]  [dim]{t.url or ''}[/dim]")
    for step in t.steps:
        console.print(f"  {step['at']:<32} {step['step']:<22} [dim]{step['detail']}[/dim]", highlight=False)
    color = {"indexed": "green", "dead-lettered": "red", "unknown": "yellow"}.get(t.state, "cyan")
    console.print(f"  now: [{color}]{t.state}[/{color}]  {t.detail}", highlight=False)
