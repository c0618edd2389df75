"""The data map's figures and HTML file (hercules.datamap), without a browser."""

from __future__ import annotations

import html
import json
import re

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from app_helpers import XSS_TITLE, build_run
from hercules import Hercules
from hercules.cli import app as cli_app
from hercules.colours import PALETTE, node_colours, shade
from hercules.datamap import hierarchy_figure, map_data, map_figure
from hercules.map_layout import MapLayout
from hercules.map_page import map_page, script_json

pytest.importorskip("plotly")


@pytest.fixture(scope="module")
def xss_run(tmp_path_factory):
    return build_run(tmp_path_factory.mktemp("map") / "xss", xss=True)


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    run = build_run(tmp_path_factory.mktemp("map") / "plain")
    return Hercules.load_model(run)


def _pca(model) -> MapLayout:
    from hercules.map_layout import compute_layout

    return compute_layout(model.tree_.levels[0].representation, method="pca")


def _embedded(page: str, element_id: str):
    match = re.search(
        rf'<script type="application/json" id="{element_id}">(.*?)</script>', page, re.S
    )
    assert match is not None
    return json.loads(match.group(1))


def test_page_holds_every_title_escaped_and_loads_nothing(xss_run):
    model = Hercules.load_model(xss_run)
    page = map_page(model.tree_, model.corpus_, _pca(model), title=XSS_TITLE)
    # The raw payload never appears as markup: not in the title, not in the JSON.
    assert "<script>window.__xss" not in page
    assert "<img src=x" not in page
    assert html.escape(XSS_TITLE) in page  # the <title> and <h1>, escaped
    data = _embedded(page, "map-data")
    for lvl in range(1, model.tree_.top_level + 1):
        assert data["levels"][str(lvl)]["titles"] == list(model.tree_.levels[lvl].titles)
    figure = _embedded(page, "map-figure")
    names = [a["name"] for a in figure["layout"]["annotations"]]
    assert sorted({n.split(":")[0] for n in names}) == ["L1", "L2"]
    assert len(names) == len(model.tree_.levels[1]) + len(model.tree_.levels[2])
    for annotation in figure["layout"]["annotations"]:
        assert "<" not in annotation["text"]  # plotly draws these: HTML-escaped
        assert annotation["text"].startswith("&lt;script&gt;")
    # No resource from the network: no script/link/img with a URL, and a CSP forbidding it.
    assert not re.search(r"<(script|link|img|iframe)[^>]+(src|href)\s*=\s*[\"']?https?:", page)
    assert "default-src 'none'" in page
    assert page.count("<script") == 4  # figure JSON, data JSON, plotly.js, the page's code


def _layers(fig) -> dict[str, list]:
    out: dict[str, list] = {}
    for a in fig.layout.annotations:
        if a.name:
            out.setdefault(a.name.split(":")[0], []).append(a)
    return out


def test_labels_per_level_and_only_the_top_shows_first(model):
    fig = map_figure(model.tree_, model.corpus_, _pca(model))
    layers = _layers(fig)
    assert list(layers) == ["L2", "L1"]
    assert [a.text for a in layers["L2"]] == list(model.tree_.levels[2].titles)
    assert len(layers["L1"]) == len(model.tree_.levels[1])
    assert {a.visible for a in layers["L2"]} == {True}
    assert {a.visible for a in layers["L1"]} == {False}
    assert len(fig.data[0].x) == 60
    # In a notebook, buttons switch the layers: the second shows level 1 only.
    buttons = fig.layout.updatemenus[0].buttons
    assert [b.label for b in buttons] == ["level 2 titles", "level 1 titles"]
    shown = buttons[1].args[0]
    assert sum(shown.values()) == len(model.tree_.levels[1])
    assert shown["annotations[0].visible"] is False


def test_selected_cluster_is_highlighted(model):
    fig = map_figure(model.tree_, model.corpus_, _pca(model), selected=(1, 0))
    members = model.tree_.members(1, 0)
    assert sorted(fig.data[0].selectedpoints) == members.tolist()


def test_large_runs_are_decimated_and_say_so(model):
    data = map_data(model.tree_, model.corpus_, _pca(model), max_points=25)
    assert len(data.shown) == 25
    assert data.left_out is not None
    assert "Showing 25 of 60 items" in data.left_out
    fig = map_figure(model.tree_, model.corpus_, _pca(model), max_points=25)
    assert any("Showing 25 of 60 items" in a.text for a in fig.layout.annotations)
    # Label sizes still count every item.
    assert sum(data.labels[0]["sizes"]) == 60


def test_numeric_run_hovers_its_values():
    frame = pd.DataFrame({"height": [1.0, 1.1, 9.0, 9.2, 1.05, 9.1], "kind": [1, 1, 2, 2, 1, 2]})
    model = Hercules([2], embed_descriptions=False).fit(frame)
    fig = map_figure(model.tree_, model.corpus_, _pca(model))
    assert fig.data[0].hovertext[0] == "height=1, kind=1"
    assert fig.data[0].hovertext[2] == "height=9, kind=2"


@pytest.mark.parametrize("k", [1, 2])
def test_one_cluster_at_a_level_still_draws(k):
    texts = [f"word{i % 3} other{i % 2}" for i in range(12)]
    from app_helpers import fake_embed

    model = Hercules([k], text_embedding_client=fake_embed, labeller="keywords").fit(texts)
    layout = _pca(model)
    fig = map_figure(model.tree_, model.corpus_, layout)
    layers = _layers(fig)
    assert list(layers) == ["L1"]
    assert len(layers["L1"]) == len(model.tree_.levels[1]) == k
    page = map_page(model.tree_, model.corpus_, layout, title="t")
    assert _embedded(page, "map-data")["top"] == 1


def test_script_json_cannot_close_its_script():
    text = script_json({"t": "</script><script>alert(1)</script>&\u2028"})
    assert "</" not in text
    assert "<" not in text
    assert json.loads(text)["t"].startswith("</script>")


def test_colours_shade_children_of_their_parent(model):
    colours = node_colours(model.tree_)
    tree = model.tree_
    assert colours[2] == [PALETTE[0], PALETTE[1]]
    for i, parent in enumerate(tree.levels[1].parent):
        siblings = np.flatnonzero(tree.levels[1].parent == parent)
        rank = int(np.flatnonzero(siblings == i)[0])
        assert colours[1][i] == shade(colours[2][parent], rank, len(siblings), 0.36)
    for i, parent in enumerate(tree.levels[0].parent):
        assert colours[0][i] == colours[1][parent]


@pytest.mark.parametrize(
    ("rank", "count", "expected"),
    [(0, 1, "#4e79a7"), (0, 2, "#314c68"), (1, 2, "#89a7c8")],
    ids=["only-child", "first-darker", "last-lighter"],
)
def test_shade_by_hand(rank, count, expected):
    # #4e79a7 is HLS (0.586, 0.480, 0.363); two siblings sit at lightness 0.480 -/+ 0.18:
    # 0.300 gives (49, 76, 104) and 0.660 gives (137, 167, 200), hue and saturation kept.
    assert shade("#4e79a7", rank, count) == expected


def test_tree_figure_uses_the_map_colours(model):
    fig = hierarchy_figure(model.tree_)
    colours = node_colours(model.tree_)
    by_key = dict(zip(fig.data[0].ids, fig.data[0].marker.colors, strict=True))
    assert by_key["L2:0"] == colours[2][0]
    assert by_key["L1:3"] == colours[1][3]
    picked = hierarchy_figure(model.tree_, selected=(2, 0))
    faded = dict(zip(picked.data[0].ids, picked.data[0].marker.colors, strict=True))
    assert faded["L2:0"] == colours[2][0]
    assert faded["L2:1"].startswith("rgb(")


def test_model_methods_and_cli(tmp_path):
    run = build_run(tmp_path / "run")
    model = Hercules.load_model(run)
    assert model.plot_tree(kind="sunburst").data[0].type == "sunburst"
    assert model.plot_map(selected=model.tree_.node(2, 1)).data[0].type == "scattergl"
    out = model.map_html(tmp_path / "m.html")
    assert out.read_text().startswith("<!DOCTYPE html>")
    result = CliRunner().invoke(cli_app, ["map", str(run)])
    assert result.exit_code == 0, result.output
    assert (run / "map.html").is_file()
    other = tmp_path / "elsewhere" / "x.html"
    assert CliRunner().invoke(cli_app, ["map", str(run), "--out", str(other)]).exit_code == 0
    assert other.is_file()


def test_a_tree_with_no_cluster_level_draws_its_items():
    from hercules.data.dataset import Corpus
    from hercules.tree import ClusterTree, Level

    items = Level(
        0, [0, 1, 2], np.eye(3, dtype=np.float32), np.ones(3, np.int64), [""] * 3, [""] * 3
    )
    tree = ClusterTree([items], "text")
    corpus = Corpus("text", [0, 1, 2], texts=["a", "b", "c"])
    layout = MapLayout(np.array([[0, 0], [1, 0], [0, 1]], np.float32), "pca")
    fig = map_figure(tree, corpus, layout)
    assert len(fig.data[0].x) == 3
    assert not [a for a in fig.layout.annotations if a.name]
    assert _embedded(map_page(tree, corpus, layout, title="t"), "map-data")["levels"] == {}


def test_image_run_carries_thumbnails_for_the_hover(tmp_path):
    pytest.importorskip("PIL")
    from app_helpers import build_image_run, write_images

    model = Hercules.load_model(build_image_run(tmp_path / "run", write_images(tmp_path / "img")))
    page = map_page(model.tree_, model.corpus_, _pca(model), title="images")
    thumbs = _embedded(page, "map-data")["items"]["thumb"]
    assert len(thumbs) == model.tree_.n_items == 12
    assert all(t.startswith("data:image/jpeg;base64,") for t in thumbs)
    import base64
    import io

    from PIL import Image

    with Image.open(io.BytesIO(base64.b64decode(thumbs[0].split(",", 1)[1]))) as image:
        assert max(image.size) == 72  # 640 x 480 scaled to fit 72 px


def test_max_points_below_one_is_refused(model):
    from hercules.errors import ParameterError

    with pytest.raises(ParameterError, match=r"max_points must be >= 1.*got 0"):
        map_data(model.tree_, model.corpus_, _pca(model), max_points=0)


def test_a_title_edited_by_hand_is_marked_on_the_map(tmp_path):
    from hercules.edits import EDITED_SYMBOL

    model = Hercules.load_model(build_run(tmp_path / "run"))
    node = model.tree_.levels[1].ids[0]
    model.set_title(node, "Hand-written title")
    fig = map_figure(model.tree_, model.corpus_, _pca(model))
    texts = [a.text for a in _layers(fig)["L1"]]
    assert f"Hand-written title {EDITED_SYMBOL}" in texts
    assert sum(EDITED_SYMBOL in t for t in texts) == 1
    page = map_page(model.tree_, model.corpus_, _pca(model), title="run")
    titles = _embedded(page, "map-data")["levels"]["1"]["titles"]
    assert titles[0] == f"Hand-written title {EDITED_SYMBOL}"
