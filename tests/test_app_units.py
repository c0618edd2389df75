"""Fast tests of the explorer's helpers: figures, tree, search, uploads, jobs, report, CLI."""

from __future__ import annotations

import base64
import io
import stat
import sys
import threading
import zipfile
from pathlib import Path

import numpy as np
import pytest

from app_helpers import XSS_TITLE, build_run, corpus, fake_embed

pytest.importorskip("dash", reason="the app extra is not installed")

from hercules.app import figures, panes
from hercules.app.jobs import JobCancelled, JobRunner
from hercules.app.report import render_report, write_report
from hercules.app.runview import RunView, parse_key
from hercules.app.uploads import (
    MIB,
    UploadLimits,
    count_items,
    extract_zip,
    read_labels,
    safe_name,
    save_uploads,
)
from hercules.errors import InputError, MissingDependencyError, RunDirectoryError


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_run(tmp_path_factory.mktemp("unit") / "run")


@pytest.fixture(scope="module")
def xss_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_run(tmp_path_factory.mktemp("unit") / "xss", xss=True)


@pytest.fixture
def view(run_dir: Path) -> RunView:
    return RunView.open(run_dir)


def _data_url(data: bytes) -> str:
    return "data:application/octet-stream;base64," + base64.b64encode(data).decode()


# ---------------------------------------------------------------------- run view
@pytest.mark.parametrize(("key", "expected"), [("L0:0", (0, 0)), ("L12:345", (12, 345))])
def test_parse_key(key: str, expected: tuple[int, int]) -> None:
    assert parse_key(key) == expected


@pytest.mark.parametrize("key", ["", "L1", "1:2", "L1:-1", "L1:2; drop", "<script>"])
def test_parse_key_rejects(key: str) -> None:
    with pytest.raises(ValueError, match="not a node key"):
        parse_key(key)


def test_lineage_mask_covers_ancestors_and_descendants(view: RunView) -> None:
    node = view.tree.node(1, 0)
    parent = node.parent
    assert parent is not None
    at_top = view.lineage_mask("L1:0", 2)
    assert at_top is not None
    assert np.flatnonzero(at_top).tolist() == [parent.index]
    same = view.lineage_mask("L1:0", 1)
    assert same is not None
    assert np.flatnonzero(same).tolist() == [0]
    items = view.lineage_mask("L1:0", 0)
    assert items is not None
    assert np.flatnonzero(items).tolist() == node.member_indices.tolist()
    assert view.lineage_mask(None, 1) is None
    assert view.lineage_mask("L9:0", 1) is None  # unknown keys select nothing


def test_search_matches_every_word(view: RunView) -> None:
    hits = view.search("rocket")
    assert hits
    assert all("rocket" in (h.title + h.description).lower() for h in hits)
    assert view.search("rocket zzzunknown") == []
    assert view.search("   ") == []
    assert len(view.search("a", limit=3)) <= 3


def test_representatives_are_members_nearest_first(view: RunView) -> None:
    node = view.tree.node(1, 0)
    reps = view.representatives(node, count=3)
    ids = {view.tree.levels[0].ids[i] for i in node.member_indices}
    assert len(reps) == 3
    assert all(item_id in ids for item_id, _ in reps)


def test_exports(view: RunView) -> None:
    frame = view.membership()
    assert len(frame) == 60
    assert "level_2_title" in view.membership_csv().splitlines()[0]
    import pandas as pd

    parquet = pd.read_parquet(io.BytesIO(view.membership_parquet()))
    assert parquet["level_1_id"].tolist() == frame["level_1_id"].tolist()
    metrics = view.metrics()
    assert [m["level"] for m in metrics] == [1, 2]
    assert "silhouette" in view.evaluation_json()
    assert view.hierarchy_text().startswith("L2 #")
    with zipfile.ZipFile(io.BytesIO(view.run_archive())) as archive:
        assert "run/manifest.json" in archive.namelist()


def test_open_rejects_foreign_and_damaged_runs(tmp_path: Path, run_dir: Path) -> None:
    with pytest.raises(RunDirectoryError, match=r"no manifest\.json"):
        RunView.open(tmp_path)
    damaged = tmp_path / "damaged"
    import shutil

    shutil.copytree(run_dir, damaged)
    for parquet in damaged.glob("data-*/nodes.parquet"):
        parquet.write_bytes(b"not parquet")
    with pytest.raises(RunDirectoryError):
        RunView.open(damaged)


# ---------------------------------------------------------------------- figures
@pytest.mark.parametrize("mode", figures.SIZE_MODES)
def test_marker_sizes_grow_with_items(mode: str) -> None:
    sizes = figures.marker_sizes(np.array([1, 10, 100, 1000]), mode)
    assert sizes == sorted(sizes)
    assert sizes[-1] == pytest.approx(42.0)
    assert min(sizes) >= 8.0


def test_marker_sizes_near_equal_stay_near_equal() -> None:
    a, b = figures.marker_sizes(np.array([9, 11]), "linear")
    assert b / a == pytest.approx(11 / 9)


def test_marker_sizes_rejects_unknown_mode() -> None:
    with pytest.raises(ValueError, match="size mode"):
        figures.marker_sizes(np.array([1]), "cubic")


def test_plain_escapes_markup() -> None:
    assert "<" not in figures.plain(XSS_TITLE, 500)
    assert "&lt;script&gt;" in figures.plain(XSS_TITLE, 500)


def test_scatter_dims_all_but_lineage(view: RunView) -> None:
    fig = figures.scatter_figure(view, 1, selected="L2:0")
    opacity = list(fig.data[0].marker.opacity)
    children = [c.index for c in view.tree.node(2, 0).children]
    assert [i for i, o in enumerate(opacity) if o == 1.0] == sorted(children)
    assert fig.data[1].name == "selected path"
    plain = figures.scatter_figure(view, 1)
    assert len(plain.data) == 1
    assert set(plain.data[0].marker.opacity) == {0.85}


def test_display_level_hides_items_above_threshold(view: RunView) -> None:
    assert figures.display_level(view, 0, l0_threshold=100) == 0
    assert figures.display_level(view, 0, l0_threshold=10) == 1
    assert figures.display_level(view, 9, l0_threshold=10) == 2


def test_hierarchy_frame_is_consistent(view: RunView) -> None:
    cols = figures.hierarchy_frame(view)
    ids = cols["ids"]
    assert len(set(ids)) == len(ids) == 8
    by_id = dict(zip(ids, cols["values"], strict=True))
    for parent in cols["parents"]:
        if parent:
            assert parent in by_id
    tops = [v for v, p in zip(cols["values"], cols["parents"], strict=True) if not p]
    assert sum(tops) == 60


def test_treemap_fades_outside_selection(view: RunView) -> None:
    fig = figures.treemap_figure(view, selected="L2:0")
    colours = list(fig.data[0].marker.colors)
    ids = list(fig.data[0].ids)
    faded = {k for k, c in zip(ids, colours, strict=True) if c.startswith("rgb(")}
    assert "L2:1" in faded
    assert "L2:0" not in faded
    assert not any(f"L1:{c.index}" in faded for c in view.tree.node(2, 0).children)


def test_size_bar_is_sorted(view: RunView) -> None:
    fig = figures.size_bar_figure(view, 1)
    heights = list(fig.data[0].y)
    assert heights == sorted(heights, reverse=True)


# ---------------------------------------------------------------------- panes
def _texts(component: object) -> list[str]:
    out: list[str] = []
    children = getattr(component, "children", None)
    if isinstance(children, str):
        out.append(children)
    elif isinstance(children, list | tuple):
        for child in children:
            if isinstance(child, str):
                out.append(child)
            else:
                out.extend(_texts(child))
    elif children is not None:
        out.extend(_texts(children))
    return out


def _count_rows(component: object) -> int:
    n = 1 if "tree-row" in str(getattr(component, "className", "")) else 0
    children = getattr(component, "children", None)
    if isinstance(children, list | tuple):
        return n + sum(_count_rows(c) for c in children)
    if children is not None and not isinstance(children, str):
        return n + _count_rows(children)
    return n


def test_tree_list_is_lazy(view: RunView) -> None:
    closed = panes.tree_list(view, set(), None, l0_threshold=1000)
    assert _count_rows(closed) == 2
    one = panes.tree_list(view, {"L2:0"}, None, l0_threshold=1000)
    assert _count_rows(one) == 2 + len(view.tree.node(2, 0).children)


def test_tree_list_hides_items_above_threshold(view: RunView) -> None:
    first_child = view.tree.node(2, 0).children[0]
    key = f"L1:{first_child.index}"
    shown = panes.tree_list(view, {"L2:0", key}, None, l0_threshold=1000)
    hidden = panes.tree_list(view, {"L2:0", key}, None, l0_threshold=10)
    assert _count_rows(shown) > _count_rows(hidden)
    assert any("hidden" in t for t in _texts(hidden))


def test_summary_renders_untrusted_text_as_plain_strings(xss_dir: Path) -> None:
    xview = RunView.open(xss_dir)
    pane = panes.node_summary(xview, "L1:0")
    texts = _texts(pane)
    assert any(t.startswith(XSS_TITLE) for t in texts)  # shown literally, as a text child
    from dash import dcc

    def walk(c: object) -> list[object]:
        kids = getattr(c, "children", None)
        items = kids if isinstance(kids, list | tuple) else [kids] if kids is not None else []
        return [c] + [x for k in items if not isinstance(k, str) for x in walk(k)]

    assert not any(isinstance(c, dcc.Markdown) for c in walk(pane))
    also = [t for t in texts if "also" in t and t.startswith(XSS_TITLE)]
    assert also == [f"{XSS_TITLE} also (other titles the namer weighed, best first)"]


def test_the_pane_and_the_report_show_the_other_titles_weighed(tmp_path: Path) -> None:
    from hercules import Hercules

    model = Hercules.load_model(build_run(tmp_path / "run"))
    level = model.tree_.levels[1]
    level.title_candidates = [()] * len(level)
    level.title_candidates[0] = ("Rockets", level.titles[0], "Orbits", "Moons", "Nasa", "Shuttle")
    model.save_model(tmp_path / "run")
    view = RunView.open(tmp_path / "run")
    texts = _texts(panes.node_summary(view, "L1:0"))
    shown = "Rockets; Orbits; Moons; Nasa (other titles the namer weighed, best first)"
    assert shown in texts  # the title it has and the fifth other are left out
    assert not any("other titles the namer" in t for t in _texts(panes.node_summary(view, "L1:1")))
    report = render_report(view, title="t")
    assert report.count("Also considered: ") == 1
    assert "Also considered: Rockets; Orbits; Moons; Nasa</div>" in report


def test_overview_lists_metrics(view: RunView) -> None:
    texts = _texts(panes.overview(view))
    assert "silhouette" in texts
    assert "60" in texts


# ---------------------------------------------------------------------- uploads
@pytest.mark.parametrize(
    ("name", "expected"),
    [("../../etc/passwd", "passwd"), ("a b.txt", "a_b.txt"), (".hidden", "hidden"), ("", "upload")],
)
def test_safe_name(name: str, expected: str) -> None:
    assert safe_name(name) == expected


def _zip(entries: dict[str, bytes], link: str | None = None) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
        if link:
            info = zipfile.ZipInfo(link)
            info.external_attr = (stat.S_IFLNK | 0o777) << 16
            archive.writestr(info, "/etc/passwd")
    return buffer.getvalue()


@pytest.mark.parametrize("bad", ["../evil.txt", "/abs/evil.txt", "a/../../evil.txt", "C:/x.txt"])
def test_zip_traversal_rejected(tmp_path: Path, bad: str) -> None:
    data = _zip({"ok.txt": b"fine", bad: b"evil"})
    with pytest.raises(InputError, match="unsafe path"):
        extract_zip(data, tmp_path / "out", UploadLimits())
    assert not (tmp_path / "evil.txt").exists()
    assert not (tmp_path / "out").exists()  # nothing written before the check


def test_zip_symlink_rejected(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="symbolic link"):
        extract_zip(_zip({"ok.txt": b"x"}, link="link.txt"), tmp_path / "o", UploadLimits())


def test_zip_caps(tmp_path: Path) -> None:
    data = _zip({f"f{i}.txt": b"x" * 100 for i in range(5)})
    with pytest.raises(InputError, match="holds 5 files"):
        extract_zip(data, tmp_path / "a", UploadLimits(max_zip_members=4))
    with pytest.raises(InputError, match="unpacks to more than"):
        extract_zip(data, tmp_path / "b", UploadLimits(max_unzipped_bytes=300))
    assert extract_zip(data, tmp_path / "c", UploadLimits()) == 5


def test_save_uploads_size_cap_and_kinds(tmp_path: Path) -> None:
    text = "\n".join(corpus(2)).encode()
    big = b"word " * (MIB * 3 // 10)  # 1.5 MiB
    with pytest.raises(InputError, match=r"about 1\.5 MiB, over the 1 MiB limit"):
        save_uploads([_data_url(big)], ["a.txt"], tmp_path / "x", UploadLimits(max_bytes=MIB))
    with pytest.raises(InputError, match="unsupported type"):
        save_uploads([_data_url(b"MZ")], ["evil.exe"], tmp_path / "y", UploadLimits())
    path = save_uploads([_data_url(text)], ["../notes.txt"], tmp_path / "z", UploadLimits())
    assert path == tmp_path / "z" / "notes.txt"
    assert count_items(path) == 12
    folder = save_uploads(
        [_data_url(b"one"), _data_url(b"two")], ["a.txt", "b.txt"], tmp_path / "w", UploadLimits()
    )
    assert folder.is_dir()
    assert count_items(folder) == 2


def test_read_labels_checks_count() -> None:
    assert read_labels(_data_url(b"a\nb\n"), "l.txt") == ["a", "b"]
    with pytest.raises(InputError, match="has 2 lines but the data has 3"):
        read_labels(_data_url(b"a\nb\n"), "l.txt", 3)


# ---------------------------------------------------------------------- jobs
def test_job_cancel_stops_at_next_progress() -> None:
    runner = JobRunner()
    started = threading.Event()

    def work(job):  # type: ignore[no-untyped-def]
        started.set()
        for i in range(10_000):
            job.progress("Looping", i, 10_000)
            threading.Event().wait(0.005)
        return "never"

    job = runner.start(work)
    assert started.wait(5)
    job.cancel()
    runner.wait(job.job_id, timeout=10)
    assert job.state == "cancelled"
    assert job.run_id is None
    with pytest.raises(JobCancelled):
        job.progress("after", 0, 1)


def test_job_failure_is_reported_not_raised() -> None:
    runner = JobRunner()

    def work(job):  # type: ignore[no-untyped-def]
        raise InputError("bad data: column 'x' missing")

    job = runner.start(work)
    runner.wait(job.job_id, timeout=10)
    assert job.state == "failed"
    assert "column 'x'" in str(job.error)


def test_app_runs_upload_in_background(tmp_path: Path) -> None:
    from hercules.app import make_app

    app = make_app(
        None,
        workdir=tmp_path,
        model_options={"text_embedding_client": fake_embed, "labeller": "keywords"},
    )
    explorer = app.explorer
    text = "\n".join(corpus(4)).encode()
    job = explorer.start_run(
        [_data_url(text)],
        ["notes.txt"],
        labels=(_data_url("\n".join(["t"] * 24).encode()), "labels.txt"),
        params={"level_cluster_counts": [4, 2]},
        column=None,
        topic_seed=None,
    )
    explorer.jobs.wait(job.job_id, timeout=60)
    assert job.state == "done", job.error
    view = explorer.get(job.run_id)
    assert view is not None
    assert view.tree.n_items == 24
    assert "ari" in view.metrics()[0]  # labels reached the evaluation
    assert any("Embedding" in s or "Summarizing" in s for s in job.stages)


def test_app_rejects_oversized_upload(tmp_path: Path) -> None:
    from hercules.app import make_app

    app = make_app(None, workdir=tmp_path, limits=UploadLimits(max_bytes=100))
    with pytest.raises(InputError, match=r"over the 0\.0 MiB limit of this app"):
        app.explorer.start_run(
            [_data_url(b"x" * 1000)],
            ["a.txt"],
            labels=None,
            params={},
            column=None,
            topic_seed=None,
        )


def test_make_app_with_broken_run_serves_error_page(tmp_path: Path) -> None:
    from hercules.app import make_app

    app = make_app(tmp_path)
    response = app.server.test_client().get("/_dash-layout")
    assert response.status_code == 200
    assert b"Cannot open this run" in response.data
    assert b"no manifest.json" in response.data


# ---------------------------------------------------------------------- report and CLI
def test_report_is_self_contained_and_escaped(xss_dir: Path, tmp_path: Path) -> None:
    out = write_report(xss_dir, tmp_path / "r.html")
    text = out.read_text()
    assert "<script src=" not in text  # plotly.js is inlined
    assert "<script>window.__xss" not in text  # only escaped copies of the payload
    assert "&lt;script&gt;window.__xss = 1&lt;/script&gt;" in text
    assert "<img src=x" not in text
    assert 'id="treemap"' in text
    assert 'id="scatter"' in text


def test_report_tree_lists_all_clusters(view: RunView) -> None:
    text = render_report(view, title="t")
    assert text.count("<details") == 8


def test_cli_report(run_dir: Path, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from hercules.cli import app

    result = CliRunner().invoke(app, ["report", str(run_dir), "-o", str(tmp_path / "r.html")])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "r.html").stat().st_size > 100_000


def test_missing_dash_gives_install_hint(monkeypatch: pytest.MonkeyPatch, run_dir: Path) -> None:
    from hercules.app import make_app

    monkeypatch.setitem(sys.modules, "dash", None)
    with pytest.raises(MissingDependencyError, match=r"pip install 'hercules-cluster\[app\]'"):
        make_app(run_dir)


def test_numeric_run_shows_statistics(tmp_path: Path) -> None:
    from hercules import Hercules

    rng = np.random.default_rng(0)
    values = np.vstack([rng.normal(0, 1, (20, 3)), rng.normal(8, 1, (20, 3))])
    Hercules([2], labeller="keywords", random_state=0).fit(values).save_model(tmp_path / "num")
    nview = RunView.open(tmp_path / "num")
    stats = nview.numeric_stats(nview.tree.node(1, 0))
    assert stats is not None
    assert stats["column"].tolist() == ["x0", "x1", "x2"]
    assert set(np.round(np.abs(stats["mean"].to_numpy()))) <= {0.0, 8.0}
    assert "Numeric statistics" in _texts(panes.node_summary(nview, "L1:0"))
    assert any("x0=" in t for t in _texts(panes.node_summary(nview, "L0:0")))  # raw preview


def test_model_params_from_form() -> None:
    from hercules.app.run_callbacks import model_params

    params = model_params("10,3", "description", ["on"], 2, None, 4, 5, 7, "keywords", "sklearn")
    assert params == {
        "level_cluster_counts": [10, 3],
        "representation_mode": "description",
        "use_resampling": True,
        "resampling_steps": 2,
        "resampling_points_per_cluster": None,
        "n_representatives": 4,
        "max_levels": 5,
        "random_state": 7,
        "labeller": "keywords",
        "engine": "sklearn",
    }
    from hercules import Hercules

    Hercules(**params)  # every key is a real estimator parameter


def test_model_params_leaves_openai_labeller_to_the_backends() -> None:
    from hercules.app.run_callbacks import model_params

    params = model_params("auto", None, [], 3, None, 5, 6, 42, "openai", "auto")
    assert "labeller" not in params  # hercules_options adds the server as the labeller


# Library modules that hold clustering, reduction or storage code: the app must not import them.
_INTERNAL = ("hercules.engine", "hercules.builder", "hercules.reduce", "hercules.evaluate")
_INTERNAL += ("hercules.store", "hercules.data", "hercules.estimator")
_INTERNAL += ("hercules.tree", "sklearn", "faiss", "scipy")


def test_app_imports_only_the_public_api() -> None:
    import ast

    import hercules.app

    folder = Path(hercules.app.__file__).parent
    bad = []
    for path in sorted(folder.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            bad += [
                f"{path.name}: {name}"
                for name in names
                if any(name == m or name.startswith(m + ".") for m in _INTERNAL)
            ]
    assert bad == []
