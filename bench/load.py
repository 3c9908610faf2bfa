"""Mixed traffic against a real ``thbkg serve`` on 127.0.0.1 (not a test).

    python bench/load.py [--clients 50] [--seconds 60] [--dev] [--workers 8] [--engine oxigraph]

``--clients`` concurrent clients, for ``--seconds``, each sending one request after another:
resource pages (HTML), descriptions (Turtle, JSON-LD, N-Triples, RDF/XML), whole-graph
downloads and every shipped SPARQL query (POST), in the proportions of ``MIX``. Prints, per
kind, the requests, errors (anything but a 200), latency percentiles, then the peak memory of
the server and its query workers and the connections a listener on 127.0.0.1 saw (there must
be none). Before the clock starts, each query runs once, one after another, as a deployment's
smoke test would (``bench/attack.py parser`` is the cold-start race). Talks to 127.0.0.1 only;
exit code 1 when any request failed.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import Listener, Server, Tally, common_arguments, request, server_env  # noqa: E402

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


def client(
    base_url: str, paths: list[str], queries: list[str], until: float, seed: int, tally: Tally
) -> None:
    chance = random.Random(seed)
    kinds, weights = list(MIX), list(MIX.values())
    while time.monotonic() < until:
        kind = chance.choices(kinds, weights)[0]
        if kind == "page":
            reply = request(base_url, "GET", chance.choice(paths), headers={"Accept": "text/html"})
        elif kind == "description":
            accept = chance.choice(DESCRIPTIONS)
            reply = request(base_url, "GET", chance.choice(paths), headers={"Accept": accept})
        elif kind == "download":
            reply = request(base_url, "GET", f"/download/thbkg.{chance.choice(DOWNLOADS)}")
        else:
            body = urlencode({"query": chance.choice(queries)}).encode()
            headers = {"Content-Type": FORM}
            reply = request(base_url, "POST", "/sparql", body, headers)
        failure = None
        if reply.status != 200:
            failure = f"{reply.status or reply.error} {reply.body[:120]!r}"
        tally.add(kind, reply, failure)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--seed", type=int, default=2018)
    common_arguments(parser)
    args = parser.parse_args()
    if not (1 <= args.clients <= 500 and 0 < args.seconds <= 3600):
        parser.error("--clients must be 1-500 and --seconds at most 3600")

    listener = Listener()
    listener.start()
    server = Server(not args.dev, args.workers, server_env(args))
    tally = Tally()
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
        until = time.monotonic() + args.seconds
        started = time.monotonic()
        threads = [
            threading.Thread(
                target=client,
                args=(server.url, paths, queries, until, args.seed + n, tally),
            )
            for n in range(args.clients)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.monotonic() - started
    finally:
        memory = server.stop()
        outbound = listener.close()
    total = sum(len(v) for v in tally.latencies.values())
    print(tally.report())
    print(f"requests: {total} in {elapsed:.1f} s ({total / elapsed:.0f}/s); errors: {tally.failed}")
    print(memory)
    print(outbound)
    return 1 if tally.failed or listener.connections else 0


if __name__ == "__main__":
    sys.exit(main())
