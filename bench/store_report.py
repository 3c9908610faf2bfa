"""The tables of bench/bench_store.py: Markdown, ratios to the Oxigraph server in the same
storage mode, and issue 8's targets met or missed."""

from __future__ import annotations

import argparse
import statistics
from typing import TYPE_CHECKING

from timing import percentile

if TYPE_CHECKING:
    from bench_store import System

MB = 1024 * 1024


def reference(system: System, systems: list[System]) -> System | None:
    """The Oxigraph server a system is compared with: the one in its storage mode."""
    from bench_store import OX_DISK, OX_MEMORY

    wanted = OX_MEMORY if system.mode == "memory" else OX_DISK
    return next((s for s in systems if s.name == wanted and s is not system), None)


def label(system: System) -> str:
    return f"{system.name.strip()} ({system.mode})"


def median_ms(system: System, query: str) -> float | None:
    times = system.queries.get(query)
    return statistics.median(times) * 1000 if times else None


def ratio(value: float | None, base: float | None) -> str:
    return f"{value / base:.2f}×" if value is not None and base else "–"


def figure(value: float | None, digits: int = 2) -> str:
    return "–" if value is None else f"{value:,.{digits}f}"


def table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def start_table(systems: list[System]) -> str:
    rows = []
    for s in systems:
        ref = reference(s, systems)
        rows.append(
            [
                label(s),
                figure(s.build, 1),
                figure(s.start, 2),
                figure(s.ready, 2),
                ratio(s.ready, ref.ready if ref else None),
                figure(s.rss_ready / MB if s.rss_ready else None, 0),
                ratio(s.rss_ready or None, ref.rss_ready if ref else None),
                figure(s.rss_peak / MB if s.rss_peak else None, 0),
            ]
        )
    return table(
        [
            "system",
            "build/load s",
            "start s",
            "ready s",
            "ready ×Ox",
            "RSS after start MB",
            "RSS ×Ox",
            "RSS peak MB",
        ],
        rows,
    )


def query_table(systems: list[System], queries: list[str]) -> str:
    baseline = next((s for s in systems if s.queries), None)
    rows = []
    for s in systems:
        ref = reference(s, systems)
        cells = [label(s)]
        for query in queries:
            times = s.queries.get(query)
            if not times:
                cells.append("not run")
                continue
            med = statistics.median(times) * 1000
            cell = f"{med:,.2f} / {percentile(times, 95) * 1000:,.2f}"
            if ref is not None:
                cell += f" ({ratio(med, median_ms(ref, query))})"
            if len(times) < len(baseline.queries[query]):
                cell += f" n={len(times)}"
            if baseline is not s and s.answers.get(query) != baseline.answers.get(query):
                cell += " **answer differs**"
            cells.append(cell)
        rows.append(cells)
    return table(["system", *queries], rows)


def deref_table(systems: list[System]) -> str:
    rows = []
    for s in systems:
        for fmt, f in s.deref.items():
            rows.append(
                [
                    label(s),
                    fmt,
                    figure(f["median"] * 1000),
                    figure(f["p95"] * 1000),
                    figure(f.get("rps8"), 0),
                    figure(f.get("rps32"), 0),
                    figure(f["past median"] * 1000 if "past median" in f else None),
                    figure(f.get("past rps8"), 0),
                    f"{f['bytes']:,}",
                    f"{f.get('non2xx', 0):.0f}",
                ]
            )
    return table(
        [
            "system",
            "request",
            "1 client median ms",
            "p95 ms",
            "8 clients req/s",
            "32 clients req/s",
            "past the cache: median ms",
            "past the cache: 8 clients req/s",
            "bytes",
            "failed",
        ],
        rows,
    )


def targets(size: int, systems: list[System], queries: list[str]) -> list[list[str]]:
    """Issue 8's targets (stated at 100,000 recommendations; start-up also at 10,000)."""
    from bench_store import RDFLIB, THBKG_PUSHED, THBKG_REMOTE, THBKG_STORE

    by = {s.name: s for s in systems}
    store, remote, rdflib = by.get(THBKG_STORE), by.get(THBKG_REMOTE), by.get(RDFLIB)
    pushed = by.get(THBKG_PUSHED)
    rows: list[list[str]] = []

    def check(what: str, measured: str, met: bool | None) -> None:
        rows.append([what, measured, "–" if met is None else ("met" if met else "**missed**")])

    if store is None or store.start is None:
        return rows
    ref = reference(store, systems)
    check("build with validation < 600 s", f"{store.build:.0f} s", store.build < 600)
    check(
        "start ≤ 1.5× Oxigraph server (disk)",
        ratio(store.ready, ref.ready),
        store.ready <= 1.5 * ref.ready,
    )
    if size == 10_000:
        check("start < 3 s at 10,000", f"{store.start:.2f} s", store.start < 3)
    check(
        "RSS after start ≤ 1.5× Oxigraph server",
        ratio(store.rss_ready, ref.rss_ready),
        store.rss_ready <= 1.5 * ref.rss_ready,
    )
    check("RSS after start < 600 MB", f"{store.rss_ready / MB:.0f} MB", store.rss_ready < 600 * MB)
    for query in queries[:5]:
        mine, theirs = median_ms(store, query), median_ms(ref, query)
        check(f"{query} ≤ 1.5× Oxigraph server", ratio(mine, theirs), mine <= 1.5 * theirs)
    for query in ("count per actor", "property path"):
        slow = median_ms(rdflib, query) if rdflib else None
        mine = median_ms(store, query)
        check(
            f"{query} ≥ 20× faster than rdflib-endpoint",
            f"{slow / mine:.1f}×" if slow else "rdflib not measured",
            slow / mine >= 20 if slow else None,
        )
    in_process = store.answers.get("in-process ASK")
    pooled = store.answers.get("pool ASK")
    ask = median_ms(store, "ASK {}")
    if in_process is not None and pooled is not None:
        check(
            "ASK {} through a query worker − in-process ASK < 1 ms",
            f"{(pooled - in_process) * 1000:.2f} ms",
            pooled - in_process < 0.001,
        )
    if in_process is not None and ask is not None:
        check(
            "(for scale) ASK {} over HTTP − in-process ASK",
            f"{ask - in_process * 1000:.2f} ms",
            None,
        )
        ox_ask = median_ms(ref, "ASK {}")
        check(
            "(for scale) ASK {} thbkg − Oxigraph server, both HTTP", f"{ask - ox_ask:.2f} ms", None
        )
    turtle, html = store.deref.get("Turtle"), store.deref.get("HTML")
    if turtle:
        check("Turtle median < 2 ms", f"{turtle['median'] * 1000:.2f} ms", turtle["median"] < 0.002)
        check("Turtle ≥ 2,000 req/s, 8 clients", f"{turtle['rps8']:,.0f}", turtle["rps8"] >= 2000)
    if html:
        check("HTML ≥ 1,000 req/s, 8 clients", f"{html['rps8']:,.0f}", html["rps8"] >= 1000)
    for name, f in (("Turtle", turtle), ("HTML", html)):
        if f and "past rps8" in f:
            check(
                f"(for scale) {name} past the response cache, median / 8 clients",
                f"{f['past median'] * 1000:.2f} ms / {f['past rps8']:,.0f} req/s",
                None,
            )
    if remote and remote.start is not None and pushed and pushed.start is not None:
        check(
            "(for scale) --sparql-endpoint start: counted and indexed / with the pushed build",
            f"{remote.start:.2f} s / {pushed.start:.2f} s",
            None,
        )
    if remote and remote.queries:
        for query in queries[:5]:
            mine, theirs = median_ms(remote, query), median_ms(ref, query)
            check(
                f"--sparql-endpoint {query} ≤ 1.5× that server",
                ratio(mine, theirs),
                mine <= 1.5 * theirs,
            )
    return rows


def report(size: int, systems: list[System], args: argparse.Namespace) -> None:
    """Print the tables of one size."""
    from bench_store import QUERIES

    queries = list(QUERIES)
    print(f"\n### {size:,} recommendations: load and start-up\n")
    print(start_table(systems))
    print(
        f"\n### {size:,} recommendations: SPARQL over HTTP, ms, median / p95 of {args.runs} "
        "runs (× the Oxigraph server's median, same storage)\n"
    )
    print(query_table(systems, queries))
    if any(s.deref for s in systems):
        print(
            f"\n### {size:,} recommendations: dereferencing one recommendation "
            "(thbkg serve --production)\n"
        )
        print(deref_table(systems))
    rows = targets(size, systems, queries)
    if rows:
        print(f"\n### {size:,} recommendations: issue 8's targets (stated for 100,000)\n")
        print(table(["target", "measured", ""], rows))
    for s in systems:
        for note in s.notes:
            print(f"- {label(s)}: {note}")
    print(flush=True)
