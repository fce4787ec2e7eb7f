"""`kb site`: the static site, built once from the shipped knowledge base and driven in headless
Chromium (Debian's chromium and chromium-driver, through Selenium), served by a local HTTP server
on 127.0.0.1 that records every request. .ci/run installs the browser, so CI runs these tests;
elsewhere a missing browser skips them, saying why.

KB_SITE_SCREENSHOTS=1 also saves the README's screenshots to docs/images/."""

from __future__ import annotations

import functools
import http.server
import json
import os
import shutil
import threading
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urljoin, urlsplit

import pytest
from typer.testing import CliRunner

from calcinosis_kb.cli import app
from calcinosis_kb.presentation.site.charts import bar_chart
from calcinosis_kb.presentation.site.highlight import highlight

from .conftest import DATA, ROOT, SHARED

AXE = DATA / "site" / "axe-core" / "axe.min.js"
SCREENSHOTS = ROOT / "docs" / "images"
CASE = "carrascosa2011"
DYSTROPHIC = "cckb:DystrophicCalcinosisCutis"


# --- without a browser ----------------------------------------------------------------------------


def test_chart_is_labelled_svg_with_every_bar() -> None:
    svg = bar_chart("c", "Cases by subtype", [("dystrophic", 19), ("metastatic", 13)])
    assert svg.startswith("<svg") and 'role="img"' in svg and 'aria-labelledby="c-t c-d"' in svg
    assert "<title id=\"c-t\">Cases by subtype</title>" in svg
    assert svg.count("<rect") == 2 and "dystrophic: 19; metastatic: 13" in svg
    assert bar_chart("c", "empty", []) == ""


def test_highlight_marks_a_quote_across_line_breaks_and_reports_a_missing_one() -> None:
    text = "An 87-year-old\nwoman with <MCTD> & more."
    html, missing = highlight(text, ["87-year-old woman", "not in the text"])
    assert '<mark id="q1">87-year-old\nwoman</mark>' in html
    assert "&lt;MCTD&gt; &amp; more" in html
    assert missing == ["not in the text"]


# --- the site, built once -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The shipped knowledge base's site, built once (about 15 s: reasoning, validation, report)."""
    assert (SHARED / "sources").is_dir(), "the source texts (../shared) are needed for the marked quotes"
    folder = tmp_path_factory.mktemp("site") / "site"
    result = CliRunner().invoke(app, ["site", "-o", str(folder)])
    assert result.exit_code == 0, result.output
    return folder


def test_site_is_written_whole_and_refused_over_an_existing_folder(site: Path) -> None:
    assert (site / "index.html").is_file() and (site / "finder-index.js").is_file()
    assert (site / "cases" / f"{CASE}.html").is_file()
    assert (site / "terms" / "DystrophicCalcinosisCutis.html").is_file()
    assert (site / "queries" / "cases-by-subtype.html").is_file()
    assert not list(site.parent.glob(".site.*"))  # no staging folder left beside it
    again = CliRunner().invoke(app, ["site", "-o", str(site)])
    assert again.exit_code == 2 and "--force" in again.output


def test_one_page_per_case_and_term_named_after_the_iri(site: Path) -> None:
    cases = json.loads(CliRunner().invoke(app, ["cases", "--format", "json"]).stdout)
    pages = {p.stem for p in (site / "cases").glob("*.html")} - {"index"}
    assert pages == {row["case"].removeprefix("case:") for row in cases}


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: list[tuple[str, str, str]] = []  # (tag, attribute, value)
        self.ids: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name in ("href", "src") and value:
                self.links.append((tag, name, value))
            if name == "id" and value:
                self.ids.add(value)


def test_no_link_is_broken_and_nothing_is_loaded_from_another_host(site: Path) -> None:
    """Every href and src of every page resolves to a file of the folder (and a #fragment to an id
    on its page); only links a reader follows (<a>) may leave the site."""
    pages = sorted(site.rglob("*.html"))
    ids: dict[Path, set[str]] = {}
    links: dict[Path, list[tuple[str, str, str]]] = {}
    for page in pages:
        parser = _Links()
        parser.feed(page.read_text(encoding="utf-8"))
        ids[page], links[page] = parser.ids, parser.links
    broken: list[str] = []
    for page in pages:
        for tag, attribute, value in links[page]:
            parts = urlsplit(value)
            if parts.scheme in ("http", "https"):
                if tag != "a":
                    broken.append(f"{page.relative_to(site)}: <{tag} {attribute}> loads {value}")
                continue
            assert not parts.scheme, f"{page}: unexpected link {value}"
            target = (page.parent / unquote(parts.path)).resolve() if parts.path else page
            if not target.is_file() or site.resolve() not in target.parents:
                broken.append(f"{page.relative_to(site)}: {value}")
            elif parts.fragment and target.suffix == ".html" and parts.fragment not in ids[target]:
                broken.append(f"{page.relative_to(site)}: {value} (no such id)")
    assert not broken, "\n".join(broken[:20])
    assert len(pages) > 300  # every case, term and query has its page


# --- in the browser -------------------------------------------------------------------------------


def _missing(what: str) -> None:
    message = f"{what} is not installed (apt-get install chromium chromium-driver; pip install selenium)"
    if os.environ.get("CI"):
        pytest.fail(f"{message}: CI must run the browser tests; .ci/run installs it")
    pytest.skip(message)


class _Recorder(http.server.SimpleHTTPRequestHandler):
    requests: list[str]

    def log_message(self, format: str, *args: Any) -> None:  # the test reads the record, not stderr
        pass

    def do_GET(self) -> None:
        self.requests.append(self.path)
        super().do_GET()


@pytest.fixture(scope="module")
def server(site: Path) -> Iterator[tuple[str, list[str]]]:
    """The site served as a static host would, on 127.0.0.1, recording every path requested."""
    requests: list[str] = []
    handler = type("Handler", (_Recorder,), {"requests": requests})
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(handler, directory=str(site)))
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}/", requests
    finally:
        httpd.shutdown()
        thread.join(timeout=10)
        httpd.server_close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    try:
        from selenium import webdriver
    except ImportError:
        _missing("Selenium")
    binary = shutil.which("chromium") or shutil.which("chromium-browser")
    driver_binary = shutil.which("chromedriver") or (
        "/usr/bin/chromedriver" if Path("/usr/bin/chromedriver").is_file() else None)
    if binary is None or driver_binary is None:
        _missing("Chromium or its driver")
    options = webdriver.ChromeOptions()
    options.binary_location = str(binary)
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1280,1400",
                     "--disable-background-networking", "--no-first-run"):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"performance": "ALL"})
    driver = webdriver.Chrome(options=options, service=webdriver.ChromeService(executable_path=str(driver_binary)))
    driver.set_page_load_timeout(60)
    try:
        yield driver
    finally:
        driver.quit()


def _open(browser: Any, url: str) -> None:
    browser.get_log("performance")  # drop what earlier pages requested
    browser.get(url)


def _requested(browser: Any) -> list[str]:
    """Every URL the page asked the network for, from Chrome's DevTools log."""
    urls = []
    for entry in browser.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message["method"] == "Network.requestWillBeSent":
            urls.append(message["params"]["request"]["url"])
    return urls


def _cli_json(*args: str) -> Any:
    result = CliRunner().invoke(app, [*args, "--format", "json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_finder_lists_the_dystrophic_cases_the_named_query_lists(browser: Any, server: tuple[str, list[str]]) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    base, _ = server
    _open(browser, base + "index.html")
    Select(browser.find_element(By.ID, "f-subtype")).select_by_value("dystrophic")
    rows = browser.find_elements(By.CSS_SELECTOR, "#finder-results tbody tr")
    shown = sorted(row.get_attribute("data-case") for row in rows)
    expected = sorted({row["case"] for row in _cli_json("query", "cases-by-subtype", "-p", f"subtype={DYSTROPHIC}")})
    assert shown == expected and shown
    assert browser.find_element(By.ID, "finder-status").text.startswith(f"{len(expected)} of ")
    # free text narrows further, in any case of letters
    browser.find_element(By.ID, "f-text").send_keys("CARRASCOSA")
    rows = browser.find_elements(By.CSS_SELECTOR, "#finder-results tbody tr")
    assert [row.get_attribute("data-case") for row in rows] == [f"case:{CASE}"]


def test_case_page_shows_the_evidence_and_the_verdict_of_the_cli(browser: Any, server: tuple[str, list[str]]) -> None:
    from selenium.webdriver.common.by import By

    base, _ = server
    _open(browser, f"{base}cases/{CASE}.html")
    quotes = {q.text.strip("“”\"") for q in browser.find_elements(By.CSS_SELECTOR, "#evidence q.quote")}
    evidence = _cli_json("evidence", CASE)
    assert {row["quote"] for row in evidence if row["quote"]} == quotes
    inferred = next(r for r in _cli_json("infer", str(ROOT / "cases" / f"{CASE}.ttl")) if r["case"] == f"case:{CASE}")
    shown = browser.find_element(By.ID, "inferred-subtypes").text
    assert shown == (", ".join(inferred["inferred_subtypes"]) or "undetermined")
    placements = {row.find_element(By.TAG_NAME, "th").text: row.find_elements(By.TAG_NAME, "td")[0].text
                  for row in browser.find_elements(By.CSS_SELECTOR, "#differential tbody tr")}
    expected = {p["subtype"]: p["group"] + (" (primary)" if p["primary"] else "")
                for p in inferred["differential"]["subtypes"]}
    assert placements == expected
    assert browser.find_element(By.ID, "agreement").text == inferred["status"]
    # the source text is at hand: the quotes are marked in it
    marked = " ".join(m.text for m in browser.find_elements(By.CSS_SELECTOR, ".source-text mark"))
    assert "87-year-old woman" in " ".join(marked.split())


def test_term_link_leads_to_the_subtype_page(browser: Any, server: tuple[str, list[str]]) -> None:
    from selenium.webdriver.common.by import By

    base, _ = server
    _open(browser, f"{base}cases/{CASE}.html")
    browser.find_element(By.CSS_SELECTOR, "#inferred-subtypes a").click()
    assert browser.current_url == f"{base}terms/DystrophicCalcinosisCutis.html"
    assert browser.find_element(By.TAG_NAME, "h1").text == "dystrophic calcinosis cutis"
    assert browser.find_element(By.ID, "logical").text  # the definition in words, from the OWL axiom
    members = {a.get_attribute("href").rsplit("/", 1)[-1]
               for a in browser.find_elements(By.CSS_SELECTOR, "#members ~ ul a")}
    assert f"{CASE}.html" in members


PAGES = ["index.html", f"cases/{CASE}.html", "cases/index.html", "terms/DystrophicCalcinosisCutis.html",
         "terms/index.html", "terms/SystemicSclerosis.html", "queries/index.html",
         "queries/association-frequencies.html", "qc.html"]


@pytest.mark.parametrize("page", PAGES)
def test_page_loads_only_from_its_own_host(page: str, browser: Any, server: tuple[str, list[str]]) -> None:
    base, requests = server
    requests.clear()
    _open(browser, base + page)
    requested = _requested(browser)
    resources = browser.execute_script(
        "return performance.getEntriesByType('resource').map(function (e) { return e.name; });")
    foreign = [url for url in [*requested, *resources] if not url.startswith(base)]
    assert not foreign, foreign
    # both records saw the page's own requests, so an empty log cannot pass for a clean one
    assert base + page in requested and f"{base}static/site.css" in resources
    assert f"/{page}" in requests  # the server saw the page itself


@pytest.mark.parametrize("page", PAGES)
def test_page_has_no_serious_accessibility_violation(page: str, browser: Any, server: tuple[str, list[str]]) -> None:
    base, _ = server
    _open(browser, base + page)
    browser.execute_script(AXE.read_text(encoding="utf-8"))
    browser.set_script_timeout(120)
    result = browser.execute_async_script(
        "var done = arguments[arguments.length - 1];"
        "axe.run(document, {resultTypes: ['violations']}).then(function (r) { done(r.violations); },"
        " function (e) { done([{id: 'axe failed', impact: 'critical', help: String(e), nodes: []}]); });")
    serious = [f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes'][:3]]}"
               for v in result if v["impact"] in ("serious", "critical")]
    assert not serious, "\n".join(serious)


def test_quality_page_shows_validation_report_and_agreement(browser: Any, server: tuple[str, list[str]]) -> None:
    from collections import Counter

    from selenium.webdriver.common.by import By

    base, _ = server
    _open(browser, base + "qc.html")
    validated = CliRunner().invoke(app, ["validate"])
    status = browser.find_element(By.ID, "validation-status").text
    assert status.startswith("Valid:") == (validated.exit_code == 0)
    levels = {row.find_element(By.TAG_NAME, "th").text: int(row.find_element(By.TAG_NAME, "td").text)
              for row in browser.find_elements(By.CSS_SELECTOR, "#report-levels tbody tr")}
    reported = Counter(finding["level"] for finding in _cli_json("report", "--fail-on", "none"))
    assert levels == {level: reported.get(level, 0) for level in levels} and set(reported) <= set(levels)
    audit = _cli_json("audit")["cases"]
    named = [row for row in audit if row["authors_subtypes"]]
    included = sum(set(row["authors_subtypes"]) <= set(row["inferred_subtypes"]) for row in named)
    assert f"inclusion {100 * included / len(named):.1f}%" in browser.find_element(By.ID, "agreement-figures").text
    differing = {row["case"] for row in named if set(row["authors_subtypes"]) != set(row["inferred_subtypes"])}
    shown = {row.find_element(By.TAG_NAME, "td").text
             for row in browser.find_elements(By.CSS_SELECTOR, "#disagreements tbody tr")}
    assert shown == differing


def test_keyboard_reaches_the_skip_link_and_the_finder(browser: Any, server: tuple[str, list[str]]) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    base, _ = server
    _open(browser, base + "index.html")
    body = browser.find_element(By.TAG_NAME, "body")
    body.send_keys(Keys.TAB)
    assert browser.switch_to.active_element.get_attribute("class") == "skip"
    labelled = browser.execute_script(
        "return Array.from(document.querySelectorAll('#finder input, #finder select'))"
        ".every(function (e) { return e.labels && e.labels.length === 1; });")
    assert labelled


def test_readable_on_a_phone_and_screenshots(browser: Any, server: tuple[str, list[str]]) -> None:
    """No page scrolls sideways at a phone's width; with KB_SITE_SCREENSHOTS=1 the README's
    screenshots are taken (at a desktop's width)."""
    base, _ = server
    try:
        browser.set_window_size(390, 844)
        for page in ("index.html", f"cases/{CASE}.html", "qc.html"):
            _open(browser, base + page)
            wide = browser.execute_script("return document.documentElement.scrollWidth > window.innerWidth + 1;")
            assert not wide, f"{page} scrolls sideways on a phone"
    finally:
        browser.set_window_size(1280, 1400)
    if os.environ.get("KB_SITE_SCREENSHOTS"):
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        for page, name in (("index.html", "site-home.png"), (f"cases/{CASE}.html", "site-case.png")):
            _open(browser, base + page)
            browser.save_screenshot(str(SCREENSHOTS / name))
            assert (SCREENSHOTS / name).stat().st_size > 10_000


def test_links_resolve_in_the_browser_too(browser: Any, server: tuple[str, list[str]]) -> None:
    """The home page's links, followed by the browser against the server: each answers 200."""
    import urllib.request

    from selenium.webdriver.common.by import By

    base, _ = server
    _open(browser, base + "index.html")
    hrefs = {a.get_attribute("href") for a in browser.find_elements(By.CSS_SELECTOR, "a[href]")}
    for href in sorted(h for h in hrefs if h.startswith(base)):
        with urllib.request.urlopen(urljoin(base, urlsplit(href).path), timeout=10) as answer:
            assert answer.status == 200, href


def test_the_accessibility_check_finds_a_violation_where_there_is_one(browser: Any) -> None:
    """axe-core, as injected above, reports an unlabelled field: the check above can fail."""
    browser.get("data:text/html,<!doctype html><html lang=en><title>t</title><main><input type=text></main></html>")
    browser.execute_script(AXE.read_text(encoding="utf-8"))
    ids = browser.execute_async_script(
        "var done = arguments[arguments.length - 1];"
        "axe.run(document).then(function (r) { done(r.violations.map(function (v) { return v.id; })); });")
    assert "label" in ids


def test_a_condition_page_shows_the_literature_claims_about_it(browser: Any, server: tuple[str, list[str]]) -> None:
    """The claims of knowledge.ttl about systemic sclerosis, as the named query gives them."""
    from rdflib import Graph, Namespace
    from selenium.webdriver.common.by import By

    cckb = Namespace("https://w3id.org/calcinosis-kb/ontology/")
    knowledge = Graph().parse(ROOT / "ontology" / "knowledge.ttl")
    about = {f"cckb:{str(c).rsplit('/', 1)[-1]}" for c in knowledge.subjects(cckb.aboutCondition,
                                                                             cckb.SystemicSclerosis)}
    rows = [row for row in _cli_json("query", "association-frequencies") if row["claim"] in about]
    base, _ = server
    _open(browser, f"{base}terms/SystemicSclerosis.html")
    shown = browser.find_elements(By.CSS_SELECTOR, "#claims-table tbody tr")
    assert rows and len(shown) == len(rows)
    assert {row["statement"] for row in rows} == {tr.find_element(By.TAG_NAME, "td").text for tr in shown}
