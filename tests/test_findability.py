"""Search, facets, charts, exports and languages over HTTP (Flask client and a live server) and
in headless Chromium.

Counts are worked out by hand from the 2018 annex (see tests/test_search.py's docstring):
by name CIC 8, Réseau 3, Police 2, every other addressee 1; with sub-organisations Police 4
(35, 36, 38, 42) and Magistrature 3 (35, 40, 42); themes 7 and 4; levels federal 9, local 4.
"""

from __future__ import annotations

import csv
import io
import json
import re
import urllib.request
from html.parser import HTMLParser

import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import XSD

from publish.namespaces import BASE
from publish.web.i18n import MESSAGES

from .conftest import chromium, union_graph

BROWSER = {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}


class _Tables(HTMLParser):
    """The rows of every chart table of a page, by the id of its figure."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self._figure: str | None = None
        self._cell: list[str] | None = None
        self._row: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list) -> None:
        attrs = dict(attrs)
        if tag == "figure" and attrs.get("id", "").startswith("chart-"):
            self._figure = attrs["id"][len("chart-") :]
            self.tables[self._figure] = []
        elif tag == "tr" and self._figure:
            self._row = []
        elif tag == "td" and self._row is not None:
            self._cell = []

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "td" and self._cell is not None and self._row is not None:
            self._row.append("".join(self._cell).strip())
            self._cell = None
        elif tag == "tr" and self._row:
            self.tables[self._figure].append(self._row)
            self._row = None
        elif tag == "figure":
            self._figure = None


def charts_of(html: str) -> dict[str, dict[str, int]]:
    parser = _Tables()
    parser.feed(html)
    return {k: {label: int(n) for label, n in rows} for k, rows in parser.tables.items()}


def identifiers(html: str) -> list[str]:
    return re.findall(r'<p class="identifier"><a href="[^"]+">(\d{4}/\d+)</a>', html)


def test_search_box_finds_inflections_and_marks_them(client) -> None:
    html = client.get("/?q=nigeriane", headers=BROWSER).get_data(as_text=True)
    assert sorted(identifiers(html)) == ["2018/35", "2018/36", "2018/37"]
    assert "<mark>nigérianes</mark>" in html
    assert 'name="q" type="search" value="nigeriane"' in html
    escaped = client.get("/?q=<script>alert(1)</script>", headers=BROWSER)
    assert escaped.status_code == 200 and "<script>alert(1)" not in escaped.get_data(as_text=True)


def test_facets_show_counts_and_combine_as_plain_urls(client) -> None:
    html = client.get("/?actor=police&level=local", headers=BROWSER).get_data(as_text=True)
    assert sorted(identifiers(html)) == ["2018/35", "2018/36", "2018/38"]
    facet = html[html.index('id="facet-theme"') : html.index('id="facet-actor"')]
    # within police and local: 35, 36, 38 are all minor-victims recommendations
    assert re.search(r'theme=ameliorer[^"]*">[^<]+</a> <span class="count">3</span>', facet)
    assert re.search(r'level=federal[^"]*">[^<]+</a> <span class="count">2</span>', html)
    combined = client.get("/?q=mineur&actor=police&level=local&year=2018", headers=BROWSER)
    assert sorted(identifiers(combined.get_data(as_text=True))) == ["2018/35", "2018/36", "2018/38"]


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("/?actor=nobody", "unknown actor 'nobody'"),
        ("/?theme=x", "unknown theme"),
        ("/?level=cosmic", "unknown level"),
        ("/?year=20x8", "year must be a year"),
        ("/?year=1999", "no recommendation of year 1999"),
        ("/?page=0", "page must be a page number"),
        ("/?format=xlsx", "format must be csv or json"),
        ("/?q=" + "a" * 501, "at most 500 characters"),
        ("/?q=a%00b", "NUL"),
    ],
)
def test_bad_listing_parameters_are_400_naming_them(client, url: str, message: str) -> None:
    response = client.get(url, headers={"Accept": "text/plain"})
    assert response.status_code == 400 and message in response.get_data(as_text=True)
    assert client.get("/?page=2", headers={"Accept": "text/html"}).status_code == 404


def test_charts_numbers_are_the_hand_worked_counts(client) -> None:
    html = client.get("/?lang=en", headers=BROWSER).get_data(as_text=True)
    charts = charts_of(html)
    assert charts["by_name"]["Interdepartmental Coordination Unit"] == 8
    assert charts["by_name"]["Police"] == 2
    assert sum(charts["by_name"].values()) == 8 + 3 + 2 + 10  # 23 addressee links
    assert charts["with_parts"]["Police"] == 4
    assert charts["with_parts"]["Magistracy"] == 3
    assert sorted(charts["per_theme"].values()) == [4, 7]
    assert charts["per_level"] == {"Federal": 9, "Local": 4}
    assert charts["hierarchy"]["Police"] == 4
    assert html.count("<svg") >= 5 and "<script" not in html.split("<main>")[1]
    police = charts_of(client.get("/actor/police?lang=en", headers=BROWSER).get_data(as_text=True))
    assert police["hierarchy"] == {
        "Local police services of major cities": 1,
        "Police training services": 1,
    }
    assert police["per_theme"] == {
        "Improving the detection and protection of minor victims": 3,
        "Breaking the smugglers' business model": 1,
    }


def test_csv_and_json_exports_of_the_current_list(client) -> None:
    response = client.get("/?actor=police&format=csv")
    assert response.headers["Content-Disposition"] == (
        'attachment; filename="thbkg-recommendations-actor-police.csv"'
    )
    body = response.data
    assert body.startswith(b"\xef\xbb\xbf")  # a BOM, so Excel reads UTF-8
    rows = list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"))))
    assert [r["identifier"] for r in rows] == ["2018/35", "2018/36", "2018/38", "2018/42"]
    assert "villes importantes comme Bruxelles" in rows[2]["addressee_text"]  # verbatim cell
    assert rows[0]["iri"] == BASE + "recommendation/2018-35"
    assert "Police" in rows[0]["addressee_labels"].split(" | ")
    assert client.get("/?actor=police", headers={"Accept": "text/csv"}).data == body
    doc = client.get("/?q=nigeriane&format=json").get_json()
    assert doc["query"] == {"q": "nigeriane", "lang": "en"}
    assert [r["identifier"] for r in doc["recommendations"]] == ["2018/37", "2018/36", "2018/35"]
    assert isinstance(doc["recommendations"][0]["addressees"], list)


def test_dutch_interface_with_fallback_markers(client) -> None:
    for headers, url in ((BROWSER, "/?lang=nl"), ({**BROWSER, "Accept-Language": "nl-BE"}, "/")):
        html = client.get(url, headers=headers).get_data(as_text=True)
        assert '<html lang="nl">' in html
        assert MESSAGES["nl"]["search_label"] in html and "Interdepartementale" in html
        # the section themes have no Dutch label: English, marked
        assert '<abbr class="fallback"' in html
        assert MESSAGES["nl"]["original_fr"] in html
    actor = client.get("/actor/police?lang=nl", headers=BROWSER).get_data(as_text=True)
    assert actor.count(MESSAGES["nl"]["original_fr"]) == 4  # each of its recommendations
    assert "<h1>Politie</h1>" in actor
    assert set(MESSAGES["nl"]) == set(MESSAGES["en"]) == set(MESSAGES["fr"])
    assert all(MESSAGES["nl"][k].strip() for k in MESSAGES["nl"])


def test_editor_page_has_a_language_switch_and_readable_runs(client) -> None:
    html = client.get("/sparql?lang=fr", headers=BROWSER).get_data(as_text=True)
    assert "<h1>Éditeur de requêtes SPARQL</h1>" in html
    assert 'href="/sparql?lang=nl"' in html
    link = re.search(r'href="[^"]*(/sparql\?query=[^"]+)" title="Exécuter sans JavaScript"', html)
    page = client.get(link.group(1).replace("&amp;", "&"), headers=BROWSER)
    assert page.status_code == 200 and page.mimetype == "text/html"
    assert '<table class="results">' in page.get_data(as_text=True)
    machine = client.get(link.group(1).replace("&amp;", "&"), headers={"Accept": "*/*"})
    assert machine.mimetype == "application/sparql-results+json"


def test_referenced_by_lists_each_resource_once(client) -> None:
    html = client.get("/actor/police?lang=en", headers=BROWSER).get_data(as_text=True)
    section = html[html.index("Referenced by") :]
    links = re.findall(r'<li><a href="(/recommendation/[^"?]+)', section)
    assert links == sorted(set(links)) and "/recommendation/2018-35" in links


def test_dataset_lists_the_csv_distribution(client) -> None:
    graph = Graph().parse(data=client.get("/dataset.ttl").data, format="turtle")
    csv_url = URIRef(BASE + "download/thbkg.csv")
    assert (None, URIRef("http://www.w3.org/ns/dcat#downloadURL"), csv_url) in graph


@pytest.mark.server
def test_csvw_metadata_validates_and_yields_the_graphs_triples(live_server, knowledge) -> None:
    """The csvw package reads the whole table through its metadata; the RDF the metadata maps
    it to (CSVW minimal mode, each column's aboutUrl/propertyUrl/valueUrl/lang/datatype) is in
    the published graph, and covers each recommendation's mapped properties."""
    from csvw import CSVW

    data = CSVW(f"{live_server}/download/thbkg.csv-metadata.json")
    assert data.is_valid, data.warnings
    table = data.tablegroup.tables[0]
    columns = {c.name: c for c in table.tableSchema.columns}
    about = table.tableSchema.aboutUrl
    produced = Graph()
    for n, typed in enumerate(table.iterdicts(), start=1):
        row = {k: _plain(v) for k, v in typed.items()}
        subject = table.expand(about, row, _row=n)
        for name, value in row.items():
            col = columns[name]
            if col.suppressOutput or value is None or value in ("", []):
                continue
            s = URIRef(table.expand(col.aboutUrl, row, _row=n) if col.aboutUrl else subject)
            p = URIRef(table.expand(col.propertyUrl, row, _row=n, _name=name))
            for item in value if isinstance(value, list) else [value]:
                if col.valueUrl:
                    o = URIRef(table.expand(col.valueUrl, {**row, name: item}, _row=n))
                elif col.lang and col.lang != "und":  # "und": no language tag
                    o = Literal(item, lang=col.lang)
                elif col.datatype and col.datatype.base == "gYear":
                    o = Literal(_gyear(item), datatype=XSD.gYear)
                else:
                    o = Literal(item)
                produced.add((s, p, o))
    union = union_graph(knowledge)
    missing = [t for t in produced if t not in union]
    assert not missing, missing[:5]
    # identifier, year, theme, text and addressee cell of each of the 11, their 23 addressee
    # links, and the French label of each of the 2 section themes
    assert len(produced) == 11 * 5 + 23 + 2


def _plain(value: object) -> object:
    """A typed cell value as csvw parsed it, back to text (anyURI cells are rfc3986 objects)."""
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value.unsplit() if hasattr(value, "unsplit") else value


def _gyear(value: object) -> str:
    """csvw parses a gYear into a date; its year is the lexical form."""
    return str(getattr(value, "year", value))


@pytest.mark.browser
@pytest.mark.server
def test_in_chromium_search_facets_chart_and_dutch(live_server) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    with chromium("--window-size=1280,800") as driver:
        driver.get(f"{live_server}/?lang=nl")
        box = driver.find_element(By.ID, "q")
        box.send_keys("nigeriane")
        box.submit()
        WebDriverWait(driver, 20).until(lambda d: "q=nigeriane" in d.current_url)
        WebDriverWait(driver, 20).until(
            lambda d: d.find_elements(By.CSS_SELECTOR, "blockquote mark")
        )
        marks = [m.text for m in driver.find_elements(By.CSS_SELECTOR, "blockquote mark")]
        assert marks and all(m.lower().startswith("nigérian") for m in marks)
        assert "lang=nl" in driver.current_url and "q=nigeriane" in driver.current_url
        assert driver.find_element(By.ID, "results-h").text == "Aanbevelingen"
        # a facet link narrows the list and keeps the query
        driver.find_element(By.CSS_SELECTOR, "#facet-level a[href*='level=federal']").click()
        WebDriverWait(driver, 20).until(lambda d: "level=federal" in d.current_url)
        assert "level=federal" in driver.current_url and "q=nigeriane" in driver.current_url
        # a chart is drawn: its SVG has a size and bars within a screen-sized window
        driver.get(f"{live_server}/")
        svg = driver.find_element(By.CSS_SELECTOR, "#chart-by_name svg")
        driver.execute_script("arguments[0].scrollIntoView()", svg)
        size = svg.size
        assert size["width"] > 300 and size["height"] > 150
        assert size["width"] <= driver.execute_script("return window.innerWidth")
        bars = driver.find_elements(By.CSS_SELECTOR, "#chart-by_name svg rect.rect")
        assert len(bars) == 13 and all(b.size["width"] > 0 for b in bars)
        assert driver.get_screenshot_as_png()[:4] == b"\x89PNG"


@pytest.mark.browser
@pytest.mark.server
def test_in_chromium_the_editor_results_fit_their_column(live_server) -> None:
    """Regression: YASGUI's results table was wider than the page's column, counts off-screen."""
    import time

    from selenium.webdriver.common.by import By

    with chromium("--window-size=1024,800") as driver:
        driver.get(f"{live_server}/sparql?lang=nl")
        assert driver.find_element(By.TAG_NAME, "h1").text == "SPARQL-query-editor"
        driver.find_element(By.ID, "query-recommendations-overview").click()
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            rows = driver.find_elements(By.CSS_SELECTOR, "#yasgui .yasr table tbody tr")
            if len(rows) >= 11:
                break
            time.sleep(0.3)
        assert len(rows) >= 11
        main = driver.find_element(By.TAG_NAME, "main").rect
        results = driver.find_element(By.CSS_SELECTOR, "#yasgui .yasr").rect
        assert results["x"] >= main["x"] - 1
        assert results["x"] + results["width"] <= main["x"] + main["width"] + 1
        page = driver.execute_script("return document.documentElement.scrollWidth")
        assert page <= driver.execute_script("return window.innerWidth")


@pytest.mark.server
def test_live_exports_over_http(live_server) -> None:
    """A real HTTP client gets the file name and the BOM."""
    with urllib.request.urlopen(f"{live_server}/?format=csv&theme=trafic-d-etres-humains") as r:
        assert (
            "thbkg-recommendations-theme-trafic-d-etres-humains.csv"
            in r.headers["Content-Disposition"]
        )
        body = r.read()
    assert body[:3] == b"\xef\xbb\xbf" and body.count(b"\r\nhttps://") == 4
    with urllib.request.urlopen(f"{live_server}/?format=json&year=2018") as r:
        assert len(json.load(r)["recommendations"]) == 11
