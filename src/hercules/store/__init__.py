"""Runs on disk: the run directory (:mod:`.run`, its format in that docstring), a fitted model
to and from it (:mod:`.model`), and checkpoints that let a killed run resume
(:mod:`.checkpoint`). Every file of a run is written by this package, in one atomic swap."""

from hercules.store.checkpoint import Resume, checkpointing, data_digest, refuse_other_data
from hercules.store.model import SavedRun, load_fitted, save_fitted
from hercules.store.run import (
    LOG_FILE,
    check_writable,
    load_run,
    read_items,
    read_log,
    read_manifest,
    save_run,
)

__all__ = [
    "LOG_FILE",
    "Resume",
    "SavedRun",
    "check_writable",
    "checkpointing",
    "data_digest",
    "load_fitted",
    "load_run",
    "read_items",
    "read_log",
    "read_manifest",
    "refuse_other_data",
    "save_fitted",
    "save_run",
]
