"""The built site driven in headless Chromium, the way a reader uses it.

Builds the site (stored chapter outputs, which nbval checks elsewhere; no re-execution) into a
temporary folder, serves it on localhost and checks, for the landing page and every chapter
in both languages: no console errors, no broken images, figures present; a Chinese and an
English search each find the expected chapter; the language link reaches the twin; the Colab
link points at the chapter's notebook on main. Screenshots of two pages are saved under
``_build/browser-screenshots/``. The tests that drive the browser skip, saying why, where
Chromium or its driver is missing (``.ci/run`` installs Debian's ``chromium`` and
``chromium-driver``); a chapter of ``CHAPTERS`` missing from the table of contents or from the
build fails, with or without a browser.
"""

from __future__ import annotations

import functools
import http.server
import json
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
    """The built HTML: built here with the book's configuration, execution off."""
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
        solutions[0].find_element(By.CSS_SELECTOR, ".admonition-title").click()
        time.sleep(0.3)
        assert solutions[0].find_elements(By.CSS_SELECTOR, "section")[0].is_displayed(), (
            f"{page}: a solution does not open"
        )
