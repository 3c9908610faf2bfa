"""The server's response cache: what it keeps, under which key, what always reaches the app,
and that a production server sends a kept answer as the app made it."""

from __future__ import annotations

import io
import time
import urllib.request
from collections.abc import Iterable

import pytest

from publish.config import Settings, from_environment
from publish.web import create_app
from publish.web.cache import MAX_ENTRY, ResponseCache

from .conftest import start_server, stop_server


class Origin:
    """A WSGI app that counts its calls and answers what the test sets (by default a public
    200), its body naming the call and the request's Accept."""

    def __init__(
        self,
        *headers: tuple[str, str],
        status: str = "200 OK",
        size: int = 0,
        cache_control: str = "public, max-age=3600",
    ):
        self.calls = 0
        self.status, self.size = status, size
        self.headers = [("Cache-Control", cache_control), *headers]

    def __call__(self, environ, start_response) -> Iterable[bytes]:
        self.calls += 1
        body = self.size * b"x" or f"{self.calls} {environ.get('HTTP_ACCEPT')}".encode()
        start_response(self.status, [*self.headers, ("Content-Length", str(len(body)))])
        return [body]


def get(app, path: str = "/r", method: str = "GET", **headers: str) -> tuple[str, dict, bytes]:
    environ = {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "QUERY_STRING": "",
        "SCRIPT_NAME": "",
        "HTTP_HOST": "127.0.0.1:8000",
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(),
        **{"HTTP_" + k.upper(): v for k, v in headers.items()},
    }
    answer = []
    body = b"".join(app(environ, lambda *started: answer.extend(started[:2])))
    return answer[0], dict(answer[1]), body


def test_a_public_answer_is_sent_again_without_the_app() -> None:
    origin = Origin(("Content-Type", "text/turtle"))
    cache = ResponseCache(origin, 1 << 20)
    first, again = get(cache), get(cache)
    assert first == again and first[0] == "200 OK" and first[1]["Content-Type"] == "text/turtle"
    assert origin.calls == 1


def test_answers_are_kept_per_value_of_the_headers_vary_names() -> None:
    origin = Origin(("Vary", "Accept, Accept-Encoding"))
    cache = ResponseCache(origin, 1 << 20)
    turtle, html = get(cache, accept="text/turtle"), get(cache, accept="text/html")
    assert turtle[2] == b"1 text/turtle" and html[2] == b"2 text/html"
    assert get(cache, accept="text/turtle") == turtle and get(cache, accept="text/html") == html
    assert get(cache, accept="text/html", accept_encoding="br")[2] == b"3 text/html"
    assert origin.calls == 3


def test_representations_that_vary_on_different_headers_are_kept_side_by_side() -> None:
    """A resource's HTML varies on Accept-Language too, its Turtle does not: clients asking
    for one and the other in turn are both answered from the cache."""

    def negotiating(environ, start_response):
        html = "html" in environ.get("HTTP_ACCEPT", "")
        vary = "Accept, Accept-Language" if html else "Accept"
        return origin(environ, lambda s, h, e=None: start_response(s, [*h, ("Vary", vary)]))

    origin = Origin()
    cache = ResponseCache(negotiating, 1 << 20)
    first = [get(cache, accept=a, accept_language="fr") for a in ("text/html", "text/turtle")]
    for _ in range(3):
        again = [get(cache, accept=a, accept_language="fr") for a in ("text/html", "text/turtle")]
        assert again == first
    assert origin.calls == 2
    assert get(cache, accept="text/html", accept_language="en")[2] == b"3 text/html"
    assert get(cache, accept="text/turtle", accept_language="en") == first[1]


@pytest.mark.parametrize(
    "other",
    [
        {"path": "/other"},
        {"host": "thbkg.example.org"},
        {"x_forwarded_host": "thbkg.example.org"},
        {"x_forwarded_proto": "https"},
    ],
)
def test_another_url_is_another_entry(other: dict[str, str]) -> None:
    origin = Origin()
    cache = ResponseCache(origin, 1 << 20)
    get(cache)
    assert get(cache, **other)[2] == b"2 None"


@pytest.mark.parametrize(
    "request_",
    [
        {"method": "HEAD"},
        {"method": "POST"},
        {"path": "/sparql"},
        {"if_none_match": '"abc"'},
        {"if_modified_since": "Sun, 29 Nov 2026 00:00:00 GMT"},
        {"range": "bytes=0-1"},
        {"cache_control": "no-cache"},
        {"pragma": "no-cache"},
        {"cookie": "a=b"},
        {"authorization": "Basic eDp5"},
    ],
)
def test_requests_a_cache_must_not_answer_reach_the_app(request_: dict[str, str]) -> None:
    origin = Origin()
    cache = ResponseCache(origin, 1 << 20)
    get(cache, **request_)
    get(cache, **request_)
    assert origin.calls == 2 and cache.size == 0


@pytest.mark.parametrize(
    "origin",
    [
        Origin(status="404 NOT FOUND"),
        Origin(status="206 PARTIAL CONTENT"),
        Origin(cache_control="no-store"),
        Origin(cache_control="private, max-age=60"),
        Origin(("Set-Cookie", "a=b")),
        Origin(("Vary", "*")),
        Origin(size=MAX_ENTRY + 1),
    ],
    ids=["404", "206", "no-store", "private", "cookie", "vary-star", "large"],
)
def test_answers_a_cache_must_not_keep_are_made_each_time(origin: Origin) -> None:
    cache = ResponseCache(origin, 2 * MAX_ENTRY)
    get(cache)
    get(cache)
    assert origin.calls == 2 and cache.size == 0


def test_a_streamed_answer_without_a_length_is_passed_on() -> None:
    def streamed(environ, start_response):
        start_response("200 OK", [("Cache-Control", "public")])
        yield from (b"a", b"b")

    cache = ResponseCache(streamed, 1 << 20)
    assert get(cache)[2] == get(cache)[2] == b"ab" and cache.size == 0


def test_the_least_recently_used_leave_first_and_the_size_stays_bounded() -> None:
    origin = Origin(size=400)
    cache = ResponseCache(origin, 1500)  # about three answers with their headers
    for path in ("/a", "/b", "/c"):
        get(cache, path)
    get(cache, "/a")  # /b is now the least recently used
    get(cache, "/d")
    assert cache.size <= 1500 and origin.calls == 4
    get(cache, "/a"), get(cache, "/c"), get(cache, "/d")
    assert origin.calls == 4
    get(cache, "/b")
    assert origin.calls == 5 and cache.size <= 1500


def test_the_environment_sets_or_turns_off_the_cache() -> None:
    assert from_environment({"THBKG_RESPONSE_CACHE": "16M"}).response_cache == 16 << 20
    assert from_environment({"THBKG_RESPONSE_CACHE": "0"}).response_cache == 0
    with pytest.raises(ValueError, match="THBKG_RESPONSE_CACHE='lots': give a positive size"):
        from_environment({"THBKG_RESPONSE_CACHE": "lots"})


def test_without_a_cache_the_app_answers_each_request(site) -> None:
    app = create_app(Settings(response_cache=0), site)
    assert not isinstance(app.wsgi_app, ResponseCache)
    assert isinstance(create_app(Settings(), site).wsgi_app, ResponseCache)


def test_conditional_and_head_requests_still_work_once_an_answer_is_kept(client) -> None:
    path, headers = "/recommendation/2018-32", {"Accept": "text/turtle"}
    first, kept = client.get(path, headers=headers), client.get(path, headers=headers)
    assert kept.data == first.data and kept.headers["ETag"] == first.headers["ETag"]
    revalidated = client.get(path, headers={**headers, "If-None-Match": first.headers["ETag"]})
    assert revalidated.status_code == 304 and not revalidated.data
    head = client.head(path, headers=headers)
    assert head.status_code == 200 and not head.data
    french = client.get(path, headers={"Accept": "text/html", "Accept-Language": "fr"})
    english = client.get(path, headers={"Accept": "text/html", "Accept-Language": "en"})
    assert b'<html lang="fr"' in french.data and b'<html lang="en"' in english.data
    again = client.get(path, headers={"Accept": "text/html", "Accept-Language": "fr"})
    assert again.data == french.data


def test_a_production_server_sends_a_kept_answer_as_the_app_made_it() -> None:
    process, url = start_server("--production")
    try:
        answers = []
        for n in range(3):
            time.sleep(1.1 * (n == 2))  # the third answer is sent in a later second
            request = urllib.request.Request(
                url + "/recommendation/2018-32", headers={"Accept": "text/turtle"}
            )
            with urllib.request.urlopen(request, timeout=30) as response:
                answers.append((response.headers, response.read()))
    finally:
        stop_server(process)
    (first, body), *kept = answers
    for headers, again in kept:
        assert again == body
        for name in ("ETag", "Content-Type", "Content-Length", "Vary", "Link", "Cache-Control"):
            assert headers.get_all(name) == first.get_all(name)
        assert len(headers.get_all("Date")) == len(headers.get_all("Server")) == 1
    assert kept[-1][0]["Date"] != first["Date"]  # dated when sent, not when first made
