"""Regenerate the explorer screenshots in this folder (needs the app extra, selenium, chromium).

    python docs/screenshots/make_screenshots.py [--run RUN_DIR] [--n 800] [--only text|images|map]

With ``--run`` (e.g. ``--run runs/demo --only text`` after a default-install ``hercules demo``)
the text views show that saved run, titles as the default install writes them; without it, a
20 Newsgroups run (MiniLM embeddings, keyword titles) is built in a temp folder. The run is
served on 127.0.0.1 and PNGs of the main views are saved next to this script. ``images``
(needs the images extra) crops 48 tiles out of scikit-learn's two sample photos, clusters them
with EfficientNet-Lite0 (captions as level-0 descriptions) and saves the image summary pane.
``map`` writes the run's HTML data map (``hercules map``; its layout is drawn and saved with the
run if it has none) and saves map.png (initial zoom), map-zoomed.png (zoomed in: level-1
titles) and map-selected.png (a top-level title clicked: its members listed).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1] / "tests"))

from selenium.webdriver.common.action_chains import ActionChains  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402

from app_helpers import ServerThread, make_driver  # noqa: E402
from hercules import Hercules  # noqa: E402
from hercules.app import make_app, write_report  # noqa: E402
from hercules.data.newsgroups import load_newsgroups  # noqa: E402


def build(out: Path, n: int) -> list[str]:
    corpus = load_newsgroups()
    keep = np.sort(np.random.default_rng(0).choice(len(corpus.texts), size=n, replace=False))
    texts = [corpus.texts[i][:1500] for i in keep]
    truth = [corpus.categories[i] for i in keep]
    model = Hercules([24, 6], labeller="keywords")
    model.fit(texts)
    model.save_model(out)
    return truth


def build_images(out: Path, folder: Path) -> None:
    from PIL import Image
    from sklearn.datasets import load_sample_images

    from hercules.embed.image_efficientnet import EfficientNetImageEmbedder

    folder.mkdir(parents=True)
    rng = np.random.default_rng(0)
    for name, photo in zip(("china", "flower"), load_sample_images().images, strict=True):
        image = Image.fromarray(photo)
        for i in range(24):
            side = int(rng.integers(110, 260))
            x = int(rng.integers(0, image.width - side))
            y = int(rng.integers(0, image.height - side))
            image.crop((x, y, x + side, y + side)).save(folder / f"{name}_{i:02d}.jpg", quality=90)
    embedder = EfficientNetImageEmbedder()
    model = Hercules(
        [6, 2],
        image_embedding_client=embedder,
        image_captioning_client=embedder.caption,
        labeller="keywords",
    )
    model.fit(str(folder))
    model.save_model(out)


def image_pane(tmp: str) -> None:
    run = Path(tmp) / "image-run"
    build_images(run, Path(tmp) / "tiles")
    app = make_app(run, workdir=Path(tmp) / "image-work")
    with ServerThread(app) as srv:
        driver = make_driver(Path(tmp), width=1600, height=950)
        try:
            driver.get(srv.url)
            time.sleep(4)
            driver.find_elements(By.CSS_SELECTOR, "#tree .tree-toggle")[0].click()
            time.sleep(1.5)
            driver.find_elements(By.CSS_SELECTOR, "#tree ul.tree ul.tree .node-link")[0].click()
            time.sleep(3)
            driver.save_screenshot(str(HERE / "image-pane.png"))
        finally:
            driver.quit()


def map_shots(run: Path, tmp: str) -> None:
    page = Hercules.load_model(run).map_html(Path(tmp) / "map.html")
    driver = make_driver(Path(tmp), width=1600, height=950)
    try:
        driver.get(page.as_uri())
        for _ in range(600):
            if driver.execute_script("return document.body.dataset.ready"):
                break
            time.sleep(0.1)
        time.sleep(1)
        driver.save_screenshot(str(HERE / "map.png"))
        driver.execute_script(  # 3x into the largest top-level cluster's part of the map
            "const gd = document.getElementById('map');"
            "const x = gd._fullLayout.xaxis.range, y = gd._fullLayout.yaxis.range;"
            "const a = gd.layout.annotations.find(a => a.visible !== false && a.name);"
            "const w = (x[1] - x[0]) / 6, h = (y[1] - y[0]) / 6;"
            "Plotly.relayout(gd, {'xaxis.range': [a.x - w, a.x + w],"
            " 'yaxis.range': [a.y - h, a.y + h]});"
        )
        time.sleep(1.5)
        driver.save_screenshot(str(HERE / "map-zoomed.png"))
        driver.execute_script(
            "Plotly.relayout(document.getElementById('map'),"
            " {'xaxis.autorange': true, 'yaxis.autorange': true});"
        )
        time.sleep(1.5)
        label = driver.find_elements(By.CSS_SELECTOR, "#map .annotation-text-g")[0]
        ActionChains(driver).move_to_element(label).click().perform()
        time.sleep(1.5)
        driver.save_screenshot(str(HERE / "map-selected.png"))
    finally:
        driver.quit()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=800)
    parser.add_argument("--only", choices=("text", "images", "map"))
    parser.add_argument(
        "--run", type=Path, help="a saved run directory to show (default: build a keyword run)"
    )
    args = parser.parse_args()
    if args.only == "map":
        with tempfile.TemporaryDirectory() as tmp:
            run = args.run if args.run is not None else Path(tmp) / "run"
            if args.run is None:
                build(run, args.n)
            map_shots(run, tmp)
        return
    if args.only != "text":
        with tempfile.TemporaryDirectory() as tmp:
            image_pane(tmp)
    if args.only == "images":
        return
    with tempfile.TemporaryDirectory() as tmp:
        run = args.run if args.run is not None else Path(tmp) / "run"
        if args.run is None:
            build(run, args.n)
        elif not (run / "manifest.json").is_file():
            parser.error(f"--run {run} is not a saved run (no manifest.json); run hercules demo")
        write_report(run, Path(tmp) / "report.html")
        app = make_app(run, workdir=Path(tmp) / "work")
        with ServerThread(app) as srv:
            driver = make_driver(Path(tmp), width=1600, height=950)
            try:
                find = driver.find_elements
                driver.get(srv.url)
                time.sleep(4)
                driver.save_screenshot(str(HERE / "overview.png"))
                point = find(By.CSS_SELECTOR, "#scatter .scatterlayer path.point")[3]
                ActionChains(driver).move_to_element(point).pause(0.4).click().perform()
                time.sleep(2.5)
                ActionChains(driver).move_to_element(point).pause(0.8).perform()
                driver.save_screenshot(str(HERE / "selected.png"))
                for label, name in (
                    ("Treemap", "treemap"),
                    ("Sunburst", "sunburst"),
                    ("Sizes", "sizes"),
                    ("New run", "new-run"),
                ):
                    next(t for t in find(By.CSS_SELECTOR, ".tab") if t.text == label).click()
                    time.sleep(2.5)
                    driver.save_screenshot(str(HERE / f"{name}.png"))
                driver.get((Path(tmp) / "report.html").as_uri())
                time.sleep(3)
                driver.execute_script("document.getElementById('treemap').scrollIntoView()")
                time.sleep(1)
                driver.save_screenshot(str(HERE / "report.png"))
            finally:
                driver.quit()
        map_shots(run, tmp)


if __name__ == "__main__":
    main()
