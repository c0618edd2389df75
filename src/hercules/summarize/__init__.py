"""Titles and descriptions for clusters, behind the :class:`Summarizer` protocol."""

from hercules.summarize.base import ChildSummary, ClusterBrief, LevelRequest, Summarizer, Summary
from hercules.summarize.keywords import KeywordSummarizer
from hercules.summarize.llm import LLMSummarizer

__all__ = [
    "ChildSummary",
    "ClusterBrief",
    "KeywordSummarizer",
    "LLMSummarizer",
    "LevelRequest",
    "Summarizer",
    "Summary",
]
