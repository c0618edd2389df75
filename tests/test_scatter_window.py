"""The explorer's scatter keeps its clusters readable when one node lies far away."""

from __future__ import annotations

import numpy as np
import pytest

from app_helpers import build_run

pytest.importorskip("plotly", reason="the app extra is not installed")

from hercules.app import figures
from hercules.app.runview import RunView


def test_axis_window_by_hand():
    # Quartiles 2.25 and 6.75 (IQR 4.5): fences 2.25 - 13.5 = -11.25 and 6.75 + 13.5 = 20.25.
    values = np.array([0, 1, 2, 3, 4, 5, 6, 7, 8, 100.0])
    low, high = figures.axis_window(values)
    # The window spans the inside values 0..8, padded by 6% of 8 on each side.
    assert low == pytest.approx(-0.48)
    assert high == pytest.approx(8.48)
    assert figures.axis_window(np.arange(10.0)) is None  # nothing beyond the fences
    assert figures.axis_window(np.array([1.0, 1.0, 1.0, 1.0, 9.0])) is None  # no spread


def test_fit_to_window_moves_only_the_outlier_to_the_edge():
    rng = np.random.default_rng(0)
    x = rng.uniform(0, 1, 40)
    y = rng.uniform(0, 1, 40)
    y[7] = 50.0  # one far cluster, as in the 20NG demo's level 1
    xs, ys, symbols, xaxis, yaxis = figures.fit_to_window(x, y)
    assert xaxis == {}  # x has no outlier: plotly's own autorange
    low, high = yaxis["range"]
    assert yaxis["autorange"] is False
    assert high < 1.2  # the 39 others fill the plot instead of its bottom fiftieth
    assert low < ys.min()  # every node is on the plot
    assert ys.max() < high
    assert symbols[7] == "triangle-up"
    assert symbols.count("circle") == 39
    assert np.array_equal(np.delete(ys, 7), np.delete(y, 7))  # the others do not move
    assert np.array_equal(xs, x)
    assert y[7] == 50.0  # the input is not modified


def test_scatter_figure_uses_the_window(tmp_path):
    view = RunView.open(build_run(tmp_path / "run"))
    xy = view.tree.levels[1].reductions["representation_pca"]
    xy[:, 0] = np.arange(len(xy), dtype=xy.dtype)
    xy[:, 1] = np.arange(len(xy), dtype=xy.dtype)
    xy[0] = (-500.0, 0.0)
    fig = figures.scatter_figure(view, 1, selected="L1:0")
    trace = fig.data[0]
    assert list(trace.marker.symbol) == ["triangle-left"] + ["circle"] * (len(xy) - 1)
    assert fig.layout.xaxis.range[0] > -5
    assert fig.layout.yaxis.range is None  # y is fine as it is
    assert "drawn at the edge" in trace.hovertext[0]
    path = fig.data[1]  # the selected node's path stays inside the window too
    assert min(path.x) >= fig.layout.xaxis.range[0]
