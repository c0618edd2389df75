"""The HTML data map in headless Chromium: points, zoom layers, search, click, no network.

Skips with the reason when the browser is missing (CI installs it: .ci/install-browser.sh).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from app_helpers import browser_skip_reason, build_run, make_driver
from hercules import Hercules
from hercules.map_layout import compute_layout
from hercules.map_page import map_page

_reason = browser_skip_reason()
pytestmark = pytest.mark.skipif(_reason is not None, reason=str(_reason))

WAIT = 20.0


def wait_for(driver: Any, predicate: Any, message: str) -> Any:
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, WAIT, poll_frequency=0.1).until(predicate, message=message)


def shown_titles(driver: Any) -> list[str]:
    return driver.execute_script(
        "return Array.from(document.querySelectorAll('#map .annotation-text'))"
        ".map(e => e.textContent).filter(t => t.length > 0);"
    )


@pytest.fixture(scope="module")
def page(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Any]:
    base = tmp_path_factory.mktemp("map-browser")
    model = Hercules.load_model(build_run(base / "run"))
    # PCA keeps this test fast; the layout module's own tests cover UMAP.
    layout = compute_layout(model.tree_.levels[0].representation, method="pca")
    path = base / "map.html"
    path.write_text(map_page(model.tree_, model.corpus_, layout, title="map"), encoding="utf-8")
    return path, model


@pytest.fixture(scope="module")
def driver(tmp_path_factory: pytest.TempPathFactory, page: tuple[Path, Any]) -> Iterator[Any]:
    drv = make_driver(tmp_path_factory.mktemp("dl"), width=1300, height=900, network_log=True)
    try:
        drv.get(page[0].as_uri())
        wait_for(drv, lambda d: d.execute_script("return document.body.dataset.ready"), "no map")
        yield drv
    finally:
        drv.quit()


def test_map_shows_every_point_and_the_top_titles(driver: Any, page: tuple[Path, Any]) -> None:
    model = page[1]
    count = driver.execute_script(
        "const gd = document.getElementById('map'); return gd._fullData[0].x.length;"
    )
    assert count == model.tree_.n_items == 60
    assert driver.execute_script("return document.querySelectorAll('#map canvas').length") > 0
    top = [t[:47] for t in model.tree_.levels[2].titles]
    wait_for(driver, lambda d: sorted(shown_titles(d)) == sorted(top), "top titles not shown")
    assert driver.execute_script("return document.getElementById('map').dataset.labelLevel") == "2"


def test_zooming_in_shows_level_1_titles(driver: Any, page: tuple[Path, Any]) -> None:
    model = page[1]
    driver.execute_script(  # 3x into the neighbourhood of the first level-1 title
        "const gd = document.getElementById('map');"
        "const x = gd._fullLayout.xaxis.range, y = gd._fullLayout.yaxis.range;"
        "const a = gd.layout.annotations.find(a => String(a.name).startsWith('L1:'));"
        "const cx = a.x, cy = a.y;"
        "const w = (x[1] - x[0]) / 6, h = (y[1] - y[0]) / 6;"
        "Plotly.relayout(gd, {'xaxis.range': [cx - w, cx + w], 'yaxis.range': [cy - h, cy + h]});"
    )
    wait_for(
        driver,
        lambda d: (
            d.execute_script("return document.getElementById('map').dataset.labelLevel") == "1"
        ),
        "labels did not switch to level 1",
    )
    level1 = {t[:47] for t in model.tree_.levels[1].titles}
    shown = wait_for(driver, shown_titles, "no level-1 title drawn")
    assert set(shown) <= level1
    driver.execute_script(
        "Plotly.relayout(document.getElementById('map'), "
        "{'xaxis.autorange': true, 'yaxis.autorange': true});"
    )
    wait_for(
        driver,
        lambda d: (
            d.execute_script("return document.getElementById('map').dataset.labelLevel") == "2"
        ),
        "labels did not return to the top level",
    )


def test_search_finds_an_item(driver: Any, page: tuple[Path, Any]) -> None:
    from selenium.webdriver.common.by import By

    box = driver.find_element(By.ID, "search")
    box.clear()
    box.send_keys("compost")
    hits = wait_for(
        driver, lambda d: d.find_elements(By.CSS_SELECTOR, "#results li.hit-item"), "no hits"
    )
    assert all("compost" in h.text for h in hits)
    item = hits[0].get_attribute("data-item")
    hits[0].click()
    wait_for(
        driver, lambda d: d.execute_script("return document.body.dataset.found") == item, "no find"
    )
    ring = driver.execute_script("return document.getElementById('map')._fullData[1].x.length")
    assert ring == 1
    assert "compost" in driver.find_element(By.ID, "detail").text


def test_clicking_a_title_selects_its_cluster(driver: Any, page: tuple[Path, Any]) -> None:
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By

    model = page[1]
    driver.execute_script(
        "Plotly.relayout(document.getElementById('map'), "
        "{'xaxis.autorange': true, 'yaxis.autorange': true});"
    )
    wait_for(driver, lambda d: len(shown_titles(d)) == 2, "top titles not back")
    label = driver.find_elements(By.CSS_SELECTOR, "#map .annotation-text-g")[0]
    name = label.find_element(By.CSS_SELECTOR, ".annotation-text").text
    ActionChains(driver).move_to_element(label).click().perform()
    selected = wait_for(
        driver, lambda d: d.execute_script("return document.body.dataset.selected"), "no select"
    )
    level, index = (int(p) for p in selected[1:].split(":"))
    assert level == 2
    assert model.tree_.levels[2].titles[index][:47] == name
    members = driver.find_elements(By.CSS_SELECTOR, "#members li")
    assert len(members) == model.tree_.levels[2].num_items[index]
    chosen = driver.execute_script(
        "return Array.from(document.getElementById('map')._fullData[0].selectedpoints);"
    )
    assert sorted(chosen) == model.tree_.members(2, index).tolist()


def test_the_page_made_no_network_request(driver: Any, page: tuple[Path, Any]) -> None:
    urls = []
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message["method"] == "Network.requestWillBeSent":
            urls.append(message["params"]["request"]["url"])
    assert urls, "the performance log recorded nothing (is it enabled?)"
    assert all(u.startswith(("file://", "data:", "blob:")) for u in urls), urls
    errors = [e for e in driver.get_log("browser") if e["level"] == "SEVERE"]
    assert not errors, errors
