"""The explorer's title editor and the report's edited mark, without a browser."""

from __future__ import annotations

from pathlib import Path

import pytest

from app_helpers import build_run

pytest.importorskip("dash", reason="the app extra is not installed")

from hercules import Hercules, ParameterError, RunDirectoryError
from hercules.app import figures, panes
from hercules.app.report import render_report
from hercules.app.runview import EDITED_MARK, RunView


def _texts(component: object) -> list[str]:
    """Every string child in a Dash component tree, depth first."""
    out: list[str] = []

    def walk(node: object) -> None:
        if isinstance(node, str):
            out.append(node)
        elif isinstance(node, list | tuple):
            for child in node:
                walk(child)
        elif hasattr(node, "children"):
            walk(node.children)

    walk(component)
    return out


def _find(component: object, component_id: str) -> object | None:
    if getattr(component, "id", None) == component_id:
        return component
    children = getattr(component, "children", None)
    for child in children if isinstance(children, list | tuple) else [children]:
        if child is not None and not isinstance(child, str):
            found = _find(child, component_id)
            if found is not None:
                return found
    return None


@pytest.fixture
def view(tmp_path: Path) -> RunView:
    return RunView.open(build_run(tmp_path / "run"))


def test_saving_from_the_view_writes_the_run_and_marks_the_panes(view: RunView) -> None:
    node = view.set_title("L1:2", "  Edited in the app ", "Said by an analyst.")
    assert (node.title, node.title_edited) == ("Edited in the app", True)
    on_disk = Hercules.load_model(view.source).tree_.node(1, 2)
    assert (on_disk.title, on_disk.description, on_disk.title_edited) == (
        "Edited in the app",
        "Said by an analyst.",
        True,
    )
    assert not view.refresh()  # the view already shows what it saved
    pane = panes.node_summary(view, "L1:2")
    assert _find(pane, "summary-edited") is not None
    assert "title edited by hand" in _texts(pane)
    editor = _find(pane, "title-input")
    assert editor is not None
    assert editor.value == "Edited in the app"  # type: ignore[attr-defined]
    assert panes.node_label(view.node("L1:2")).endswith(f"Edited in the app {EDITED_MARK}")
    assert not panes.node_label(view.node("L1:1")).endswith(EDITED_MARK)
    frame = figures.hierarchy_frame(view)
    assert frame["labels"][frame["ids"].index("L1:2")] == f"Edited in the app {EDITED_MARK}"
    hover = figures.scatter_figure(view, 1).data[0].hovertext
    assert sum(EDITED_MARK in h for h in hover) == 1


def test_an_unedited_cluster_has_the_editor_but_no_mark(view: RunView) -> None:
    pane = panes.node_summary(view, "L2:0")
    assert _find(pane, "title-save") is not None
    assert _find(pane, "summary-edited") is None


def test_items_have_no_title_editor(view: RunView) -> None:
    assert _find(panes.node_summary(view, "L0:0"), "title-save") is None
    with pytest.raises(ParameterError, match="L0:0 is an item; only clusters"):
        view.set_title("L0:0", "T")


@pytest.mark.parametrize(
    ("title", "message"), [("", "is empty"), ("x" * 500, "500 characters")], ids=["empty", "long"]
)
def test_a_bad_title_from_the_app_is_refused_and_not_saved(
    view: RunView, title: str, message: str
) -> None:
    manifest = (Path(view.source) / "manifest.json").read_text()
    with pytest.raises(ParameterError, match=message):
        view.set_title("L1:0", title)
    assert (Path(view.source) / "manifest.json").read_text() == manifest
    assert not view.node("L1:0").title_edited


def test_a_failed_save_drops_the_edit(view: RunView, monkeypatch: pytest.MonkeyPatch) -> None:
    before = view.node("L1:0").title

    def full_disk(path: object) -> None:
        raise RunDirectoryError(f"Cannot write the run to {str(path)!r}: No space left")

    monkeypatch.setattr(view.model, "save_model", full_disk)
    with pytest.raises(RunDirectoryError, match="Cannot write the run"):
        view.set_title("L1:0", "Never saved")
    # The view reloaded the run from its folder: the title it shows is the saved one.
    assert view.node("L1:0").title == before
    assert not view.node("L1:0").title_edited


def test_the_report_marks_the_edited_title_and_escapes_it(view: RunView) -> None:
    view.set_title("L2:1", "<script>alert(1)</script> Hand title")
    page = render_report(view, title="report")
    assert page.count(f"{EDITED_MARK} edited</span>") == 1
    assert "&lt;script&gt;alert(1)&lt;/script&gt; Hand title</b>" in page
    assert "<script>alert(1)" not in page


def test_a_run_still_being_labelled_cannot_be_edited(tmp_path: Path) -> None:
    import threading
    import time

    from hercules.app import make_app

    explorer = make_app(build_run(tmp_path / "run"), workdir=tmp_path / "work").explorer
    run_id = explorer.first()
    release = threading.Event()

    def labelling(job):  # type: ignore[no-untyped-def]
        job.draft_run_id = run_id  # as run_job does once the draft is saved
        release.wait(20)
        return run_id

    job = explorer.jobs.start(labelling)
    try:
        deadline = time.time() + 20
        while job.draft_run_id is None and time.time() < deadline:
            time.sleep(0.01)
        assert explorer.labelling(run_id)
        assert not explorer.labelling("run-9")
    finally:
        release.set()
    explorer.jobs.wait(job.job_id, 20)
    assert not explorer.labelling(run_id)
