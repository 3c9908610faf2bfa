"""Mixed traffic against a real ``thbkg serve`` on 127.0.0.1 (not a test).

    python bench/load.py [--clients 50] [--seconds 60] [--warm-up 5] [--dev] [--workers 8]
                         [--engine oxigraph]

``--clients`` concurrent clients, for ``--seconds``, each sending one request after another:
resource pages (HTML), descriptions (Turtle, JSON-LD, N-Triples, RDF/XML), whole-graph
downloads and every shipped SPARQL query (POST), in the proportions of ``MIX``. Prints, per
kind, the requests, errors (anything but a 200), latency percentiles (for the whole run, then
again for the requests sent after ``--warm-up`` seconds, once the server has rendered each page
and description once and keeps them), then the peak memory of the server and its query
workers and the connections a listener on 127.0.0.1 saw (there must be none). Before the
clock starts, each query runs once, one after another, as a deployment's smoke test would
(``bench/attack.py parser`` is the cold-start race). The clients are coroutines on one event
loop, each on a fresh connection per request: as threads, 50 of them would queue for the
interpreter's lock, and that wait would be counted as the server's latency. Talks to 127.0.0.1
only; exit code 1 when any request failed.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sys
import time
from pathlib import Path
from urllib.parse import urlencode, urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import (  # noqa: E402
    LOOPBACK,
    Listener,
    Reply,
    Server,
    Tally,
    common_arguments,
    request,
    server_env,
)

from publish.config import ROOT  # noqa: E402
from publish.namespaces import BASE  # noqa: E402

FORM = "application/x-www-form-urlencoded"
#: Kind of request -> weight in the mix.
MIX = {"page": 40, "description": 40, "download": 5, "sparql": 15}
DESCRIPTIONS = (
    "text/turtle",
    "application/ld+json",
    "application/n-triples",
    "application/rdf+xml",
)
DOWNLOADS = ("ttl", "trig", "nt", "rdf", "jsonld")
# Every resource of ours that has a path of its own (not a fragment of the ontology).
RESOURCES = "SELECT DISTINCT ?s WHERE { ?s ?p ?o FILTER(isIRI(?s) && STRSTARTS(STR(?s), STR(<>))) }"


def resource_paths(base_url: str) -> list[str]:
    reply = request(
        base_url,
        "POST",
        "/sparql",
        urlencode({"query": RESOURCES}).encode(),
        {"Content-Type": FORM, "Accept": "application/json"},
    )
    if reply.status != 200:
        sys.exit(f"cannot list the resources: {reply.status} {reply.body[:200]!r}")
    iris = [b["s"]["value"] for b in json.loads(reply.body)["results"]["bindings"]]
    return sorted({"/" + iri[len(BASE) :] for iri in iris if "#" not in iri})


async def fetch(
    port: int, method: str, path: str, body: bytes = b"", headers: dict[str, str] | None = None
) -> Reply:
    """One HTTP/1.1 request on a fresh connection to 127.0.0.1, read to the end."""
    started = time.perf_counter()
    lines = [f"{method} {path} HTTP/1.1", f"Host: {LOOPBACK}:{port}", "Connection: close"]
    lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
    if body:
        lines.append(f"Content-Length: {len(body)}")
    try:
        reader, writer = await asyncio.open_connection(LOOPBACK, port)
        try:
            writer.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body)
            answer = await reader.read()
        finally:
            writer.close()
        head, _, content = answer.partition(b"\r\n\r\n")
        status = int(head.split(b" ", 2)[1])
        return Reply(status, {}, content, time.perf_counter() - started)
    except (OSError, ValueError, IndexError) as exc:
        return Reply(0, {}, b"", time.perf_counter() - started, f"{type(exc).__name__}: {exc}")


async def client(
    port: int,
    paths: list[str],
    queries: list[str],
    warm_from: float,
    until: float,
    seed: int,
    tallies: tuple[Tally, Tally],
) -> None:
    """One client: a request after another until ``until`` (``time.monotonic``), each counted
    in the whole run's tally and, when sent after ``warm_from``, in the warm server's."""
    chance = random.Random(seed)
    kinds, weights = list(MIX), list(MIX.values())
    while (sent := time.monotonic()) < until:
        kind = chance.choices(kinds, weights)[0]
        if kind == "page":
            reply = await fetch(port, "GET", chance.choice(paths), headers={"Accept": "text/html"})
        elif kind == "description":
            accept = chance.choice(DESCRIPTIONS)
            reply = await fetch(port, "GET", chance.choice(paths), headers={"Accept": accept})
        elif kind == "download":
            reply = await fetch(port, "GET", f"/download/thbkg.{chance.choice(DOWNLOADS)}")
        else:
            body = urlencode({"query": chance.choice(queries)}).encode()
            reply = await fetch(port, "POST", "/sparql", body, {"Content-Type": FORM})
        failure = None
        if reply.status != 200:
            failure = f"{reply.status or reply.error} {reply.body[:120]!r}"
        for tally in tallies[: 1 + (sent >= warm_from)]:
            tally.add(kind, reply, failure)


async def clients(
    count: int,
    port: int,
    paths: list[str],
    queries: list[str],
    seconds: float,
    warm_up: float,
    seed: int,
) -> tuple[Tally, Tally]:
    """``count`` clients at once for ``seconds``: the whole run's tally, and that of the
    requests sent after the first ``warm_up`` seconds (the server's caches filled)."""
    tallies = Tally(), Tally()
    now = time.monotonic()
    await asyncio.gather(
        *(
            client(port, paths, queries, now + warm_up, now + seconds, seed + n, tallies)
            for n in range(count)
        )
    )
    return tallies


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--warm-up", type=float, default=5, help="seconds reported apart")
    parser.add_argument("--seed", type=int, default=2018)
    common_arguments(parser)
    args = parser.parse_args()
    if not (1 <= args.clients <= 500 and 0 < args.seconds <= 3600):
        parser.error("--clients must be 1-500 and --seconds at most 3600")

    listener = Listener()
    listener.start()
    server = Server(not args.dev, args.workers, server_env(args))
    try:
        paths = resource_paths(server.url)
        queries = [p.read_text(encoding="utf-8") for p in sorted((ROOT / "queries").glob("*.rq"))]
        for query in queries:
            body = urlencode({"query": query}).encode()
            request(server.url, "POST", "/sparql", body, {"Content-Type": FORM})
        print(
            f"load: {args.clients} clients for {args.seconds:g} s on "
            f"{'development server' if args.dev else f'waitress, {args.workers} threads'}, "
            f"engine {args.engine}; {len(paths)} resources, {len(queries)} queries; mix {MIX}",
            flush=True,
        )
        started = time.monotonic()
        port = urlsplit(server.url).port
        run, warm = asyncio.run(
            clients(args.clients, port, paths, queries, args.seconds, args.warm_up, args.seed)
        )
        elapsed = time.monotonic() - started
    finally:
        memory = server.stop()
        outbound = listener.close()
    total = sum(len(v) for v in run.latencies.values())
    print(run.report())
    print(f"requests: {total} in {elapsed:.1f} s ({total / elapsed:.0f}/s); errors: {run.failed}")
    if warm.latencies:
        print(f"\nthe same, sent after the first {args.warm_up:g} s (caches warm):")
        print(warm.report())
    print(memory)
    print(outbound)
    return 1 if run.failed or listener.connections else 0


if __name__ == "__main__":
    sys.exit(main())
