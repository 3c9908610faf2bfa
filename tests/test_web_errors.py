"""Every bad request gets the right 4xx (HTML for browsers, plain text otherwise); never a 500."""

from __future__ import annotations

import pytest

from publish.formats import HTML, TEXT

REC = "/recommendation/2018-33"
BROWSER = "text/html,application/xhtml+xml,*/*;q=0.8"


def test_unknown_resource_is_404_in_text(client) -> None:
    response = client.get("/recommendation/1999-1", headers={"Accept": "text/turtle"})
    assert response.status_code == 404
    assert response.mimetype == TEXT.media_type
    assert "https://w3id.org/thbkg/recommendation/1999-1" in response.get_data(as_text=True)


def test_unknown_resource_is_404_in_html_for_browsers(client) -> None:
    response = client.get("/actor/nobody?lang=fr", headers={"Accept": BROWSER})
    assert response.status_code == 404
    assert response.mimetype == HTML.media_type
    assert "Introuvable" in response.get_data(as_text=True)
    assert "Accept" in response.vary


@pytest.mark.parametrize(
    "path",
    [
        "/recommendation/2018-33.csv",  # a suffix we do not serve
        "/recommendation/2018-33.srj",  # a results format, not a resource's
        "/recommendation/2018-99/",  # a slash does not make an unknown resource known
        "/recommendation",
        "/download/thbkg.exe",
        "/download/thbkg.ttl/more",
        "/static/nothing.css",
        "/ontology#Recommendation",  # a client must not send the fragment; the path is '/ontology'
    ],
)
def test_not_found(client, path) -> None:
    response = client.get(path)
    expected = 200 if path.startswith("/ontology#") else 404
    assert response.status_code == expected


def test_nothing_acceptable_is_406(client) -> None:
    response = client.get(REC, headers={"Accept": "image/png"})
    assert response.status_code == 406
    assert "text/turtle" in response.get_data(as_text=True)


def test_unknown_format_parameter_is_400(client) -> None:
    response = client.get(REC, query_string={"format": "docx"})
    assert response.status_code == 400
    assert "docx" in response.get_data(as_text=True)


def test_format_parameter_we_do_not_offer_here_is_406(client) -> None:
    assert client.get(REC, query_string={"format": "csv"}).status_code == 406


def test_too_long_a_path_is_414(client) -> None:
    response = client.get("/recommendation/" + "x" * 5000)
    assert response.status_code == 414


@pytest.mark.parametrize(
    "path",
    [
        "/../../etc/passwd",
        "/recommendation/../actor/police",
        "/%2e%2e/%2e%2e/etc/passwd",
        "/recommendation/%FF%FE",
        "/recommendation/%00",
        "/actor/<script>alert(1)</script>",
        "/recommendation/2018-33%0d%0aSet-Cookie:x=1",
        "/" + "a/" * 600,
        "/" + "é" * 300,
    ],
)
def test_hostile_paths_never_500(client, path) -> None:
    response = client.get(path, headers={"Accept": BROWSER})
    assert response.status_code in (200, 404, 414), response.status_code
    assert "<script>alert" not in response.get_data(as_text=True)
    assert "Set-Cookie" not in response.headers


def test_non_utf8_bytes_in_the_raw_path_never_500(client) -> None:
    # WSGI hands the raw path as latin-1; these bytes are not UTF-8.
    response = client.get(REC, environ_overrides={"PATH_INFO": "/recommendation/\xff\xfe\x80"})
    assert response.status_code == 404


@pytest.mark.parametrize(
    "accept",
    [
        "text/html;q=abc",
        ";;;,,",
        "*/*;q=2",
        "\x00",
        "text/turtle;level=1;q=0.5;;",
        "a" * 5000,
        "*/*;q=-1",
        "text/html, " * 500,
        "ÿþ/",
    ],
)
def test_odd_accept_headers_never_500(client, accept) -> None:
    for path in (REC, "/nope", "/"):
        response = client.get(path, headers={"Accept": accept})
        assert 200 <= response.status_code < 500, (path, accept, response.status_code)


@pytest.mark.parametrize("language", ["de", "xx-YY;q=abc", ";;", "*", "fr;q=0.1, en;q=0.9", "é"])
def test_odd_accept_language_never_500(client, language) -> None:
    response = client.get(REC, headers={"Accept": "text/html", "Accept-Language": language})
    assert response.status_code == 200


@pytest.mark.parametrize(
    "query",
    [
        {"lang": "de"},
        {"lang": "\x00"},
        {"lang": "fr" * 1000},
        {"format": ""},
    ],
)
def test_odd_parameters(client, query) -> None:
    response = client.get(REC, query_string=query, headers={"Accept": "text/html"})
    assert response.status_code in (200, 400)


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "PATCH"])
def test_resources_are_read_only(client, method) -> None:
    response = client.open(REC, method=method)
    assert response.status_code == 405
    assert "GET" in response.headers["Allow"]


def test_invalid_landing_filters_are_400(client) -> None:
    for query in (
        {"theme": "no-such-theme"},
        {"theme": "../actor/police"},
        {"actor": "nobody"},
        {"actor": "../theme/scheme"},
        {"theme": "police"},  # an actor's slug is not a theme
        {"year": "twenty"},
        {"year": "1999"},
        {"year": "²"},
        {"year": "9" * 400},
        {"year": "9" * 5000},  # beyond what int() converts
    ):
        response = client.get("/", query_string=query, headers={"Accept": BROWSER})
        assert response.status_code == 400, query
        assert response.mimetype == HTML.media_type
