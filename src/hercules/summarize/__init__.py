"""Titles and descriptions for clusters, behind the :class:`Summarizer` protocol."""

from hercules.summarize.base import ChildSummary, ClusterBrief, LevelRequest, Summarizer, Summary
from hercules.summarize.keywords import KeywordSummarizer

__all__ = [
    "ChildSummary",
    "ClusterBrief",
    "KeywordSummarizer",
    "LevelRequest",
    "Summarizer",
    "Summary",
]
