"""What every step of a journey (tests/e2e/test_journeys.py) checks, and its screenshot.

A `Journey` wraps the steps of one person's scenario. After each step it fails on:
  - an htmx error event (`htmx:responseError`, `sendError`, `targetError`, `swapError`,
    `onLoadError`), reported from the page by an init script, so none is lost to a navigation;
  - an HTTP 4xx/5xx answer the step did not announce with `expect_status`, or a request
    that failed on the way (`requestfailed`);
  - a console error, uncaught exception or CSP violation (the e2e conftest's collector);
and, on zh-Hans pages, it collects every visible English word outside the allow-list below:
these are listed together when the journey ends, each with its step and URL, so one run shows
every leak rather than the first. After each step (and on failure) a full-page screenshot goes
to build/journeys/<language>/<journey>/<NN>-<step>.png.
"""

from __future__ import annotations

import json
import re
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "build" / "journeys"

HTMX_ERROR_EVENTS = (
    "htmx:responseError",
    "htmx:sendError",
    "htmx:targetError",
    "htmx:swapError",
    "htmx:onLoadError",
)
# Runs in every document before the page's scripts. htmx fires its events on the element
# and they bubble to the document; the report goes straight to the test (exposed function),
# so an error just before a navigation is not lost with the page's `window`.
HTMX_LISTENER = """
(() => {
  const names = __NAMES__;
  const describe = (el) => !el || !el.tagName ? "" : el.tagName.toLowerCase()
    + (el.id ? "#" + el.id : "")
    + (el.classList.length ? "." + [...el.classList].join(".") : "")
    + ["hx-get", "hx-post"].map((a) => el.getAttribute(a) ? `[${a}=${el.getAttribute(a)}]` : "").join("");
  for (const name of names) {
    document.addEventListener(name, (evt) => {
      const d = evt.detail || {};
      const xhr = d.xhr;
      const cfg = d.requestConfig || {};
      const elt = d.elt || evt.target;
      window.__reportHtmxError([
        name,
        (cfg.verb || "").toUpperCase(),
        cfg.path || (xhr && xhr.responseURL) || "",
        xhr ? String(xhr.status) : "",
        typeof d.target === "string" ? d.target : describe(d.target),
        describe(elt),
        document.location.href,
      ].join(" | "));
    }, true);
  }
})();
""".replace("__NAMES__", json.dumps(HTMX_ERROR_EVENTS))

# ------------------------------------------------------------------ English on Chinese pages
#
# The allow-list: Latin text a Chinese page may show. Anything else made of Latin letters is
# a string the product forgot to translate (or data that should not be English).

# Project keys and work item / requirement / risk keys (MALL-12, MALL-R3, PAY-RISK-2).
ALLOWED_PATTERNS = [
    re.compile(r"\b(?:MALL|S11|PAY)(?:-(?:R|RISK-)?\d+)?\b"),
    # Priority codes P0–P3 and the percentiles P50/P85/P95 of cycle and lead time.
    re.compile(r"\bP(?:[0-3]|50|85|95)\b"),
    # Names that are codes in themselves, written with a slash or a space.
    re.compile(r"\bA/B\b"),
    re.compile(r"\bPCI DSS\b"),
    # Quarters as the OKR periods are coded (2026-Q4), and business models (B2B, B2C).
    re.compile(r"\b\d{4}-Q[1-4]\b"),
    re.compile(r"\bB2[BC]\b"),
]
ALLOWED_WORDS = frozenset(
    [
        # Method and metric acronyms the team uses untranslated.
        *("GMV", "DAU", "MAU", "CTR", "CVR", "KPI", "OKR", "RICE", "WSJF", "MoSCoW", "Kano"),
        # Technology acronyms in the demo's own requirement titles and tags.
        *("AR", "AI", "UGC"),
        # Keyboard keys named in the triage help ("然后按 Enter"); key caps in <kbd> are skipped.
        *("Enter", "Ctrl", "Esc"),
        # File formats and platforms.
        *("CSV", "Excel", "API", "SDK", "iOS", "Android", "App", "CDN", "H5"),
        # Regulations and standards.
        *("PIPL", "GDPR", "PCI", "DSS"),
        # Currency codes.
        *("CNY", "USD", "SGD", "EUR", "HKD"),
        # The language switch offers English by its own name.
        "EN",
        # Demo users: their logins, and the display names that are English on purpose.
        *("admin", "wangfang", "lilei", "hanmeimei", "zhaoqiang", "chenzong", "emily"),
        *("zhoujie", "Admin", "Emily", "Chen"),
    ]
)
LATIN_WORD = re.compile(r"[A-Za-z]+(?:['’][A-Za-z]+)*")

# Every visible text node (inside <kbd> is a key cap: M, Enter, Ctrl), the placeholders of
# visible empty fields, the options of visible selects, the labels Chart.js draws on its
# canvases, and the document's title.
VISIBLE_TEXT = """() => {
  const out = [];
  const seen = new Map();
  const visible = (el) => {
    const box = el.closest("select") || el;
    if (!seen.has(box)) {
      seen.set(box, box.checkVisibility({checkOpacity: true, checkVisibilityCSS: true}));
    }
    return seen.get(box);
  };
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const node = walker.currentNode;
    const text = node.nodeValue.replace(/\\s+/g, " ").trim();
    const el = node.parentElement;
    if (!text || !el || el.closest("script, style, noscript, template, kbd")) continue;
    if (visible(el)) out.push(text);
  }
  for (const input of document.querySelectorAll("input[placeholder], textarea[placeholder]")) {
    if (!input.value && visible(input)) out.push(input.placeholder);
  }
  if (window.Chart) {
    for (const chart of Object.values(Chart.instances)) {
      if (!visible(chart.canvas)) continue;
      for (const ds of chart.data.datasets || []) if (ds.label) out.push(String(ds.label));
      const title = chart.options.plugins && chart.options.plugins.title;
      if (title && title.display && title.text) out.push(String(title.text));
      for (const scale of Object.values(chart.options.scales || {})) {
        if (scale.title && scale.title.display && scale.title.text) out.push(String(scale.title.text));
      }
    }
  }
  out.push(document.title);
  return out;
}"""


def english_leaks(texts: list[str], data_phrases: frozenset[str] = frozenset()) -> list[str]:
    """Each visible text that holds an English word outside the allow-list, shown as
    `word ⟨text⟩`. `data_phrases` are whole strings of deliberately English data (PAY's)."""
    leaks = []
    for text in texts:
        rest = text
        for phrase in sorted(data_phrases, key=len, reverse=True):
            if phrase in rest:
                rest = rest.replace(phrase, " ")
        for pattern in ALLOWED_PATTERNS:
            rest = pattern.sub(" ", rest)
        words = [w for w in LATIN_WORD.findall(rest) if w not in ALLOWED_WORDS]
        if words:
            shown = text if len(text) <= 120 else text[:117] + "…"
            leaks.append(f"{' '.join(dict.fromkeys(words))} ⟨{shown}⟩")
    return list(dict.fromkeys(leaks))


# ------------------------------------------------------------------ the journey


@dataclass
class Journey:
    page: object
    base_url: str
    language: str
    name: str
    browser_errors: list  # tests/e2e/conftest.py's BrowserErrors
    data_phrases: frozenset[str] = frozenset()
    htmx_errors: list[str] = field(default_factory=list)
    bad_responses: list[str] = field(default_factory=list)
    failed_requests: list[str] = field(default_factory=list)
    english: list[str] = field(default_factory=list)
    _expected_status: list[tuple[int, str]] = field(default_factory=list)
    _expected_aborts: list[str] = field(default_factory=list)
    _number: int = 0
    _seen: dict[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        context = self.page.context
        context.expose_function("__reportHtmxError", lambda text: self.htmx_errors.append(text))
        context.add_init_script(HTMX_LISTENER)
        context.on("response", self._on_response)
        context.on("requestfailed", self._on_request_failed)
        self.folder = SCREENSHOTS / self.language / self.name
        self.folder.mkdir(parents=True, exist_ok=True)
        for old in self.folder.glob("*.png"):
            old.unlink()

    # What a step expects to fail: a 400 that asks to fix a form, say.
    def expect_status(self, status: int, url_part: str) -> None:
        self._expected_status.append((status, url_part))

    # A link whose answer is a file: Chromium stops the navigation (net::ERR_ABORTED) and hands
    # the answer to the download instead.
    def expect_download_abort(self, url_part: str) -> None:
        self._expected_aborts.append(url_part)

    def _on_response(self, response) -> None:
        if not response.url.startswith(self.base_url) or response.status < 400:
            return
        for expected in self._expected_status:
            status, url_part = expected
            if response.status == status and url_part in response.url:
                self._expected_status.remove(expected)
                return
        method = response.request.method
        self.bad_responses.append(f"{response.status} {method} {response.url}")

    def _on_request_failed(self, request) -> None:
        if not request.url.startswith(self.base_url):
            return
        # The browser cancelling a sub-resource because the page moved on (the favicon of a
        # page left at once after sign-in, say) is not a failure of the portal: what the server
        # answered, it answered with a status, which `_on_response` judges. Timing decides
        # whether such a cancel happens, so counting it would make the suite flaky.
        if request.failure == "net::ERR_ABORTED" and request.resource_type != "document":
            return
        for url_part in self._expected_aborts:
            if url_part in request.url and request.failure == "net::ERR_ABORTED":
                self._expected_aborts.remove(url_part)
                return
        self.failed_requests.append(f"{request.method} {request.url}: {request.failure}")

    def url(self, path: str) -> str:
        return f"{self.base_url}{path}"

    @contextmanager
    def step(self, title: str):
        """One thing the person does and sees; then the checks above and a screenshot."""
        self._number += 1
        slug = f"{self._number:02d}-{title}"
        try:
            yield
            self.page.wait_for_load_state("load")
            problems = self._new_problems()
            if self._expected_status:
                problems.append(
                    f"expected error responses that never came: {self._expected_status}"
                )
            if problems:
                raise AssertionError("\n  ".join(problems))
            if self.language == "zh-hans":
                leaks = english_leaks(self.page.evaluate(VISIBLE_TEXT), self.data_phrases)
                self.english.extend(f"[{slug}] {self.page.url}: {leak}" for leak in leaks)
        except BaseException as exc:
            self._screenshot(f"{slug}-FAILED")
            if isinstance(exc, AssertionError):
                pytest.fail(
                    f"{self.language} / {self.name}, step {slug} at {self.page.url}:\n  {exc}",
                    pytrace=False,
                )
            raise
        self._screenshot(slug)

    def _new_problems(self) -> list[str]:
        """What went wrong since the last check (during the step, or between two steps)."""
        found = {
            "htmx error events": self.htmx_errors,
            "HTTP error responses": self.bad_responses,
            "failed requests": self.failed_requests,
            "console errors": self.browser_errors.unexpected(),
        }
        problems = []
        for what, events in found.items():
            new = events[self._seen.get(what, 0) :]
            self._seen[what] = len(events)
            if new:
                problems.append(f"{what}:\n    " + "\n    ".join(new))
        return problems

    def _screenshot(self, slug: str) -> None:
        # A failed screenshot (the page crashed, say) must not hide the real failure.
        with suppress(Exception):
            self.page.screenshot(path=str(self.folder / f"{slug}.png"), full_page=True)

    def finish(self) -> None:
        """Anything that went wrong after the last step, then the English words found on the
        Chinese pages, fail the journey."""
        if problems := self._new_problems():
            pytest.fail(f"after the last step of {self.name}:\n  " + "\n  ".join(problems))
        if self.english:
            pytest.fail(
                f"English text on zh-Hans pages ({self.name}):\n  " + "\n  ".join(self.english),
                pytrace=False,
            )


def drag(page, source, target, *, placed: str, y_offset: float = 4) -> None:
    """Drag like a hand does (SortableJS reacts to the moves): press on `source`, move in
    small steps onto `target` at `y_offset` from its top, and drop once the page shows the
    element in its new place (`placed`: a JavaScript predicate). SortableJS moves the element
    on the move events; if it has not yet, nudge the pointer on the same spot."""
    start = source.bounding_box()
    end = target.bounding_box()
    x0, y0 = start["x"] + start["width"] / 2, start["y"] + start["height"] / 2
    x1, y1 = end["x"] + end["width"] / 2, end["y"] + y_offset
    page.mouse.move(x0, y0)
    page.mouse.down()
    page.mouse.move(x0 + 5, y0 - 5)
    page.mouse.move(x1, y1, steps=20)
    for nudge in range(8):
        try:
            page.wait_for_function(placed, timeout=300)
            break
        except PlaywrightTimeout:
            page.mouse.move(x1, y1 + (2 if nudge % 2 else -2), steps=2)
    page.mouse.up()
