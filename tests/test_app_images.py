"""Image runs in the explorer: the thumbnail route and the thumbnails in the summary pane."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest

from app_helpers import build_image_run, build_run, write_images

pytest.importorskip("dash", reason="the app extra is not installed")
pytest.importorskip("PIL", reason="the images extra is not installed")

from PIL import Image

from hercules.app import make_app, panes
from hercules.app.thumbnails import PREVIEW, THUMB


@pytest.fixture(scope="module")
def image_files(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_images(tmp_path_factory.mktemp("images") / "photos")


@pytest.fixture(scope="module")
def app(image_files: Path, tmp_path_factory: pytest.TempPathFactory) -> Any:
    base = tmp_path_factory.mktemp("image-app")
    application = make_app(build_image_run(base / "run", image_files), workdir=base / "work")
    application.explorer.add_path(build_run(base / "text"))  # run-2: a text run
    return application


def _get(app: Any, run_id: str, item_id: str, size: int | None = None) -> Any:
    query = {"item": item_id} if size is None else {"item": item_id, "size": size}
    return app.server.test_client().get(f"/_hercules/thumbnail/{run_id}?{urlencode(query)}")


@pytest.mark.parametrize(
    ("item_id", "size", "mimetype", "expected"),
    [
        ("red_1.png", None, "image/jpeg", (THUMB, 96)),
        ("red_1.png", PREVIEW, "image/jpeg", (PREVIEW, 288)),
        ("green_0.png", THUMB, "image/png", (THUMB, 96)),  # RGBA source keeps its alpha
        ("more/blue_3.jpg", THUMB, "image/jpeg", (THUMB, 96)),  # ids may hold slashes
    ],
    ids=["jpeg-thumb", "preview", "png-alpha", "id-with-slash"],
)
def test_known_item_gives_downscaled_image(
    app: Any, item_id: str, size: int | None, mimetype: str, expected: tuple[int, int]
) -> None:
    response = _get(app, "run-1", item_id, size)
    assert response.status_code == 200
    assert response.mimetype == mimetype
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    with Image.open(io.BytesIO(response.data)) as image:
        assert image.size == expected
        assert image.format == mimetype.split("/")[1].upper()


@pytest.mark.parametrize(
    ("run_id", "item_id"),
    [
        ("run-1", "no_such.png"),
        ("run-1", "../../../../etc/passwd"),
        ("run-1", "/etc/passwd"),
        ("run-1", "photos/red_1.png"),
        ("run-9", "red_1.png"),  # no such run
        ("run-2", "0"),  # a text run's item has no image
    ],
    ids=["unknown", "dotdot", "absolute", "other-prefix", "unknown-run", "text-run"],
)
def test_unknown_or_path_like_ids_are_404(app: Any, run_id: str, item_id: str) -> None:
    response = _get(app, run_id, item_id)
    assert response.status_code == 404
    assert response.mimetype == "text/plain"


def test_real_path_of_an_item_or_a_stray_file_is_404(app: Any, image_files: Path) -> None:
    # The absolute path of an actual item is not an id, and a file beside the items that is
    # not one of them is never served, even when its name looks like an id.
    assert _get(app, "run-1", str(image_files / "red_1.png")).status_code == 404
    Image.new("RGB", (10, 10)).save(image_files / "stray.png")
    assert _get(app, "run-1", "stray.png").status_code == 404
    client = app.server.test_client()
    assert client.get("/_hercules/thumbnail/run-1?item=..%2F..%2Fetc%2Fpasswd").status_code == 404
    assert client.get("/_hercules/thumbnail/run-1").status_code == 404  # no item at all


def test_bad_size_is_rejected(app: Any) -> None:
    response = _get(app, "run-1", "red_1.png", 4096)
    assert response.status_code == 400
    assert b"4096" in response.data


def test_thumbnails_are_cached(app: Any) -> None:
    cache = app.explorer.thumbnails
    first = _get(app, "run-1", "red_2.png").data
    renders = cache.renders
    assert _get(app, "run-1", "red_2.png").data == first
    assert cache.renders == renders


def test_damaged_item_file_is_404_not_500(tmp_path: Path) -> None:
    images = write_images(tmp_path / "photos", per_colour=2)
    application = make_app(build_image_run(tmp_path / "run", images), workdir=tmp_path / "w")
    (images / "red_0.png").write_bytes(b"not a png")
    response = _get(application, "run-1", "red_0.png")
    assert response.status_code == 404
    assert b"could not be read" in response.data


def _find(component: Any, kind: str) -> list[Any]:
    found = [component] if type(component).__name__ == kind else []
    children = getattr(component, "children", None)
    if isinstance(children, list | tuple):
        for child in children:
            found += _find(child, kind)
    elif children is not None and not isinstance(children, str):
        found += _find(children, kind)
    return found


def test_summary_pane_shows_thumbnails_that_load(app: Any) -> None:
    explorer = app.explorer
    view = explorer.get("run-1")
    image_url = explorer.image_url("run-1")
    assert image_url is not None
    pane = panes.node_summary(view, "L1:0", image_url=image_url)
    images = _find(pane, "Img")
    assert len(images) == min(5, view.tree.node(1, 0).num_items)
    client = app.server.test_client()
    for img in images:
        assert img.src.startswith("/_hercules/thumbnail/run-1?item=")
        assert client.get(img.src).status_code == 200
    item = panes.node_summary(view, "L0:0", image_url=image_url)
    (preview,) = _find(item, "Img")
    assert preview.id == "summary-preview"
    assert preview.src.endswith(f"&size={PREVIEW}")
    assert client.get(preview.src).status_code == 200


def test_text_runs_get_no_thumbnails(app: Any) -> None:
    assert app.explorer.image_url("run-2") is None
    assert app.explorer.image_url(None) is None
    pane = panes.node_summary(app.explorer.get("run-2"), "L1:0")
    assert _find(pane, "Img") == []
