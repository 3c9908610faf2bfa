"""Security headers on every response, and the pages and the editor working under them."""

from __future__ import annotations

import pytest

from publish.web.headers import SECURITY_HEADERS

from .conftest import chromium


@pytest.mark.parametrize(
    ("path", "headers"),
    [
        ("/", {"Accept": "text/html"}),
        ("/recommendation/2018-32", {"Accept": "text/turtle"}),
        ("/sparql", {"Accept": "text/html"}),
        ("/sparql?query=ASK%7B%7D", {}),
        ("/sparql?query=nonsense", {}),  # an error of the SPARQL blueprint
        ("/actor/nobody", {"Accept": "text/html"}),  # an error page
        ("/static/editor.js", {}),
        ("/download/thbkg.ttl", {}),
    ],
)
def test_every_response_carries_the_security_headers(client, path: str, headers: dict) -> None:
    with client.get(path, headers=headers) as response:
        response.close()
    for name, value in SECURITY_HEADERS.items():
        assert response.headers[name] == value, (path, name)
    policy = response.headers["Content-Security-Policy"]
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
    assert "frame-ancestors 'none'" in policy and "script-src 'self'" in policy


def test_no_page_has_inline_script_or_style(client) -> None:
    """What the policy forbids must not be in our own pages: no script or style element with a
    body, no style or on* attribute."""
    import re

    for path in (
        "/",
        "/sparql",
        "/recommendation/2018-38",
        "/actor/police",
        "/dataset",
        "/ontology",
        "/shapes",
        "/theme/scheme",
        "/nowhere",
    ):
        html = client.get(path, headers={"Accept": "text/html"}).get_data(as_text=True)
        # A JSON-LD data block (schema.org markup) is never executed, so no policy applies.
        executable = r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/ld\+json\")[^>]*>"
        assert not re.search(executable, html), path
        assert "<style" not in html, path
        assert not re.search(r"\s(style|on[a-z]+)=", html), path


def _violations(driver) -> list[str]:
    return [
        entry["message"]
        for entry in driver.get_log("browser")
        if "Content Security Policy" in entry["message"] or "Refused to" in entry["message"]
    ]


@pytest.mark.browser
@pytest.mark.server
def test_editor_runs_a_query_under_the_policy_in_chromium(live_server: str) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    with chromium(console_log=True) as driver:
        driver.get(live_server + "/sparql")
        wait = WebDriverWait(driver, 30)
        wait.until(lambda d: d.execute_script("return !!(window.thbkgYasgui && window.Yasgui)"))
        editor = driver.execute_script("return window.thbkgYasgui.getTab().getYasqe().getValue()")
        assert "thb:Recommendation" in editor  # the initial query, from the data attribute
        driver.find_element(By.ID, "query-recommendations-per-theme").click()
        wait.until(lambda d: "Breaking the smugglers" in d.find_element(By.CLASS_NAME, "yasr").text)
        # The stored queries' row of buttons is laid out by editor.css, not an inline style.
        display = driver.execute_script(
            "return getComputedStyle(document.getElementById('stored-queries')).display"
        )
        assert display == "flex"
        # The policy is in force: a script injected inline is refused and reported.
        driver.execute_script(
            "var s = document.createElement('script'); s.textContent = 'window.injected = 1';"
            "document.body.appendChild(s);"
        )
        assert driver.execute_script("return window.injected === undefined")
        violations = _violations(driver)
        assert len(violations) == 1 and "inline script" in violations[0], violations


@pytest.mark.browser
@pytest.mark.server
def test_pages_render_under_the_policy_in_chromium(live_server: str) -> None:
    with chromium(console_log=True) as driver:
        for path in (
            "/",
            "/recommendation/2018-38",
            "/actor/police",
            "/dataset",
            "/ontology",
            "/shapes",
            "/actor/nobody",
        ):
            driver.get(live_server + path)
            assert "thbkg" in driver.find_element("tag name", "body").text, path
            # The stylesheet applied: the header is laid out as flex by thbkg.css.
            display = driver.execute_script(
                "return getComputedStyle(document.querySelector('header.site')).display"
            )
            assert display == "flex", path
            assert _violations(driver) == [], path


def test_the_allowed_style_hashes_are_yasguis() -> None:
    """The policy allows exactly the style elements the shipped YASGUI adds, by hash."""
    import base64
    import hashlib
    import re

    from publish.config import ROOT
    from publish.web.headers import YASGUI_STYLE_HASHES

    script = (ROOT / "publish/web/static/yasgui/yasgui.min.js").read_text(encoding="utf-8")
    layout = re.findall(r"createStyle\(a,`([^`]*)`\)", script)
    drag_cursor = re.search(r"dragCursor:`([^`]*)`", script).group(1)
    assert "+n.opt.dragCursor+" in script
    styles = [*layout, f"*{{cursor:{drag_cursor}!important}}"]
    digests = tuple(
        "sha256-" + base64.b64encode(hashlib.sha256(s.encode()).digest()).decode() for s in styles
    )
    assert digests == YASGUI_STYLE_HASHES
