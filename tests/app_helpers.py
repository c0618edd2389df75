"""Shared fixtures for the explorer tests: a small saved run built with a fake embedder."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import numpy as np

from hercules import Hercules

TOPICS = {
    "space": "rocket orbit launch moon planet nasa shuttle satellite astronaut",
    "cooking": "recipe oven garlic pasta sauce bake flour butter onion",
    "hockey": "goal puck ice team season playoff skate coach score",
    "music": "guitar album song concert band drums melody chorus tour",
    "finance": "stock market bond interest bank loan price trade invest",
    "garden": "tomato seeds soil compost water weeds flowers spring prune",
}
XSS_TITLE = '<script>window.__xss = 1</script><img src=x onerror="window.__xss = 2">'


def corpus(n_per_topic: int = 10) -> list[str]:
    rng = np.random.default_rng(0)
    texts = []
    for words in TOPICS.values():
        vocab = words.split()
        for _ in range(n_per_topic):
            picked = rng.choice(vocab, size=6, replace=True)
            texts.append(" ".join(picked))
    return texts


def fake_embed(texts: list[str]) -> np.ndarray:
    """Deterministic bag of hashed words, L2-normalised (64 dims)."""
    out = np.zeros((len(texts), 64), dtype=np.float32)
    for row, text in enumerate(texts):
        for word in str(text).lower().split():
            slot = int(hashlib.md5(word.encode()).hexdigest()[:8], 16) % 64
            out[row, slot] += 1.0
    norms = np.linalg.norm(out, axis=1, keepdims=True)
    return out / np.where(norms > 0, norms, 1.0)


def build_run(path: Path, *, xss: bool = False) -> Path:
    model = Hercules([6, 2], text_embedding_client=fake_embed, random_state=0, labeller="keywords")
    model.fit(corpus(), topic_seed=None)
    if xss:
        level = model.tree_.levels[1]
        level.titles = [XSS_TITLE + f" {i}" for i in range(len(level))]
        level.descriptions = [XSS_TITLE] * len(level)
        level.title_candidates = [(title, XSS_TITLE + " also") for title in level.titles]
        top = model.tree_.levels[2]
        top.titles = [XSS_TITLE] * len(top)
    model.save_model(path)
    return path


# ---------------------------------------------------------------------- image runs
IMAGE_COLOURS = {"red": (220, 40, 40), "green": (40, 200, 60), "blue": (40, 60, 220)}


def write_images(folder: Path, per_colour: int = 4, size: tuple[int, int] = (640, 480)) -> Path:
    """Solid-ish images in three colours: PNG, one RGBA PNG and a JPEG in a subfolder."""
    from PIL import Image

    folder.mkdir(parents=True, exist_ok=True)
    (folder / "more").mkdir(exist_ok=True)
    for name, (r, g, b) in IMAGE_COLOURS.items():
        for i in range(per_colour):
            shade = 8 * i
            image = Image.new("RGB", size, (r, g, b))
            image.paste((max(r - shade, 0), g, b), (0, 0, size[0] // 2, size[1] // 2))
            if name == "green" and i == 0:
                image.convert("RGBA").save(folder / f"{name}_{i}.png")  # has alpha: served as PNG
            elif name == "blue" and i == per_colour - 1:
                image.save(folder / "more" / f"{name}_{i}.jpg", quality=90)
            else:
                image.save(folder / f"{name}_{i}.png")
    return folder


def fake_image_embed(paths: list[object]) -> np.ndarray:
    """Mean colour of each image (plus a tiny per-file offset), L2-normalised: 3 dims."""
    from PIL import Image

    out = []
    for path in paths:
        with Image.open(str(path)) as image:
            mean = np.asarray(image.convert("RGB"), dtype=np.float32).mean(axis=(0, 1))
        digest = int(hashlib.md5(str(path).encode()).hexdigest()[:4], 16) / 65535.0
        out.append(mean + digest)
    vectors = np.asarray(out, dtype=np.float32)
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def build_image_run(path: Path, images: Path) -> Path:
    """A saved image run over ``write_images(images)`` with fake embedders (no torch)."""
    model = Hercules(
        [3],
        image_embedding_client=fake_image_embed,
        text_embedding_client=fake_embed,
        random_state=0,
        labeller="keywords",
    )
    model.fit(str(images))
    model.save_model(path)
    return path


def copy_run(src: Path, dst: Path) -> Path:
    shutil.copytree(src, dst)
    return dst


# ---------------------------------------------------------------------- browser support
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")


def browser_skip_reason() -> str | None:
    """Why browser tests cannot run here, or None when they can."""
    import importlib.util

    if importlib.util.find_spec("dash") is None:
        return "dash is not installed (pip install 'hercules-cluster[app]')"
    if importlib.util.find_spec("selenium") is None:
        return "selenium is not installed (pip install -e '.[dev,app]')"
    if CHROMIUM is None or CHROMEDRIVER is None:
        return "chromium/chromedriver not installed; run .ci/install-browser.sh"
    return None


class ServerThread:
    """A Dash app served by werkzeug on 127.0.0.1 and a free port, in a daemon thread."""

    def __init__(self, app) -> None:  # type: ignore[no-untyped-def]
        import threading

        from werkzeug.serving import make_server

        self.server = make_server("127.0.0.1", 0, app.server, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> ServerThread:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.thread.join(timeout=10)


def make_driver(  # type: ignore[no-untyped-def]
    download_dir: Path, width: int = 1500, height: int = 950, *, network_log: bool = False
):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
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
        f"--window-size={width},{height}",
    ):
        options.add_argument(flag)
    options.add_experimental_option(
        "prefs",
        {
            "download.default_directory": str(download_dir),
            "download.prompt_for_download": False,
        },
    )
    if network_log:  # every request the page makes, read back with driver.get_log("performance")
        options.set_capability("goog:loggingPrefs", {"performance": "ALL", "browser": "ALL"})
    driver = webdriver.Chrome(options=options, service=Service(executable_path=str(CHROMEDRIVER)))
    driver.set_page_load_timeout(30)
    driver.execute_cdp_cmd(
        "Browser.setDownloadBehavior",
        {"behavior": "allow", "downloadPath": str(download_dir)},
    )
    return driver
