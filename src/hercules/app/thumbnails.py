"""Downscaled previews of a loaded image run's items, for the summary pane.

Safety: the browser names a run and an *item id*; the file is looked up among that run's level-0
items, so a request can only ever read an image that is an item of a loaded run (never a path
taken from the URL). Images are decoded with Pillow (the ``images`` extra, imported lazily),
re-encoded at most ``size`` pixels on their longer side, and cached in memory.
"""

from __future__ import annotations

import io
import threading
from collections import OrderedDict
from pathlib import Path
from urllib.parse import quote, urlencode

THUMB = 128  # representative samples
PREVIEW = 384  # the raw preview of one selected item
SIZES = frozenset({THUMB, PREVIEW})
ROUTE = "_hercules/thumbnail"


def pillow_available() -> bool:
    import importlib.util

    return importlib.util.find_spec("PIL") is not None


def thumbnail_url(prefix: str, run_id: str, item_id: object, size: int = THUMB) -> str:
    """The URL the route below answers for ``item_id`` of run ``run_id``."""
    query = urlencode({"item": str(item_id), "size": size})
    return f"{prefix}{ROUTE}/{quote(run_id, safe='')}?{query}"


def render(path: Path, size: int) -> tuple[bytes, str]:
    """``path`` downscaled to fit ``size`` x ``size``: JPEG bytes, or PNG when it has alpha.

    Raises OSError (or ValueError) when Pillow cannot read it; Pillow's own decompression-bomb
    check stays on.
    """
    from PIL import Image

    try:
        return _render(path, size)
    except Image.DecompressionBombError as exc:
        raise ValueError(f"{path.name}: {exc}") from exc


def _render(path: Path, size: int) -> tuple[bytes, str]:
    from PIL import Image, ImageOps

    with Image.open(path) as opened:
        opened.draft("RGB", (size, size))  # JPEG: decode at a reduced scale, much faster
        turned = ImageOps.exif_transpose(opened)
        has_alpha = turned.mode in ("RGBA", "LA", "PA") or (
            turned.mode == "P" and "transparency" in turned.info
        )
        image = turned.convert("RGBA" if has_alpha else "RGB")
        image.thumbnail((size, size), Image.Resampling.LANCZOS)
        buffer = io.BytesIO()
        if has_alpha:
            image.save(buffer, format="PNG", optimize=True)
            return buffer.getvalue(), "image/png"
        image.save(buffer, format="JPEG", quality=85)
        return buffer.getvalue(), "image/jpeg"


class ThumbnailCache:
    """A bounded LRU of rendered thumbnails keyed by (run id, item index, size)."""

    def __init__(self, max_entries: int = 2048) -> None:
        self.max_entries = max_entries
        self._entries: OrderedDict[tuple[str, int, int], tuple[bytes, str]] = OrderedDict()
        self._lock = threading.Lock()
        self.renders = 0

    def get(self, run_id: str, index: int, size: int, path: Path) -> tuple[bytes, str]:
        key = (run_id, index, size)
        with self._lock:
            hit = self._entries.get(key)
            if hit is not None:
                self._entries.move_to_end(key)
                return hit
        result = render(path, size)  # outside the lock: other requests keep being served
        with self._lock:
            self.renders += 1
            self._entries[key] = result
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)
        return result
