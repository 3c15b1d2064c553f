"""The portfolio dashboard as 陈总 sees it on a laptop and on a desktop screen (zh-Hans):
the period and department pickers show their whole value ("2026-Q4", "全部部门"), and
the objectives card is as tall as its objectives, with no large blank area under them.
"""

from __future__ import annotations

import os

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

# For each picker in the page head: its rendered width, its scroll and client widths, and
# the width it takes when nothing squeezes it (a copy with `width: auto` outside any flex
# row). A select whose text is cut off keeps scrollWidth == clientWidth, so the natural
# width is the measure that catches it.
SELECT_WIDTHS = """() => [...document.querySelectorAll('.page-head select')].map((select) => {
  const copy = select.cloneNode(true);
  copy.style.cssText = 'position:absolute; visibility:hidden; width:auto; left:0; top:0';
  document.body.appendChild(copy);
  const natural = copy.getBoundingClientRect().width;
  copy.remove();
  return {
    name: select.name,
    width: select.getBoundingClientRect().width,
    natural,
    scrollWidth: select.scrollWidth,
    clientWidth: select.clientWidth,
  };
})"""

# The objectives card: how much blank space sits under its last line inside the card, and
# how far below the card the next thing starts.
OBJECTIVES_GAPS = """() => {
  const card = document.querySelector('[data-section="objectives"]');
  const box = card.getBoundingClientRect();
  const last = card.lastElementChild.getBoundingClientRect();
  const padding = parseFloat(getComputedStyle(card).paddingBottom);
  const next = card.nextElementSibling;
  return {
    inside: box.bottom - last.bottom - padding,
    below: next ? next.getBoundingClientRect().top - box.bottom : null,
    height: box.height,
  };
}"""


@pytest.mark.parametrize(("width", "height"), [(1280, 800), (1440, 900)])
def test_the_pickers_show_their_values_and_the_objectives_leave_no_blank_area(
    demo, page, live_server, login, width, height, tmp_path
):
    # Given 陈总, the demo executive, on a screen of this size
    page.set_viewport_size({"width": width, "height": height})
    login("chenzong")

    # When he opens the portfolio dashboard
    page.goto(f"{live_server.url}/dashboard/")
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
    expect(page.locator('[data-section="objectives"] [data-objective]').first).to_be_visible()
    page.wait_for_load_state("networkidle")

    # Then each picker is wide enough for its chosen value: nothing is cut off
    selects = page.evaluate(SELECT_WIDTHS)
    assert {s["name"] for s in selects} >= {"period", "department"}
    for select in selects:
        assert select["scrollWidth"] <= select["clientWidth"], select
        assert select["width"] >= select["natural"] - 1, f"{select['name']} is squeezed: {select}"

    # and the objectives card ends under its last objective, with the next card right below
    gaps = page.evaluate(OBJECTIVES_GAPS)
    assert gaps["inside"] <= 24, f"blank space inside the objectives card: {gaps}"
    assert gaps["below"] is not None
    assert gaps["below"] <= 24, f"blank space under the objectives card: {gaps}"

    # and the KPI tiles stay inside their card (their sparklines do not widen it)
    overflow = page.evaluate(
        """() => {
          const strip = document.querySelector('.kpi-strip');
          return strip.scrollWidth - strip.clientWidth;
        }"""
    )
    assert overflow <= 0
    page.screenshot(path=str(tmp_path / f"dashboard-{width}x{height}.png"), full_page=True)
