"""The W3C SPARQL 1.1 Protocol test suite, replayed against ``/sparql``.

The manifest encodes each test as HTTP requests and expected responses (``ht:`` and ``mf:``
terms). data1.nt, data2.nt and data3.nt are loaded as the named graphs the tests name. A
query-only service skips the positive update tests; every query test and every ``bad_*``
test must pass.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from xml.etree import ElementTree

import pytest
from rdflib import Dataset, Graph, Namespace
from rdflib.collection import Collection
from rdflib.namespace import RDF, RDFS

from publish import formats
from publish.config import Settings
from publish.web import create_app

from .conftest import memory_site

# ../shared/w3c-sparql11-protocol/, next to the repository (as DESIGN.md says).
SUITE = Path(__file__).resolve().parents[2] / "shared" / "w3c-sparql11-protocol"
MF = Namespace("http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#")
HT = Namespace("http://www.w3.org/2011/http#")
CNT = Namespace("http://www.w3.org/2011/content#")
UT = Namespace("http://www.w3.org/2009/sparql/tests/test-update#")
HTS = Namespace("http://www.w3.org/2011/http-statusCodes#")

pytestmark = pytest.mark.skipif(
    not (SUITE / "manifest.ttl").is_file(), reason="W3C protocol suite not present"
)


@dataclass
class Request:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes | None
    statuses: set[str]
    expected_format: str | None
    expected_boolean: bool | None


def _manifest() -> Graph:
    return Graph().parse(SUITE / "manifest.ttl", format="turtle") if SUITE.is_dir() else Graph()


def _requests(manifest: Graph, test) -> list[Request]:
    action = manifest.value(test, MF.action)
    out = []
    for request in Collection(manifest, manifest.value(action, HT.requests)):
        headers = {}
        header_list = manifest.value(request, HT.headers)
        if header_list is not None:
            for header in Collection(manifest, header_list):
                headers[str(manifest.value(header, HT.fieldName))] = str(
                    manifest.value(header, HT.fieldValue)
                )
        body = None
        content = manifest.value(request, HT.body)
        if content is not None:
            encoding = str(manifest.value(content, CNT.characterEncoding) or "UTF-8")
            body = str(manifest.value(content, CNT.chars)).encode(encoding)
        response = manifest.value(request, HT.resp)
        boolean = manifest.value(response, MF.expectedBoolean)
        fmt = manifest.value(response, MF.expectedFormat)
        out.append(
            Request(
                method=str(manifest.value(request, HT.methodName)),
                path=str(manifest.value(request, HT.absolutePath)),
                headers=headers,
                body=body,
                statuses={
                    str(s).rsplit("StatusCode", 1)[1]
                    for s in manifest.objects(response, MF.expectedStatus)
                },
                expected_format=str(fmt) if fmt is not None else None,
                expected_boolean=boolean.toPython() if boolean is not None else None,
            )
        )
    return out


def _tests() -> list[tuple[str, object]]:
    manifest = _manifest()
    root = manifest.value(predicate=RDF.type, object=MF.Manifest)
    if root is None:
        return []
    entries = Collection(manifest, manifest.value(root, MF.entries))
    return [(str(t).rsplit("#", 1)[1], t) for t in entries]


MANIFEST = _manifest()
TESTS = _tests()


@pytest.fixture(scope="module", params=["oxigraph"])
def w3c_client(request: pytest.FixtureRequest):
    """An app over the suite's data: each data file as the named graph its label names."""
    dataset = Dataset(default_union=True)
    for node in MANIFEST.objects(None, UT.graphData):
        source = MANIFEST.value(node, UT.graph)
        name = MANIFEST.value(node, RDFS.label)
        target = dataset.graph(str(name))
        if len(target) == 0:
            target.parse(SUITE / Path(str(source)).name, format="nt")
    settings = Settings().with_overrides(engine=request.param)
    app = create_app(settings, memory_site(dataset))
    app.config["TESTING"] = True
    return app.test_client()


def _boolean(response) -> bool:
    if response.mimetype == formats.SPARQL_JSON.media_type:
        return json.loads(response.data)["boolean"]
    root = ElementTree.fromstring(response.data)
    return root.find("{http://www.w3.org/2005/sparql-results#}boolean").text == "true"


@pytest.mark.parametrize(("name", "test"), TESTS, ids=[name for name, _ in TESTS])
def test_protocol(w3c_client, name: str, test) -> None:
    if name.startswith("update_"):
        pytest.skip("query-only service: positive update tests do not apply")
    for request in _requests(MANIFEST, test):
        headers = {k: v for k, v in request.headers.items() if k.lower() != "content-type"}
        response = w3c_client.open(
            request.path,
            method=request.method,
            headers=headers,
            data=request.body,
            content_type=request.headers.get("content-type"),
        )
        status_class = f"{response.status_code // 100}xx"
        assert status_class in request.statuses, (name, response.status_code, response.data)
        if request.expected_format == "boolean":
            assert response.mimetype in (
                formats.SPARQL_JSON.media_type,
                formats.SPARQL_XML.media_type,
            )
        elif request.expected_format == "tabular":
            assert response.mimetype in {f.media_type for f in formats.RESULT_FORMATS}
        elif request.expected_format == "RDF":
            assert response.mimetype in {f.media_type for f in formats.RDF_FORMATS}
            rdf_format = formats.by_name(response.mimetype).rdflib
            Graph().parse(data=response.data, format=rdf_format)
        if request.expected_boolean is not None:
            assert _boolean(response) is request.expected_boolean


def test_every_query_and_bad_test_ran() -> None:
    names = {name for name, _ in TESTS}
    assert len([n for n in names if n.startswith("query_")]) == 13
    assert len([n for n in names if n.startswith("bad_")]) == 14
