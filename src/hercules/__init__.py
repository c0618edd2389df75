"""HERCULES: hierarchical clustering with LLM-written titles and descriptions at every level."""

from hercules._version import __version__
from hercules.errors import (
    HerculesError,
    InputError,
    MissingDependencyError,
    ParameterError,
    RunDirectoryError,
)
from hercules.estimator import Hercules
from hercules.summarize import KeywordSummarizer, LevelRequest, Summarizer, Summary
from hercules.tree import Cluster, ClusterTree

__all__ = [
    "Cluster",
    "ClusterTree",
    "Hercules",
    "HerculesError",
    "InputError",
    "KeywordSummarizer",
    "LevelRequest",
    "MissingDependencyError",
    "ParameterError",
    "RunDirectoryError",
    "Summarizer",
    "Summary",
    "__version__",
]
