"""Deployment behind https://w3id.org/thbkg/ and a TLS reverse proxy, simulated end to end.

The w3id.org redirect is the rule in ``deploy/w3id/.htaccess`` (applied here with Python's
``re``, as Apache's mod_rewrite would); the proxy is a real ``thbkg serve --proxy-hops 1``
receiving what nginx sends (``deploy/nginx/thbkg.conf``): the public host and ``https`` in
``X-Forwarded-*``. From the dataset IRI a client follows every link into our URI space.
"""

from __future__ import annotations

import http.client
import re
from collections.abc import Iterator
from urllib.parse import urljoin, urlsplit

import pytest
from rdflib import Graph, URIRef
from rdflib.namespace import RDF

from publish.config import ROOT
from publish.namespaces import BASE, THB

from .conftest import start_server, stop_server

HTACCESS = ROOT / "deploy" / "w3id" / ".htaccess"
PUBLIC = "thbkg.example.org"  # the host the .htaccess forwards to
W3ID = "https://w3id.org/thbkg/"

pytestmark = pytest.mark.server


def w3id_redirect(iri: str) -> tuple[int, str]:
    """What w3id.org answers for one of our IRIs: the .htaccess rules, first match wins."""
    assert iri.startswith(W3ID)
    path = iri[len(W3ID) :].split("#", 1)[0]
    rules = re.findall(r"^RewriteRule\s+(\S+)\s+(\S+)\s+\[([^\]]*)\]", HTACCESS.read_text(), re.M)
    assert rules, "the .htaccess has no RewriteRule"
    for pattern, target, flags in rules:
        match = re.match(pattern, path.split("?", 1)[0])
        if match:
            location = match.expand(re.sub(r"\$(\d)", r"\\\1", target))
            query = path.partition("?")[2]
            status = int(re.search(r"R=(\d+)", flags).group(1))
            return status, location + (f"?{query}" if query else "")
    raise AssertionError(f"no rule of the .htaccess matches {iri}")


@pytest.fixture(scope="module")
def proxied() -> Iterator[str]:
    """The app as nginx reaches it: trusting one proxy."""
    process, url = start_server("--proxy-hops", "1")
    yield url
    stop_server(process)


def through_proxy(upstream: str, url: str, accept: str) -> tuple[int, dict[str, str], bytes]:
    """A request for https://PUBLIC/... as the TLS proxy forwards it to the app."""
    parts = urlsplit(url)
    assert (parts.scheme, parts.hostname) == ("https", PUBLIC), url
    host = urlsplit(upstream)
    connection = http.client.HTTPConnection(host.hostname, host.port, timeout=60)
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    headers = {
        "Accept": accept,
        "Host": PUBLIC,
        "X-Forwarded-For": "203.0.113.9",
        "X-Forwarded-Proto": "https",
        "X-Forwarded-Host": PUBLIC,
        "X-Forwarded-Port": "443",
    }
    try:
        connection.request("GET", path, headers=headers)
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        connection.close()


def dereference(upstream: str, iri: str, accept: str = "text/turtle") -> tuple[str, bytes]:
    """Follow an IRI as a client would: w3id's redirect, then the server's own redirects."""
    status, url = w3id_redirect(iri)
    assert status == 307
    for _ in range(5):
        status, headers, body = through_proxy(upstream, url, accept)
        if status in (301, 302, 303, 307, 308):
            url = urljoin(url, headers["Location"])
            continue
        assert status == 200, (iri, url, status, body[:200])
        return url, body
    raise AssertionError(f"too many redirects from {iri}")


def test_the_rule_passes_paths_and_queries_through() -> None:
    assert w3id_redirect(W3ID) == (307, f"https://{PUBLIC}/")
    assert w3id_redirect(W3ID + "ontology#Recommendation") == (307, f"https://{PUBLIC}/ontology")
    assert w3id_redirect(W3ID + "sparql?query=ASK%7B%7D") == (
        307,
        f"https://{PUBLIC}/sparql?query=ASK%7B%7D",
    )


def test_the_base_iri_leads_an_rdf_client_to_the_dataset(proxied: str) -> None:
    url, body = dereference(proxied, W3ID)
    assert url == f"https://{PUBLIC}/dataset"
    graph = Graph().parse(data=body, format="turtle")
    assert (
        URIRef(BASE + "dataset"),
        RDF.type,
        URIRef("http://www.w3.org/ns/dcat#Dataset"),
    ) in graph


def test_behind_tls_the_endpoint_describes_itself_as_https(proxied: str) -> None:
    # Regression: the Service Description advertised http:// behind a TLS proxy.
    url, body = dereference(proxied, W3ID + "sparql")
    graph = Graph().parse(data=body, format="turtle")
    sd = "http://www.w3.org/ns/sparql-service-description#"
    endpoints = set(graph.objects(None, URIRef(sd + "endpoint")))
    assert endpoints == {URIRef(f"https://{PUBLIC}/sparql")}


def test_robots_and_sitemap_name_the_public_host(proxied: str) -> None:
    _, robots = dereference(proxied, W3ID + "robots.txt", "text/plain")
    assert f"Sitemap: https://{PUBLIC}/sitemap.xml" in robots.decode()
    _, sitemap = dereference(proxied, W3ID + "sitemap.xml", "application/xml")
    assert f"<loc>https://{PUBLIC}/recommendation/2018-32</loc>" in sitemap.decode()
    assert "http://127.0.0.1" not in sitemap.decode()


def test_every_recommendation_is_reached_by_following_iris(proxied: str) -> None:
    """From the dataset's IRI, follow links into our URI space (breadth first, bounded)."""
    seen: set[str] = set()
    queue = [W3ID + "dataset"]
    recommendations: set[str] = set()
    while queue and len(seen) < 200:
        iri = queue.pop(0)
        if iri in seen:
            continue
        seen.add(iri)
        _, body = dereference(proxied, iri)
        graph = Graph().parse(data=body, format="turtle")
        recommendations |= {str(s) for s in graph.subjects(RDF.type, THB.Recommendation)}
        for term in graph.all_nodes():
            text = str(term).split("#", 1)[0]
            if (
                isinstance(term, URIRef)
                and text.startswith(BASE)
                and not text.startswith((BASE + "download/", BASE + "sparql"))
            ):
                queue.append(text)
    assert recommendations == {f"{BASE}recommendation/2018-{n}" for n in range(32, 43)}
