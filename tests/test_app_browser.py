"""The explorer driven in headless Chromium (selenium + Debian chromium/chromedriver).

Skips with the reason when the browser or the app extra is missing; CI installs both with
``.ci/install-browser.sh``. Set HERCULES_SCREENSHOT_DIR to also save screenshots there.
"""

from __future__ import annotations

import csv
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from app_helpers import (
    XSS_TITLE,
    ServerThread,
    browser_skip_reason,
    build_image_run,
    build_run,
    corpus,
    fake_embed,
    make_driver,
    write_images,
)

_reason = browser_skip_reason()
pytestmark = pytest.mark.skipif(_reason is not None, reason=str(_reason))

WAIT = 20.0
SHOTS = os.environ.get("HERCULES_SCREENSHOT_DIR")


def wait_for(driver: Any, predicate: Any, message: str, timeout: float = WAIT) -> Any:
    from selenium.common.exceptions import StaleElementReferenceException
    from selenium.webdriver.support.ui import WebDriverWait

    # Dash re-renders polled elements; a reference taken mid-render goes stale: just poll again.
    return WebDriverWait(
        driver, timeout, poll_frequency=0.1, ignored_exceptions=(StaleElementReferenceException,)
    ).until(lambda d: predicate(d), message=message)


def css(driver: Any, selector: str) -> list[Any]:
    from selenium.webdriver.common.by import By

    return driver.find_elements(By.CSS_SELECTOR, selector)


def shot(driver: Any, name: str) -> None:
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        driver.save_screenshot(str(Path(SHOTS) / f"{name}.png"))


def selected_key(driver: Any) -> str | None:
    found = css(driver, "#node-summary")
    return found[0].get_attribute("data-key") if found else None


def scatter_data(driver: Any) -> list[dict[str, Any]]:
    return driver.execute_script(
        "const g = document.querySelector('#scatter .js-plotly-plot');"
        "return g && g.data ? g.data.map(t => ({customdata: t.customdata, "
        "opacity: t.marker && t.marker.opacity, name: t.name})) : [];"
    )


def click_tab(driver: Any, label: str) -> None:
    tabs = [t for t in css(driver, ".tab") if t.text.strip() == label]
    assert tabs, f"no tab labelled {label!r}"
    tabs[0].click()


def open_page(driver: Any, url: str) -> None:
    driver.get(url)
    wait_for(driver, lambda d: css(d, "#scatter .scatterlayer path.point"), "scatter never drew")
    wait_for(driver, lambda d: css(d, "#tree .tree-row"), "tree never rendered")


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    base = tmp_path_factory.mktemp("runs")
    broken = base / "broken"
    broken.mkdir()
    (broken / "manifest.json").write_text('{"format": "something-else"}')
    return {
        "plain": build_run(base / "plain"),
        "xss": build_run(base / "xss", xss=True),
        "broken": broken,
    }


@pytest.fixture(scope="module")
def server(runs: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    from hercules.app import make_app

    app = make_app(
        runs["plain"],
        workdir=tmp_path_factory.mktemp("work"),
        model_options={"text_embedding_client": fake_embed, "labeller": "keywords"},
    )
    with ServerThread(app) as srv:
        yield srv.url


@pytest.fixture(scope="module")
def downloads(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("downloads")


@pytest.fixture(scope="module")
def driver(downloads: Path) -> Iterator[Any]:
    drv = make_driver(downloads)
    try:
        yield drv
    finally:
        drv.quit()


def test_load_shows_overview_tree_and_scatter(driver: Any, server: str) -> None:
    open_page(driver, server)
    assert css(driver, "#overview"), "overall summary should show when nothing is selected"
    assert "items" in css(driver, "#overview")[0].text
    assert len(css(driver, "#tree .tree-row")) == 2  # the two top-level clusters
    assert len(css(driver, "#scatter .scatterlayer path.point")) == 6  # level 1 by default
    assert css(driver, "#metrics-table")
    shot(driver, "overview")


def test_click_point_selects_and_highlights_lineage(driver: Any, server: str) -> None:
    from selenium.webdriver.common.action_chains import ActionChains

    open_page(driver, server)
    point = css(driver, "#scatter .scatterlayer .trace:first-child path.point")[0]
    ActionChains(driver).move_to_element(point).pause(0.3).click().perform()
    wait_for(driver, lambda d: selected_key(d) is not None, "click did not select a cluster")
    key = selected_key(driver)
    assert key is not None
    assert key.startswith("L1:")
    # Summary pane: title, description, an ancestor link to the level-2 parent.
    ancestors = css(driver, "#summary-ancestors .ancestor")
    assert len(ancestors) == 1
    assert ancestors[0].text.startswith("L2 #")
    assert css(driver, "#summary-samples li"), "representative samples missing"
    # Scatter: only the selected point stays bright; a path trace marks its ancestors.
    data = wait_for(driver, lambda d: [t for t in scatter_data(d) if t["opacity"]], "no data")
    opacity = data[0]["opacity"]
    index = int(key.split(":")[1])
    assert opacity[index] == 1
    assert sum(1 for o in opacity if o == 1) == 1
    assert any(t["name"] == "selected path" for t in scatter_data(driver))
    # Tree: the ancestor row is highlighted, the parent was expanded to show the selection.
    wait_for(driver, lambda d: css(d, "#tree .tree-row.lineage"), "ancestor not highlighted")
    wait_for(driver, lambda d: css(d, "#tree .tree-row.selected"), "selection not in tree")
    shot(driver, "selected")


def test_switch_level_keeps_ancestor_highlighted(driver: Any, server: str) -> None:
    from selenium.webdriver.common.by import By

    open_page(driver, server)
    css(driver, "#tree .node-link")[0].click()  # select the first top-level cluster (L2)
    wait_for(driver, lambda d: (selected_key(d) or "").startswith("L2:"), "tree click failed")
    top_key = selected_key(driver)
    labels = driver.find_elements(By.XPATH, "//div[@id='level']//label[contains(., 'L2')]")
    labels[0].click()
    wait_for(
        driver,
        lambda d: len(css(d, "#scatter .scatterlayer .trace:first-child path.point")) == 2,
        "level switch did not redraw",
    )
    opacity = scatter_data(driver)[0]["opacity"]
    assert opacity[int(str(top_key).split(":")[1])] == 1
    assert sorted(opacity) == [0.15, 1]


def test_expand_tree_lazily(driver: Any, server: str) -> None:
    open_page(driver, server)
    assert len(css(driver, "#tree .tree-row")) == 2
    css(driver, "#tree .tree-toggle")[0].click()
    wait_for(driver, lambda d: len(css(d, "#tree .tree-row")) > 2, "expand showed nothing")
    n_open = len(css(driver, "#tree .tree-row"))
    assert 3 <= n_open <= 2 + 6
    # Expand a level-1 child: its level-0 items appear (60 items < threshold).
    toggles = css(driver, "#tree ul.tree ul.tree .tree-toggle")
    toggles[0].click()
    wait_for(driver, lambda d: len(css(d, "#tree .tree-row")) > n_open, "L1 expand failed")
    assert any(r.text.startswith("L0 #") for r in css(driver, "#tree .node-link"))


def test_treemap_and_sunburst_linked_to_selection(driver: Any, server: str) -> None:
    open_page(driver, server)
    click_tab(driver, "Treemap")
    wait_for(driver, lambda d: css(d, "#treemap g.slice"), "treemap did not draw")
    n_slices = len(css(driver, "#treemap g.slice"))
    assert n_slices >= 8  # 2 top clusters + 6 children
    shot(driver, "treemap")
    css(driver, "#tree .node-link")[1].click()
    wait_for(driver, lambda d: (selected_key(d) or "").startswith("L2:"), "select failed")
    colours = driver.execute_script(
        "return document.querySelector('#treemap .js-plotly-plot').data[0].marker.colors;"
    )
    assert any(str(c).startswith("rgb(") for c in colours), "non-lineage tiles should fade"
    click_tab(driver, "Sunburst")
    wait_for(driver, lambda d: css(d, "#sunburst g.slice"), "sunburst did not draw")
    click_tab(driver, "Sizes")
    wait_for(driver, lambda d: css(d, "#sizes .bars path"), "size bars did not draw")
    click_tab(driver, "Scatter")


def test_map_tab_draws_every_item_and_a_title_click_selects(driver: Any, server: str) -> None:
    from selenium.webdriver.common.action_chains import ActionChains

    open_page(driver, server)
    click_tab(driver, "Map")
    # The first view draws the run's UMAP layout (numba compiles on a first run): wait longer.
    wait_for(
        driver, lambda d: css(d, "#map .annotation-text-g"), "map titles never drew", timeout=240
    )
    count = driver.execute_script(
        "return document.querySelector('#map .js-plotly-plot')._fullData[0].x.length;"
    )
    assert count == 60
    titles = [e.text for e in css(driver, "#map .annotation-text") if e.text]
    assert len(titles) == 2  # the two top-level titles at the initial zoom
    label = css(driver, "#map .annotation-text-g")[0]
    ActionChains(driver).move_to_element(label).pause(0.3).click().perform()
    wait_for(driver, lambda d: (selected_key(d) or "").startswith("L2:"), "title click failed")
    key = str(selected_key(driver))
    selected = driver.execute_script(
        "return Array.from(document.querySelector('#map .js-plotly-plot')"
        "._fullData[0].selectedpoints || []);"
    )
    members = driver.execute_script(
        "return document.querySelector('#node-summary').getAttribute('data-key');"
    )
    assert members == key
    assert 0 < len(selected) < 60  # the cluster's items stay bright, the rest dim
    shot(driver, "map-tab")
    click_tab(driver, "Scatter")


def test_search_finds_and_selects(driver: Any, server: str) -> None:
    from selenium.webdriver.common.keys import Keys

    open_page(driver, server)
    box = css(driver, "#search")[0]
    box.send_keys("rocket", Keys.ENTER)
    wait_for(driver, lambda d: css(d, "#search-results .search-hit"), "no search hits")
    hit = css(driver, "#search-results .search-hit")[-1]
    label = hit.text
    hit.click()
    wait_for(driver, lambda d: selected_key(d) is not None, "search hit did not select")
    assert "rocket" in css(driver, "#summary-title")[0].text.lower() or "rocket" in label.lower()


def test_download_membership_csv(driver: Any, server: str, downloads: Path) -> None:
    open_page(driver, server)
    css(driver, "#dl-membership-csv")[0].click()
    target = downloads / "membership.csv"
    wait_for(driver, lambda d: target.exists() and target.stat().st_size > 0, "no download")
    time.sleep(0.2)
    with open(target, newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 60
    assert {"item_id", "level_1_id", "level_2_id", "level_2_title"} <= set(rows[0])


def test_upload_and_run_in_background(
    driver: Any, server: str, tmp_path_factory: pytest.TempPathFactory
) -> None:
    data = tmp_path_factory.mktemp("upload") / "notes.txt"
    data.write_text("\n".join(corpus(5)))
    open_page(driver, server)
    click_tab(driver, "New run")
    css(driver, "#upload-data input[type=file]")[0].send_keys(str(data))
    wait_for(driver, lambda d: "notes.txt" in css(d, "#upload-data-text")[0].text, "no upload")
    from selenium.webdriver.common.keys import Keys

    levels = css(driver, "#opt-levels")[0]
    levels.send_keys(Keys.CONTROL, "a")  # clear() does not reach React's state
    levels.send_keys("4,2")
    css(driver, "#run-start")[0].click()
    wait_for(
        driver,
        lambda d: (
            css(d, "#job-state")
            and css(d, "#job-state")[0].get_attribute("data-state") in {"done", "failed"}
        ),
        "run did not finish",
        timeout=60,
    )
    assert css(driver, "#job-state")[0].get_attribute("data-state") == "done", css(
        driver, "#job-status"
    )[0].text
    assert "run finished" in css(driver, "#job-log")[0].text
    shot(driver, "new-run")
    click_tab(driver, "Scatter")
    wait_for(
        driver,
        lambda d: len(css(d, "#scatter .scatterlayer .trace:first-child path.point")) == 4,
        "new run not shown",
    )


def test_xss_payloads_render_as_text(driver: Any, runs: dict[str, Path], tmp_path: Path) -> None:
    from hercules.app import make_app

    app = make_app(runs["xss"], workdir=tmp_path)
    with ServerThread(app) as srv:
        open_page(driver, srv.url)
        css(driver, "#tree .tree-toggle")[0].click()
        wait_for(driver, lambda d: len(css(d, "#tree .tree-row")) > 2, "expand failed")
        css(driver, "#tree ul.tree ul.tree .node-link")[0].click()
        wait_for(driver, lambda d: selected_key(d) is not None, "select failed")
        title = css(driver, "#summary-title")[0].text
        assert title.startswith(XSS_TITLE), "the payload must show literally, as text"
        click_tab(driver, "Treemap")
        wait_for(driver, lambda d: css(d, "#treemap g.slice"), "treemap did not draw")
        click_tab(driver, "Sunburst")
        wait_for(driver, lambda d: css(d, "#sunburst g.slice"), "sunburst did not draw")
        click_tab(driver, "Scatter")
        point = css(driver, "#scatter .scatterlayer path.point")[0]
        from selenium.webdriver.common.action_chains import ActionChains

        ActionChains(driver).move_to_element(point).pause(0.5).perform()  # show hover text
        time.sleep(0.5)
        assert driver.execute_script("return window.__xss === undefined;"), "payload ran"
        assert driver.execute_script("return document.querySelectorAll('img').length;") == 0
        scripts = driver.execute_script(
            "return [...document.scripts].filter(s => s.text.includes('__xss')).length;"
        )
        assert scripts == 0


def test_broken_run_directory_shows_error_page(
    driver: Any, runs: dict[str, Path], tmp_path: Path
) -> None:
    from hercules.app import make_app

    app = make_app(runs["broken"], workdir=tmp_path)
    with ServerThread(app) as srv:
        driver.get(srv.url)
        wait_for(
            driver,
            lambda d: css(d, "#error-banner") and css(d, "#error-banner")[0].text,
            "no error banner",
        )
        text = css(driver, "#error-banner")[0].text
        assert "Cannot open this run" in text
        assert "not a HERCULES manifest" in text
        assert "Traceback" not in driver.page_source


def test_report_renders_offline(driver: Any, runs: dict[str, Path], tmp_path: Path) -> None:
    from hercules.app import write_report

    out = write_report(runs["xss"], tmp_path / "report.html")
    driver.get(out.as_uri())
    wait_for(driver, lambda d: css(d, "#treemap g.slice"), "report treemap did not draw")
    wait_for(driver, lambda d: css(d, "#scatter path.point"), "report scatter did not draw")
    assert len(css(driver, "#tree details")) == 8
    assert driver.execute_script("return window.__xss === undefined;"), "payload ran"
    assert driver.execute_script("return document.querySelectorAll('img').length;") == 0


def test_run_does_not_block_other_tabs_and_can_be_cancelled(
    driver: Any, tmp_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    from selenium.webdriver.common.keys import Keys

    from hercules.app import make_app

    # Each embedding call sleeps longer than the page-load bound below, so a page that waited
    # for the run would fail it; the margin keeps a busy 2-core machine from failing it.
    def slow_embed(texts: list[str]) -> Any:
        time.sleep(6.0)
        return fake_embed(texts)

    data = tmp_path_factory.mktemp("upload-slow") / "notes.txt"
    data.write_text("\n".join(corpus(5)))
    app = make_app(
        None,
        workdir=tmp_path,
        model_options={"text_embedding_client": slow_embed, "labeller": "keywords"},
    )
    with ServerThread(app) as srv:
        driver.get(srv.url)
        wait_for(driver, lambda d: css(d, ".tab"), "page did not load")
        click_tab(driver, "New run")
        css(driver, "#upload-data input[type=file]")[0].send_keys(str(data))
        wait_for(driver, lambda d: "notes.txt" in css(d, "#upload-data-text")[0].text, "upload")
        levels = css(driver, "#opt-levels")[0]
        levels.send_keys(Keys.CONTROL, "a")
        levels.send_keys("4,2")
        css(driver, "#run-start")[0].click()
        wait_for(driver, lambda d: css(d, "#job-state"), "run did not start")
        first = driver.current_window_handle
        driver.switch_to.new_window("tab")  # a second tab loads while the run is busy
        started = time.time()
        driver.get(srv.url)
        wait_for(driver, lambda d: css(d, "#summary .hint"), "second tab blocked", timeout=10)
        assert time.time() - started < 5.0, "the page waited for the run"
        driver.close()
        driver.switch_to.window(first)
        wait_for(
            driver,
            lambda d: css(d, "#job-state")[0].get_attribute("data-state") == "running",
            "run is not running",
            timeout=2,
        )
        css(driver, "#run-cancel")[0].click()
        wait_for(
            driver,
            lambda d: css(d, "#job-state")[0].get_attribute("data-state") == "cancelled",
            "run was not cancelled",
        )
        assert "run cancelled" in css(driver, "#job-log")[0].text


def _loaded_images(driver: Any, selector: str) -> list[int]:
    """naturalWidth of every <img> under ``selector`` (0 while loading or when broken)."""
    return driver.execute_script(
        "return [...document.querySelectorAll(arguments[0])]"
        ".map(i => i.complete ? i.naturalWidth : 0);",
        selector,
    )


def test_image_run_shows_thumbnails(driver: Any, tmp_path: Path) -> None:
    pytest.importorskip("PIL", reason="the images extra is not installed")
    from hercules.app import make_app

    images = write_images(tmp_path / "photos")
    app = make_app(build_image_run(tmp_path / "run", images), workdir=tmp_path / "work")
    with ServerThread(app) as srv:
        open_page(driver, srv.url)
        css(driver, "#tree .node-link")[0].click()  # a level-1 cluster of images
        wait_for(driver, lambda d: (selected_key(d) or "").startswith("L1:"), "select failed")
        wait_for(
            driver,
            lambda d: (w := _loaded_images(d, "#summary-thumbs img")) and all(w),
            "thumbnails did not load",
        )
        assert set(_loaded_images(driver, "#summary-thumbs img")) == {128}
        shot(driver, "image-thumbnails")
        css(driver, "#summary-children .child")[0].click()  # one image item
        wait_for(driver, lambda d: (selected_key(d) or "").startswith("L0:"), "item not selected")
        wait_for(
            driver, lambda d: _loaded_images(d, "#summary-preview") == [384], "no item preview"
        )
        # Only the app's own route serves images; nothing else on the page is an image.
        sources = driver.execute_script("return [...document.images].map(i => i.src);")
        assert all("/_hercules/thumbnail/run-1?item=" in src for src in sources)


def test_form_runs_with_openai_compatible_endpoints(
    driver: Any, server: str, tmp_path: Path
) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    from openai_stub import StubServer

    data = tmp_path / "notes.txt"
    data.write_text("\n".join(corpus(5)))

    def choose(radio: str, label: str) -> None:
        xpath = f"//div[@id='{radio}']//label[contains(., '{label}')]"
        driver.find_elements(By.XPATH, xpath)[0].click()

    def type_into(selector: str, text: str) -> None:
        box = css(driver, selector)[0]
        box.send_keys(Keys.CONTROL, "a")
        box.send_keys(text)

    with StubServer() as stub:
        open_page(driver, server)
        click_tab(driver, "New run")
        wait_for(driver, lambda d: css(d, "#upload-data input[type=file]"), "no run form")
        css(driver, "#upload-data input[type=file]")[0].send_keys(str(data))
        wait_for(driver, lambda d: "notes.txt" in css(d, "#upload-data-text")[0].text, "upload")
        type_into("#opt-levels", "4,2")
        assert not css(driver, "#embed-endpoint")[0].is_displayed()
        choose("opt-embedder", "OpenAI-compatible")
        choose("opt-labeller", "OpenAI-compatible")
        wait_for(driver, lambda d: css(d, "#llm-endpoint")[0].is_displayed(), "no LLM fields")
        assert css(driver, "#embed-endpoint")[0].is_displayed()
        type_into("#opt-embed-url", "localhost:1/v1")  # no scheme: refused, quoted
        type_into("#opt-embed-model", "stub-embed")
        type_into("#opt-llm-url", stub.url)
        type_into("#opt-llm-model", "stub-llm")
        css(driver, "#run-start")[0].click()
        wait_for(driver, lambda d: css(d, "#job-error"), "bad URL not reported")
        assert "got 'localhost:1/v1'" in css(driver, "#job-error")[0].text
        type_into("#opt-embed-url", stub.url)
        css(driver, "#run-start")[0].click()
        wait_for(
            driver,
            lambda d: (
                css(d, "#job-state")
                and css(d, "#job-state")[0].get_attribute("data-state") in {"done", "failed"}
            ),
            "run did not finish",
            timeout=60,
        )
        status = css(driver, "#job-status")[0].text
        assert css(driver, "#job-state")[0].get_attribute("data-state") == "done", status
        assert {"/v1/embeddings", "/v1/chat/completions"} <= set(stub.paths())
        assert "titles: 'stub-llm'" in css(driver, "#job-log")[0].text


def test_dropping_images_picks_the_image_embedder(driver: Any, server: str, tmp_path: Path) -> None:
    from hercules.app.backends import images_available

    if not images_available():
        pytest.skip("the images extra is not installed: EfficientNet-Lite0 is not offered")
    pictures = write_images(tmp_path / "photos", per_colour=1, size=(16, 16))
    open_page(driver, server)
    click_tab(driver, "New run")
    checked = "return document.querySelector('#opt-embedder input:checked').value;"
    assert driver.execute_script(checked) == "minilm"
    files = "\n".join(str(p) for p in sorted(pictures.glob("*.png")))
    css(driver, "#upload-data input[type=file]")[0].send_keys(files)
    wait_for(driver, lambda d: d.execute_script(checked) == "efficientnet", "no switch")


def test_edit_a_title_in_the_explorer_and_reload_it_from_disk(driver: Any, tmp_path: Path) -> None:
    from selenium.webdriver.common.keys import Keys

    from hercules import Hercules
    from hercules.app import make_app

    run = build_run(tmp_path / "run")
    with ServerThread(make_app(run, workdir=tmp_path / "work")) as srv:
        open_page(driver, srv.url)
        css(driver, "#tree .node-link")[0].click()  # the first top-level cluster
        wait_for(driver, lambda d: selected_key(d) == "L2:0", "select failed")
        assert not css(driver, "#summary-edited")
        css(driver, "#summary-title")[0].click()  # a click on the title opens the editor
        wait_for(driver, lambda d: css(d, "#title-input")[0].is_displayed(), "no editor")
        box = css(driver, "#title-input")[0]
        box.send_keys(Keys.CONTROL, "a")  # clear() does not reach React's state
        box.send_keys(Keys.BACKSPACE)
        css(driver, "#title-save")[0].click()  # an empty title: refused, with the reason
        wait_for(driver, lambda d: css(d, "#title-save-error"), "no error for an empty title")
        assert "is empty" in css(driver, "#title-save-error")[0].text
        assert not css(driver, "#summary-edited")
        box.send_keys("Edited in the browser <b>x</b>", Keys.ENTER)  # Enter saves, as the button
        wait_for(driver, lambda d: css(d, "#summary-edited"), "the edited mark never showed")
        assert css(driver, "#summary-title")[0].text == "Edited in the browser <b>x</b>"
        row = css(driver, "#tree .tree-row .node-link")[0].text
        assert row.endswith("Edited in the browser <b>x</b> ✎"), row
        shot(driver, "title-edited")
    saved = Hercules.load_model(run).tree_.node(2, 0)
    assert (saved.title, saved.title_edited) == ("Edited in the browser <b>x</b>", True)
    # A new explorer on the same folder reads the edit back from disk.
    with ServerThread(make_app(run, workdir=tmp_path / "work2")) as srv:
        open_page(driver, srv.url)
        row = css(driver, "#tree .tree-row .node-link")[0].text
        assert row.endswith("Edited in the browser <b>x</b> ✎"), row
        css(driver, "#tree .node-link")[0].click()
        wait_for(driver, lambda d: css(d, "#summary-edited"), "mark not shown after reload")
