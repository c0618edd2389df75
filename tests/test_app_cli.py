"""`hercules serve` as a real process: binds 127.0.0.1 by default, warns for any other host."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from app_helpers import build_run

pytest.importorskip("dash", reason="the app extra is not installed")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _serve(run_dir: Path, *args: str) -> tuple[str, int]:
    """Start `hercules serve`, wait for the page, return (console output, HTTP status)."""
    port = _free_port()
    host = args[args.index("--host") + 1] if "--host" in args else "127.0.0.1"
    command = [sys.executable, "-m", "hercules.cli", "serve", str(run_dir), "--port", str(port)]
    proc = subprocess.Popen(
        [*command, *args], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    status = 0
    try:
        deadline = time.time() + 60
        while time.time() < deadline and proc.poll() is None:
            try:
                with urllib.request.urlopen(f"http://{host}:{port}/", timeout=2) as response:
                    status = response.status
                    break
            except OSError:
                time.sleep(0.3)
    finally:
        proc.terminate()
        output, _ = proc.communicate(timeout=20)
    return output, status


def test_serve_binds_localhost_without_warning(tmp_path: Path) -> None:
    output, status = _serve(build_run(tmp_path / "run"))
    assert status == 200, output
    assert "Explorer on http://127.0.0.1:" in output
    assert "Warning" not in output


@pytest.mark.skipif(sys.platform != "linux", reason="127.0.0.2 is loopback on Linux only")
def test_serve_on_another_host_warns(tmp_path: Path) -> None:
    # 127.0.0.2 is loopback on Linux, so the test exposes nothing, but it is not a local name.
    output, status = _serve(build_run(tmp_path / "run"), "--host", "127.0.0.2")
    assert status == 200, output
    assert "Warning: binding 127.0.0.2:" in output
    assert "no authentication" in output
