"""Turn browser uploads into files on disk, with size/item caps and safe zip extraction.

Nothing here trusts the client: file names are reduced to a safe base name, zip members with
absolute paths, ``..`` parts, links or oversized contents are rejected, and every error names
the file and the limit so the user can fix the upload.
"""

from __future__ import annotations

import base64
import binascii
import logging
import re
import stat
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import pandas as pd

from hercules.errors import InputError

logger = logging.getLogger(__name__)

DATA_SUFFIXES = frozenset(
    {".txt", ".md", ".csv", ".tsv", ".parquet", ".pq", ".jsonl", ".ndjson", ".json"}
)
IMAGE_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".gif", ".bmp", ".webp", ".tif", ".tiff"})
_SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")
MIB = 1024 * 1024
# A browser upload travels base64-encoded (4/3 of its size) inside a JSON callback request.
_REQUEST_OVERHEAD = 4 * MIB


def mib(n_bytes: float) -> str:
    """A size in MiB, the one unit of every upload limit the app shows."""
    value = n_bytes / MIB
    return f"{value:.0f} MiB" if value >= 10 or value == int(value) else f"{value:.1f} MiB"


def request_limit(limits: UploadLimits) -> int:
    """The largest HTTP request the server reads: the decoded cap, base64-encoded, plus room
    for the labels file and the JSON around them. Larger requests get 413 unread."""
    return limits.max_bytes * 4 // 3 + _REQUEST_OVERHEAD


def too_large(approx_bytes: float, limits: UploadLimits) -> InputError:
    return InputError(
        f"The upload is about {mib(approx_bytes)}, over the {mib(limits.max_bytes)} limit of "
        "this app; upload a sample, or use the `hercules run` CLI for large data."
    )


@dataclass(frozen=True)
class UploadLimits:
    max_bytes: int = 50 * MIB  # decoded bytes over all uploaded files (and per file)
    max_items: int = 20_000
    max_zip_members: int = 20_000
    max_unzipped_bytes: int = 200 * 1024 * 1024


def safe_name(name: str) -> str:
    """A file's base name reduced to ``[A-Za-z0-9._-]``; never empty, never hidden."""
    base = PurePosixPath(str(name).replace("\\", "/")).name
    cleaned = _SAFE_NAME.sub("_", base).lstrip(".") or "upload"
    return cleaned[:120]


def decode_contents(contents: str, filename: str) -> bytes:
    """Decode a ``data:...;base64,...`` string from dcc.Upload."""
    _, _, payload = str(contents).partition(",")
    try:
        return base64.b64decode(payload, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise InputError(
            f"Upload {filename!r} is not valid base64 data ({exc}); try again."
        ) from exc


def save_uploads(
    contents: list[str], filenames: list[str], folder: Path, limits: UploadLimits
) -> Path:
    """Write the uploads into ``folder``; return the path to cluster (a file or a folder)."""
    if not contents:
        raise InputError("No data uploaded: drop a .txt/.csv/.parquet file, text files or a zip.")
    total = sum(len(c) * 3 // 4 for c in contents)
    if total > limits.max_bytes:
        raise too_large(total, limits)
    folder.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for content, name in zip(contents, filenames, strict=True):
        data = decode_contents(content, name)
        target = folder / safe_name(name)
        if target.suffix.lower() == ".zip":
            extract_zip(data, folder / "data", limits, name)
            continue
        suffix = target.suffix.lower()
        if suffix not in DATA_SUFFIXES | IMAGE_SUFFIXES:
            raise InputError(
                f"Upload {name!r} has an unsupported type {suffix or '(none)'}; use .txt, .csv, "
                ".tsv, .parquet, .jsonl, images, or a .zip of text or image files."
            )
        written.append(target)
        target.write_bytes(data)
    if (folder / "data").exists():
        for path in written:  # loose files join the unzipped ones
            path.rename(folder / "data" / path.name)
        return folder / "data"
    if len(written) == 1 and written[0].suffix.lower() not in IMAGE_SUFFIXES | {".md"}:
        return written[0]
    data_dir = folder / "data"
    data_dir.mkdir()
    for path in written:
        path.rename(data_dir / path.name)
    return data_dir


def extract_zip(data: bytes, dest: Path, limits: UploadLimits, name: str = "upload.zip") -> int:
    """Extract a zip of text/image files; reject traversal, links and zip bombs."""
    import io

    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile as exc:
        raise InputError(f"{name!r} is not a valid zip file ({exc}).") from exc
    with archive:
        members = [m for m in archive.infolist() if not m.is_dir()]
        if len(members) > limits.max_zip_members:
            raise InputError(
                f"{name!r} holds {len(members)} files, over the limit of "
                f"{limits.max_zip_members}; upload fewer files."
            )
        total = 0
        for member in members:
            check_member(member, name)
            total += member.file_size
            if total > limits.max_unzipped_bytes:
                raise InputError(
                    f"{name!r} unpacks to more than {mib(limits.max_unzipped_bytes)}; "
                    "upload a smaller archive."
                )
        dest.mkdir(parents=True, exist_ok=True)
        root = dest.resolve()
        count = 0
        for member in members:
            parts = PurePosixPath(member.filename).parts
            if any(p.startswith(".") or p == "__MACOSX" for p in parts):
                continue  # hidden files and macOS resource forks
            if PurePosixPath(member.filename).suffix.lower() not in DATA_SUFFIXES | IMAGE_SUFFIXES:
                continue
            target = root.joinpath(*[safe_name(p) for p in parts]).resolve()
            if not target.is_relative_to(root):  # pragma: no cover - check_member stops this
                raise InputError(f"{name!r}: member {member.filename!r} escapes the upload folder.")
            target.parent.mkdir(parents=True, exist_ok=True)
            with archive.open(member) as src:
                blob = src.read(member.file_size + 1)
            if len(blob) != member.file_size:
                raise InputError(f"{name!r}: member {member.filename!r} has a wrong size header.")
            target.write_bytes(blob)
            count += 1
    if count == 0:
        raise InputError(f"{name!r} holds no .txt/.md/.csv/.parquet or image files.")
    return count


def check_member(member: zipfile.ZipInfo, name: str) -> None:
    """Reject absolute paths, drive letters, ``..`` and symbolic links in a zip member."""
    raw = member.filename.replace("\\", "/")
    path = PurePosixPath(raw)
    if raw.startswith("/") or re.match(r"^[A-Za-z]:", raw) or ".." in path.parts:
        raise InputError(
            f"{name!r} contains the unsafe path {member.filename!r} (absolute or with '..'); "
            "zip uploads must hold relative paths inside the archive."
        )
    mode = member.external_attr >> 16
    if stat.S_ISLNK(mode):
        raise InputError(f"{name!r} contains a symbolic link {member.filename!r}; remove it.")


def count_items(path: Path) -> int:
    """How many items ``path`` will give, read the way HERCULES reads it (approximate for txt)."""
    if path.is_dir():
        return sum(
            1
            for p in path.rglob("*")
            if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES | {".txt", ".md"}
        )
    suffix = path.suffix.lower()
    if suffix == ".txt":
        with open(path, encoding="utf-8", errors="replace") as handle:
            return sum(1 for line in handle if line.strip())
    if suffix in {".parquet", ".pq"}:
        import pyarrow.parquet as pq

        return int(pq.ParquetFile(path).metadata.num_rows)
    if suffix in {".csv", ".tsv"}:
        # Rows only: the delimiter does not change the count (the app imports no core module).
        return len(pd.read_csv(path, sep="\t" if suffix == ".tsv" else ",", usecols=[0]))
    if suffix in {".jsonl", ".ndjson"}:
        with open(path, encoding="utf-8", errors="replace") as handle:
            return sum(1 for line in handle if line.strip())
    if suffix == ".json":
        try:
            return len(pd.read_json(path))
        except ValueError as exc:
            raise InputError(f"{path.name!r} is not a JSON table ({exc}).") from exc
    return 1


def upload_kind(path: Path) -> str:
    """``"image"`` for a folder of images only (as HERCULES reads it), else ``"text"``."""
    if path.is_dir():
        files = [p for p in path.rglob("*") if p.is_file() and not p.name.startswith(".")]
        suffixes = {p.suffix.lower() for p in files}
        if suffixes & IMAGE_SUFFIXES and not suffixes & {".txt", ".md"}:
            return "image"
        return "text"
    return "image" if path.suffix.lower() in IMAGE_SUFFIXES else "text"


def read_labels(contents: str, filename: str, n_items: int | None = None) -> list[str]:
    """Ground-truth labels: a text file with one label per line."""
    text = decode_contents(contents, filename).decode("utf-8", errors="replace")
    labels = [line.rstrip("\r") for line in text.split("\n")]
    while labels and labels[-1] == "":
        labels.pop()
    if n_items is not None and len(labels) != n_items:
        raise InputError(
            f"The labels file {filename!r} has {len(labels)} lines but the data has {n_items} "
            "items; give one label per item, in input order."
        )
    return labels
