"""The HERCULES explorer: a Dash app and a static HTML report over saved runs.

Needs the ``app`` extra (``pip install 'hercules-cluster[app]'``). It reads runs only through
the library's public API and holds no clustering code.
"""

from __future__ import annotations

from typing import Any

__all__ = ["make_app", "write_report"]


def make_app(*args: Any, **kwargs: Any) -> Any:
    """See :func:`hercules.app.server.make_app`."""
    from hercules.app.server import make_app as _make_app

    return _make_app(*args, **kwargs)


def write_report(*args: Any, **kwargs: Any) -> Any:
    """See :func:`hercules.app.report.write_report`."""
    from hercules.app.report import write_report as _write_report

    return _write_report(*args, **kwargs)
