"""The built site driven in headless Chromium, the way a reader uses it.

Builds the site (stored chapter outputs, which nbval checks elsewhere; no re-execution) into a
temporary folder, serves it on localhost and checks, for the landing page and every chapter
in both languages: no console errors, no broken images, figures present; a Chinese and an
English search each find the expected chapter; the language link reaches the twin; the Colab
link points at the chapter's notebook on main. A reader on a phone (390 x 844) opens the chapter
list and the page's contents and follows a chapter link, and sees figures at a legible size;
every page declares its language; the language link lands on the matching section of the twin;
the math renders from the site's own MathJax with the network cut off; search snippets are
plain text with whole Chinese terms highlighted. Screenshots are saved under
``_build/browser-screenshots/``. The tests that drive the browser skip, saying why, where
Chromium or its driver is missing (``.ci/run`` installs Debian's ``chromium`` and
``chromium-driver``); a chapter of ``CHAPTERS`` missing from the table of contents or from the
build fails, with or without a browser.
"""

from __future__ import annotations

import functools
import http.server
import json
import os
import re
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import quote, urlparse

import pytest
import yaml
from test_book import CHAPTERS

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")
SCREENSHOTS = ROOT / "_build" / "browser-screenshots"

NO_BROWSER = (
    "needs Debian's chromium and chromium-driver (apt-get install chromium chromium-driver); "
    ".ci/run installs them"
)
pytestmark = pytest.mark.slow

# (query, page it must find): every page is a chapter of CHAPTERS.
SEARCHES = [
    ("交叉熵", "book/zh/classification"),
    ("焦点损失", "book/zh/classification"),
    ("cross-entropy", "book/en/classification"),
    ("focal", "book/en/classification"),
    ("均方误差", "book/zh/regression"),
    ("分位数", "book/zh/regression"),
    ("quantile", "book/en/regression"),
]


def chapters() -> list[str]:
    """Every chapter page of the table of contents, both languages, in its order. A chapter of
    CHAPTERS that the table of contents drops fails here instead of leaving the tests."""
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))
    pages = []

    def walk(entries):
        for entry in entries:
            if "file" in entry:
                pages.append(entry["file"])
            walk(entry.get("sections", []))

    for part in toc["parts"]:
        walk(part["chapters"])
    expected = {f"book/{lang}/{name}" for name in CHAPTERS for lang in ("zh", "en")}
    missing = sorted(expected - set(pages))
    assert not missing, f"chapters of CHAPTERS missing from _toc.yml: {missing}"
    return [p for p in pages if p in expected or (ROOT / f"{p}.ipynb").exists()]


def figures_stored(page: str) -> int:
    nb = json.loads((ROOT / f"{page}.ipynb").read_text(encoding="utf-8"))
    return sum(
        "image/png" in out.get("data", {})
        for cell in nb["cells"]
        if cell["cell_type"] == "code"
        for out in cell.get("outputs", [])
    )


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    """The built HTML: built here with the book's configuration, execution off.

    ``LOSSBOOK_SITE=_build/html`` tests a site already built with the README's command instead
    (while working on the site: the build takes minutes, the browser tests seconds).
    """
    if os.environ.get("LOSSBOOK_SITE"):
        built = Path(os.environ["LOSSBOOK_SITE"]).resolve()
        assert (built / "index.html").is_file(), f"LOSSBOOK_SITE={built} holds no built site"
        return built
    out = tmp_path_factory.mktemp("site")
    config = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))
    config["execute"]["execute_notebooks"] = "off"  # the stored outputs, verified by nbval
    # paths in the configuration are relative to it: make them absolute for the copy
    config["sphinx"]["local_extensions"] = {
        name: str(ROOT / path) for name, path in config["sphinx"]["local_extensions"].items()
    }
    config["bibtex_bibfiles"] = [str(ROOT / p) for p in config["bibtex_bibfiles"]]
    if "favicon" in config.get("html", {}):
        config["html"]["favicon"] = str(ROOT / config["html"]["favicon"])
    config_path = out / "_config.yml"
    config_path.write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    jupyter_book = Path(sys.executable).with_name("jupyter-book")
    result = subprocess.run(
        [
            str(jupyter_book),
            "build",
            str(ROOT),
            "--config",
            str(config_path),
            "--path-output",
            str(out),
            "-n",
            "-W",
            "--keep-going",
        ],
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
    return out / "_build" / "html"


@pytest.fixture(scope="module")
def base_url(site):
    handler = functools.partial(_QuietHandler, directory=str(site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def test_every_chapter_is_in_the_table_of_contents():
    assert len(chapters()) >= 2 * len(CHAPTERS)


def test_every_chapter_is_built(site):
    for page in chapters():
        assert (site / f"{page}.html").is_file(), f"{page} is in _toc.yml but not in the built site"


@pytest.fixture(scope="module")
def browser():
    if CHROMIUM is None or CHROMEDRIVER is None:
        pytest.skip(NO_BROWSER)
    webdriver = pytest.importorskip("selenium.webdriver")
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--window-size=1280,1000",
    ):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    yield driver
    driver.quit()


def console_errors(driver, base_url) -> list[str]:
    """Console errors of the page, less failures to fetch other hosts (this machine is offline)."""
    errors = []
    for entry in driver.get_log("browser"):
        if entry["level"] != "SEVERE":
            continue
        message = entry["message"]
        url = message.split(" ", 1)[0]
        if entry.get("source") == "network" and urlparse(url).netloc not in ("", urlparse(base_url).netloc):
            continue  # e.g. MathJax from its CDN: fetched by a reader's browser, not in this sandbox
        errors.append(message)
    return errors


def open_page(driver, url: str):
    driver.get(url)
    driver.execute_script("return document.readyState")
    deadline = time.time() + 10
    while driver.execute_script("return document.readyState") != "complete" and time.time() < deadline:
        time.sleep(0.05)


def test_landing_and_every_chapter_load_cleanly(browser, base_url):
    from selenium.webdriver.common.by import By

    pages = ["book/index", *chapters()]
    assert len(pages) >= 3
    for page in pages:
        open_page(browser, f"{base_url}/{page}.html")
        assert browser.find_elements(By.CSS_SELECTOR, "main h1"), f"{page}: no title"
        assert console_errors(browser, base_url) == [], f"{page}: console errors"
        broken = browser.execute_script(
            "return Array.from(document.images)"
            ".filter(i => !i.complete || i.naturalWidth === 0).map(i => i.src)"
        )
        assert broken == [], f"{page}: broken images {broken}"
        if page != "book/index":
            figures = browser.execute_script(
                "return document.querySelectorAll('.cell_output img, .output img').length"
            )
            assert figures >= figures_stored(page), (
                f"{page}: {figures} figures shown, {figures_stored(page)} stored"
            )


@pytest.mark.parametrize("query, expected", SEARCHES, ids=[q for q, _ in SEARCHES])
def test_search_finds_the_chapter(browser, base_url, query, expected):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    assert expected in chapters(), f"{expected} is not in the book"
    open_page(browser, f"{base_url}/search.html?q={quote(query)}")
    WebDriverWait(browser, 30).until(
        lambda d: d.execute_script(
            "const s = document.querySelector('#search-results');"
            "return s && (s.querySelectorAll('li').length > 0"
            " || /\\S/.test(s.querySelector('p')?.innerText || ''))"
        )
    )
    hits = [a.get_attribute("href") for a in browser.find_elements(By.CSS_SELECTOR, "#search-results li a")]
    assert any(urlparse(h).path == f"/{expected}.html" for h in hits), f"{query!r} found {hits[:8]}"


def test_language_link_goes_to_the_twin_and_colab_link_to_the_notebook(browser, base_url):
    from selenium.webdriver.common.by import By

    repository = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))["repository"]["url"]
    for page in chapters():
        lang, name = page.split("/")[1:]
        twin = f"book/{'en' if lang == 'zh' else 'zh'}/{name}"
        open_page(browser, f"{base_url}/{page}.html")
        colab = [
            a.get_attribute("href")
            for a in browser.find_elements(By.CSS_SELECTOR, "a")
            if "colab.research.google.com" in (a.get_attribute("href") or "")
        ]
        expected_colab = f"https://colab.research.google.com/github/{urlparse(repository).path.strip('/')}/blob/main/{page}.ipynb"
        assert colab == [expected_colab], f"{page}: Colab links {colab}"
        links = browser.find_elements(By.CSS_SELECTOR, "a.lossbook-twin-link")
        assert len(links) == 1, f"{page}: {len(links)} language links"
        top = browser.execute_script(
            "const main = document.querySelector('main');"
            "const link = document.querySelector('a.lossbook-twin-link');"
            "return link.getBoundingClientRect().top - main.getBoundingClientRect().top"
        )
        assert top < 200, f"{page}: the language link is not at the top ({top}px down)"
        links[0].click()
        assert urlparse(browser.current_url).path == f"/{twin}.html"


def test_screenshots(browser, base_url):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for page, name in (("book/index", "landing.png"), (chapters()[0], "chapter.png")):
        open_page(browser, f"{base_url}/{page}.html")
        path = SCREENSHOTS / name
        assert browser.save_screenshot(str(path))
        assert path.stat().st_size > 10_000


def test_exercises_are_numbered_per_page_in_the_page_language_with_solutions_folded(browser, base_url):
    from selenium.webdriver.common.by import By

    for page in chapters():
        if page.endswith("appendix-benchmarks"):
            continue
        open_page(browser, f"{base_url}/{page}.html")
        titles = [e.text for e in browser.find_elements(By.CSS_SELECTOR, ".exercise .caption-number")]
        word = "练习" if page.startswith("book/zh/") else "Exercise"
        assert titles == [f"{word} {i}" for i in range(1, len(titles) + 1)] and len(titles) >= 4, (
            f"{page}: {titles}"
        )
        solutions = browser.find_elements(By.CSS_SELECTOR, ".solution")
        assert len(solutions) == len(titles), (
            f"{page}: {len(solutions)} solutions for {len(titles)} exercises"
        )
        hints = {
            b.get_attribute("data-toggle-hint")
            for b in browser.find_elements(By.CSS_SELECTOR, ".solution button.toggle-button")
        }
        assert hints == {"点击显示" if page.startswith("book/zh/") else "Click to show"}, (
            f"{page}: toggle hints {hints}"
        )
        for solution in solutions:
            body = solution.find_elements(By.CSS_SELECTOR, "section")
            assert body and not body[0].is_displayed(), f"{page}: a solution is open before it is asked for"
        title = solutions[0].find_element(By.CSS_SELECTOR, ".admonition-title")
        browser.execute_script("arguments[0].scrollIntoView({block: 'center'}); arguments[0].click()", title)
        time.sleep(0.3)
        assert solutions[0].find_elements(By.CSS_SELECTOR, "section")[0].is_displayed(), (
            f"{page}: a solution does not open"
        )


# ---------------------------------------------------------------------------------------------
# A reader on a phone, offline, and in the search box (issue 16)

PHONE = (390, 844)


@pytest.fixture
def phone(browser):
    """The browser at a phone's size (390 x 844 CSS pixels), back to the desktop size after."""
    browser.set_window_size(*PHONE)
    # set_window_size sets the outer window; make the page's viewport 390 px wide.
    inner = browser.execute_script("return [window.innerWidth, window.innerHeight]")
    browser.set_window_size(2 * PHONE[0] - inner[0], 2 * PHONE[1] - inner[1])
    assert browser.execute_script("return window.innerWidth") == PHONE[0]
    yield browser
    browser.set_window_size(1280, 1000)


def shoot(driver, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / name
    assert driver.save_screenshot(str(path))
    return path


def visible(driver, element) -> bool:
    """On screen: displayed, with a box that lies at least partly inside the window."""
    return driver.execute_script(
        "const r = arguments[0].getBoundingClientRect();"
        "const s = getComputedStyle(arguments[0]);"
        "return s.visibility !== 'hidden' && s.display !== 'none' && r.width > 0 && r.height > 0"
        " && r.right > 0 && r.left < window.innerWidth && r.bottom > 0 && r.top < window.innerHeight",
        element,
    )


def test_every_page_declares_its_language(site):
    pages = sorted(site.rglob("*.html"))
    assert pages
    for path in pages:
        page = path.relative_to(site).with_suffix("").as_posix()
        head = path.read_text(encoding="utf-8")[:2000]
        if "<html" not in head:
            continue  # the root index.html is a redirect
        match = re.search(r'<html[^>]*\slang="([^"]+)"', head)
        expected = "zh-CN" if page.startswith("book/zh/") else "en"
        assert match and match.group(1) == expected, f"{page}: <html lang> is {match and match.group(1)}"


def test_the_site_reads_offline_with_math_from_its_own_files(site):
    """MathJax ships with the site: no page loads a script from another host."""
    assert (site / "_static" / "mathjax" / "tex-mml-chtml.js").is_file()
    assert (site / "_static" / "mathjax" / "output" / "chtml" / "fonts" / "woff-v2").is_dir()
    for path in site.rglob("*.html"):
        for src in re.findall(r'<script[^>]*\ssrc="([^"]+)"', path.read_text(encoding="utf-8")):
            assert not urlparse(src).netloc, f"{path.relative_to(site)} loads {src}"


def test_phone_reader_opens_both_sidebars_and_follows_a_chapter_link(phone, base_url):
    from selenium.webdriver.common.by import By

    first, second = chapters()[0], chapters()[1]
    open_page(phone, f"{base_url}/{first}.html")
    # One top bar and one search button: the theme pair must not add a second header.
    searches = [
        e
        for e in phone.find_elements(By.CSS_SELECTOR, ".search-button, .search-button-field")
        if visible(phone, e)
    ]
    assert len(searches) <= 1, f"{len(searches)} search buttons on a phone"
    headers = [
        e
        for e in phone.find_elements(By.CSS_SELECTOR, "header.bd-header, .bd-header-article")
        if visible(phone, e)
    ]
    assert len(headers) == 1, f"{len(headers)} top bars on a phone"

    primary = phone.find_element(By.CSS_SELECTOR, ".bd-sidebar-primary")
    assert not visible(phone, primary), "the chapter list covers the page before it is asked for"
    toggle = next(e for e in phone.find_elements(By.CSS_SELECTOR, ".primary-toggle") if visible(phone, e))
    toggle.click()
    time.sleep(0.5)
    assert visible(phone, primary), "the ☰ button does not open the chapter list"
    shoot(phone, "phone-menu.png")
    link = next(
        a
        for a in primary.find_elements(By.CSS_SELECTOR, "nav a.reference.internal")
        if urlparse(a.get_attribute("href")).path == f"/{second}.html"
    )
    phone.execute_script("arguments[0].scrollIntoView({block: 'center'})", link)
    link.click()
    deadline = time.time() + 10
    while urlparse(phone.current_url).path != f"/{second}.html" and time.time() < deadline:
        time.sleep(0.1)
    assert urlparse(phone.current_url).path == f"/{second}.html", "a chapter link in the menu leads nowhere"

    open_page(phone, f"{base_url}/{first}.html")
    secondary = phone.find_element(By.CSS_SELECTOR, ".bd-sidebar-secondary")
    assert not visible(phone, secondary)
    toggle = next(e for e in phone.find_elements(By.CSS_SELECTOR, ".secondary-toggle") if visible(phone, e))
    toggle.click()
    time.sleep(0.5)
    assert visible(phone, secondary), "the contents button does not open the page's contents"
    entries = [a for a in secondary.find_elements(By.CSS_SELECTOR, "a") if visible(phone, a)]
    assert len(entries) >= 3, "the page's contents are empty"
    shoot(phone, "phone-contents.png")


def test_figures_keep_a_legible_size_on_a_phone(phone, base_url):
    checked = 0
    for page in chapters():
        if not figures_stored(page):
            continue
        open_page(phone, f"{base_url}/{page}.html")
        sizes = phone.execute_script(
            "return Array.from(document.querySelectorAll('.cell_output img')).map(i => {"
            "  let box = i.parentElement;"
            "  while (box && box.scrollWidth <= box.clientWidth && box !== document.body)"
            "    box = box.parentElement;"
            "  const scrolls = !!box && box !== document.body"
            "    && ['auto', 'scroll'].includes(getComputedStyle(box).overflowX);"
            "  return {natural: i.naturalWidth, shown: i.getBoundingClientRect().width,"
            "          page: document.documentElement.scrollWidth, scrolls: scrolls,"
            "          link: i.closest('a') ? i.closest('a').href : null, src: i.src}})"
        )
        for size in sizes:
            assert size["shown"] >= min(size["natural"], 760) - 1, f"{page}: a figure shrinks to {size}"
            if size["shown"] > PHONE[0]:
                assert size["scrolls"], f"{page}: a wide figure is cut off without a scrollbar: {size}"
            assert size["link"] == size["src"], f"{page}: a figure does not open full size: {size}"
            checked += 1
        if checked and page == chapters()[0]:
            wide = phone.execute_script(
                "return Array.from(document.querySelectorAll('.cell_output img'))"
                ".find(i => i.getBoundingClientRect().width > window.innerWidth) || null"
            )
            if wide is not None:
                phone.execute_script("arguments[0].scrollIntoView({block: 'center'})", wide)
                time.sleep(0.3)
                shoot(phone, "phone-figure.png")
    assert checked > 0


def test_language_switch_lands_on_the_matching_section(browser, base_url):
    from selenium.webdriver.common.by import By

    for page in chapters():
        lang, name = page.split("/")[1:]
        twin = f"book/{'en' if lang == 'zh' else 'zh'}/{name}"
        open_page(browser, f"{base_url}/{page}.html")
        link = browser.find_element(By.CSS_SELECTOR, "a.lossbook-twin-link")
        sections = json.loads(link.get_attribute("data-sections"))
        ids = list(sections)
        assert len(ids) >= 2, f"{page}: the language link maps {len(ids)} sections"
        # every section of the page lands on a section of the twin (the map pairs them in order)
        here = ids[len(ids) // 2]
        open_page(browser, f"{base_url}/{page}.html#{here}")
        time.sleep(0.2)
        browser.execute_script("document.querySelector('a.lossbook-twin-link').click()")
        deadline = time.time() + 10
        while urlparse(browser.current_url).path != f"/{twin}.html" and time.time() < deadline:
            time.sleep(0.1)
        url = urlparse(browser.current_url)
        assert url.path == f"/{twin}.html" and url.fragment == sections[here], (
            f"{page}#{here} -> {browser.current_url}"
        )
        assert browser.execute_script("return !!document.getElementById(arguments[0])", sections[here]), (
            f"{twin} has no section {sections[here]}"
        )


def test_math_renders_offline_from_disk(browser, site):
    """The README's way to read: open the built files from disk, with the network cut off."""
    page = next(p for p in chapters() if "\\(" in (site / f"{p}.html").read_text(encoding="utf-8"))
    browser.execute_cdp_cmd("Network.enable", {})
    browser.execute_cdp_cmd(
        "Network.emulateNetworkConditions",
        {"offline": True, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1},
    )
    try:
        open_page(browser, (site / f"{page}.html").as_uri())
        deadline = time.time() + 30
        while time.time() < deadline:
            state = browser.execute_script(
                "return {math: document.querySelectorAll('.math').length,"
                " rendered: document.querySelectorAll('.math mjx-container, mjx-container.MathJax').length,"
                " raw: (document.querySelector('article').innerText.match(/\\\\\\(|\\\\\\[/g) || []).length}"
            )
            if state["math"] and state["rendered"] >= state["math"] and state["raw"] == 0:
                break
            time.sleep(0.25)
        assert state["math"] > 0 and state["rendered"] >= state["math"], f"{page} offline: {state}"
        assert state["raw"] == 0, f"{page} offline: raw LaTeX left in the text: {state}"
        shoot(browser, "offline-math.png")
    finally:
        browser.execute_cdp_cmd(
            "Network.emulateNetworkConditions",
            {"offline": False, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1},
        )


@pytest.mark.parametrize("query", ["交叉熵", "cross-entropy", "分位数"])
def test_search_snippets_are_plain_text_with_whole_terms_highlighted(browser, base_url, query):
    from selenium.webdriver.support.ui import WebDriverWait

    open_page(browser, f"{base_url}/search.html?q={quote(query)}")
    WebDriverWait(browser, 30).until(
        lambda d: d.execute_script(
            "return document.querySelectorAll('#search-results li p.context').length >= 3"
        )
    )
    time.sleep(0.5)
    snippets = browser.execute_script(
        "return Array.from(document.querySelectorAll('#search-results li p.context')).map(p => ({"
        " text: p.innerText, marked: Array.from(p.querySelectorAll('.highlighted')).map(s => s.innerText)}))"
    )
    assert snippets
    for snippet in snippets:
        text = snippet["text"]
        assert not re.search(r"\\[a-zA-Z(\[]|\$\$", text), f"{query!r}: raw LaTeX in {text!r}"
        assert not re.match(r"\W*(Contents|目录|本页内容)", text), f"{query!r}: a contents list in {text!r}"
    marked = {m.lower() for s in snippets for m in s["marked"]}
    assert marked, f"{query!r}: nothing highlighted in {snippets[:3]}"
    if re.search(r"[\u4e00-\u9fff]", query):
        assert marked == {query}, f"{query!r}: highlighted {marked}, not the whole term"
    if query == "交叉熵":
        shoot(browser, "search-zh.png")
