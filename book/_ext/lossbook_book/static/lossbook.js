/* lossbook's site behaviour, loaded on every page (book/_ext/lossbook_book/page.py).
 *
 * 1. The language switch keeps the reader's place: it opens the twin page at the section the
 *    reader is in (the link's data-sections maps this page's section ids to the twin's).
 * 2. A figure opens full size when clicked, so a phone reader can zoom into it.
 * 3. Search results: a snippet of the page's text (not its contents list), math as plain
 *    text instead of raw LaTeX, and whole Chinese terms highlighted (交叉熵, not 交叉).
 */
"use strict";

const lossbookCjkRun = /[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+/gu;
const lossbookCjkChar = /[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]/u;

/* --- 1. the language switch ---------------------------------------------------------------- */

/* Whether the reader has scrolled by hand since the page opened at its address's section.
 * Until then the address names the section being read: the browser's own jump to it can be
 * undone by figures and formulas that take their size later, so positions would mislead. */
let lossbookScrolledByHand = false;
for (const event of ["wheel", "touchmove", "keydown"]) {
  window.addEventListener(event, () => { lossbookScrolledByHand = true; }, { passive: true });
}
window.addEventListener("hashchange", () => { lossbookScrolledByHand = false; });

/* The id of the section the reader is in: the one the address names until the reader scrolls
 * by hand, then the last heading above the top of the window. */
function lossbookCurrentSection(sections) {
  const named = decodeURIComponent(window.location.hash.slice(1));
  if (named in sections && !lossbookScrolledByHand) return named;
  if (window.scrollY < 50) return null;
  let current = null;
  for (const id of Object.keys(sections)) {
    const element = document.getElementById(id);
    if (!element) continue;
    const heading = element.querySelector("h1, h2, h3, h4, h5, h6") || element;
    if (heading.getBoundingClientRect().top <= 120) current = id;
  }
  return current;
}

function lossbookTwinLinks() {
  for (const link of document.querySelectorAll("a.lossbook-twin-link[data-sections]")) {
    const sections = JSON.parse(link.dataset.sections || "{}");
    const aim = () => {
      const base = link.getAttribute("href").split("#")[0];
      const here = lossbookCurrentSection(sections);
      link.setAttribute("href", here ? `${base}#${sections[here]}` : base);
    };
    // Set before the browser follows (or copies) the link.
    for (const event of ["click", "auxclick", "contextmenu", "focus", "mouseenter", "touchstart"]) {
      link.addEventListener(event, aim, { passive: true });
    }
  }
}

/* --- 2. figures open full size --------------------------------------------------------------- */

function lossbookFigureLinks() {
  for (const image of document.querySelectorAll(".cell_output img")) {
    if (image.closest("a")) continue;
    const link = document.createElement("a");
    link.href = image.getAttribute("src");
    link.className = "lossbook-figure-link";
    link.title = document.documentElement.lang.startsWith("zh") ? "点击查看原图" : "Open full size";
    image.replaceWith(link);
    link.appendChild(image);
  }
}

/* --- 3. search results ----------------------------------------------------------------------- */

const LOSSBOOK_GREEK = {
  alpha: "α", beta: "β", gamma: "γ", delta: "δ", epsilon: "ε", varepsilon: "ε", zeta: "ζ",
  eta: "η", theta: "θ", kappa: "κ", lambda: "λ", mu: "μ", nu: "ν", xi: "ξ", pi: "π", rho: "ρ",
  sigma: "σ", tau: "τ", phi: "φ", varphi: "φ", chi: "χ", psi: "ψ", omega: "ω", Gamma: "Γ",
  Delta: "Δ", Theta: "Θ", Lambda: "Λ", Sigma: "Σ", Phi: "Φ", Psi: "Ψ", Omega: "Ω",
  sum: "∑", prod: "∏", infty: "∞", cdot: "·", times: "×", le: "≤", leq: "≤", ge: "≥",
  geq: "≥", ne: "≠", neq: "≠", approx: "≈", to: "→", in: "∈", partial: "∂", nabla: "∇",
  log: "log", exp: "exp", max: "max", min: "min", sqrt: "√", mid: "|", lvert: "|", rvert: "|",
};

/* LaTeX as a reader would say it in plain text: \(\frac{a}{b}\) -> a/b, \alpha -> α. */
function lossbookLatexToText(tex) {
  return tex
    .replace(/^\s*(\\\(|\\\[|\$\$?)|(\\\)|\\\]|\$\$?)\s*$/g, "")
    .replace(/\\(?:mathrm|mathbf|mathit|text|operatorname|boldsymbol|mathcal)\s*\{([^{}]*)\}/g, "$1")
    .replace(/\\frac\s*\{([^{}]*)\}\s*\{([^{}]*)\}/g, "($1)/($2)")
    .replace(/\\(left|right|big|Big|bigg|Bigg)\b/g, "")
    .replace(/\\([A-Za-z]+)/g, (whole, name) => LOSSBOOK_GREEK[name] ?? "")
    .replace(/\\[,;:! ]/g, " ")
    .replace(/[{}]/g, "")
    .replace(/\s+/g, " ")
    .trim();
}

function lossbookPageText(htmlString, anchor) {
  const page = new DOMParser().parseFromString(htmlString, "text/html");
  const main = page.querySelector("article.bd-article") || page.querySelector('[role="main"]');
  if (!main) return "";
  const drop = [
    ".headerlink", "script", "style", "nav", ".toctree-wrapper", ".contents", ".lossbook-twin",
    "div.math", ".math-wrapper", ".cell_input", ".cell_output", "img", ".bd-toc",
  ];
  for (const query of drop) main.querySelectorAll(query).forEach((element) => element.remove());
  for (const math of main.querySelectorAll("span.math")) {
    math.replaceWith(page.createTextNode(lossbookLatexToText(math.textContent)));
  }
  const root = (anchor && main.querySelector(anchor)) || main;
  return root.textContent.replace(/\s+/g, " ").trim();
}

function lossbookSearch() {
  if (typeof Search === "undefined") return;
  Search.htmlToText = lossbookPageText;
  const parseQuery = Search._parseQuery;
  if (typeof parseQuery !== "function") return;
  Search._parseQuery = (query) => {
    const parsed = parseQuery(query);
    const highlight = parsed[3];
    const runs = query.match(lossbookCjkRun) || [];
    if (runs.length && highlight instanceof Set) {
      // Highlight each Chinese run of the query whole; its two-character pieces find the pages.
      const kept = [...highlight].filter((term) => !lossbookCjkChar.test(term));
      highlight.clear();
      for (const term of [...runs, ...kept]) highlight.add(term.toLowerCase());
      if (typeof SPHINX_HIGHLIGHT_ENABLED !== "undefined" && SPHINX_HIGHLIGHT_ENABLED) {
        localStorage.setItem("sphinx_highlight_terms", [...highlight].join(" "));
      }
    }
    return parsed;
  };
}

// Search.init runs on DOMContentLoaded: the overrides must be in place before it.
lossbookSearch();
document.addEventListener("DOMContentLoaded", () => {
  lossbookTwinLinks();
  lossbookFigureLinks();
});
