"""The explorer refuses oversized uploads before reading them, and states its cap in MiB."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

pytest.importorskip("dash", reason="the app extra is not installed")

from hercules.app import make_app
from hercules.app.uploads import MIB, UploadLimits, mib, request_limit


class _UnreadableBody(io.RawIOBase):
    """A request body that fails the test if the server reads a single byte of it."""

    reads = 0
    size = 150 * 1000 * 1000  # the 150 MB POST of the issue
    position = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def seek(self, offset: int, whence: int = 0) -> int:
        self.position = offset if whence == 0 else self.size + offset
        return self.position

    def tell(self) -> int:
        return self.position

    def readinto(self, buffer: object) -> int:
        type(self).reads += 1
        raise AssertionError("the server read the body of an oversized request")


@pytest.mark.parametrize(
    "size", [150 * 1000 * 1000, request_limit(UploadLimits(2 * MIB)) + 1], ids=["150MB", "cap+1"]
)
def test_oversized_request_gets_413_unread(tmp_path: Path, size: int) -> None:
    app = make_app(None, workdir=tmp_path, limits=UploadLimits(max_bytes=2 * MIB))
    assert app.server.config["MAX_CONTENT_LENGTH"] == request_limit(UploadLimits(2 * MIB))
    _UnreadableBody.reads = 0
    response = app.server.test_client().post(
        "/_dash-update-component",
        input_stream=_UnreadableBody(),
        content_length=size,
        content_type="application/json",
    )
    assert response.status_code == 413
    assert "2 MiB limit" in response.get_data(as_text=True)
    assert _UnreadableBody.reads == 0


def test_request_under_the_cap_is_served(tmp_path: Path) -> None:
    app = make_app(None, workdir=tmp_path, limits=UploadLimits(max_bytes=2 * MIB))
    body = json.dumps({"payload": "x" * MIB}).encode()  # 1 MiB: under the cap
    response = app.server.test_client().post(
        "/_dash-update-component", data=body, content_type="application/json"
    )
    assert response.status_code != 413


def test_page_and_error_state_the_same_cap_in_mib(tmp_path: Path) -> None:
    limits = UploadLimits(max_bytes=50 * MIB)
    app = make_app(None, workdir=tmp_path, limits=limits)
    layout = json.dumps(app.layout(), cls=_PlotlyJSON)
    assert "at most 50 MiB" in layout
    assert " MB" not in layout
    # every upload area refuses larger files in the browser, before they are sent
    assert layout.count('"max_size": 52428800') == 3
    with pytest.raises(Exception, match="over the 50 MiB limit"):
        app.explorer.start_run(
            ["data:text/plain;base64," + "QUFB" * (17 * MIB)],  # ~51 MiB decoded
            ["a.txt"],
            labels=None,
            params={},
            column=None,
            topic_seed=None,
        )


@pytest.mark.parametrize(
    ("n_bytes", "text"), [(50 * MIB, "50 MiB"), (MIB // 2, "0.5 MiB"), (1.5 * MIB, "1.5 MiB")]
)
def test_mib(n_bytes: float, text: str) -> None:
    assert mib(n_bytes) == text


class _PlotlyJSON(json.JSONEncoder):
    def default(self, o: object) -> object:
        from plotly.utils import PlotlyJSONEncoder

        return json.loads(json.dumps(o, cls=PlotlyJSONEncoder))
