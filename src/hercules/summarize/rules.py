"""Every rule that rejects a title, declared once: what it rejects, why, and an example.

The **check** step of the naming pipeline (:mod:`hercules.summarize.pipeline`) runs these
rules on every cleaned candidate, in this order; the first that fires is the candidate's
rejection reason. Everything else about a title (how well it covers the members, how narrow or
broad it is) is measured, not ruled: :func:`hercules.title_quality.coverage_of` decides among
the candidates that pass. ``tests/test_title_pipeline.py`` triggers every rule with its example.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass

from hercules.summarize.schema import is_meta_title
from hercules.title_quality import copies_a_child, is_generic_title, normalize_title

# Function words a finished title does not end on; "a", "in", "on" are left out, for
# "Vitamin A", "Log In" and "Hands On" are whole.
_FRAGMENT_END = frozenset(
    "the an of for from to with by at as and or about into than vs versus".split()
)


# Text no name holds: the answer's own JSON (a brace, a bracket, a quoted key and its colon),
# or contact details copied from a member (a phone number's groups of 3, 3 and 4 digits, an
# e-mail address, a web address).
_NOT_A_NAME = re.compile(
    r"""[{}\[\]]|['"]\s*:\s*['"]"""
    r"|\d{3}\W{1,2}\d{3}\W\d{4}\b|[\w.+-]+@[\w-]+\.\w|://|\bwww\."
)


def scripts(text: str) -> frozenset[str]:
    """The writing systems of ``text``'s letters, as Unicode names them: "LATIN" for "Café",
    "CJK" for "汽车", "CYRILLIC", "GREEK", ..."""
    return frozenset(unicodedata.name(ch, "?").split()[0] for ch in text if ch.isalpha())


# The prompts are English: a title in their script reads, whatever the members write in.
PROMPT_SCRIPTS = frozenset({"LATIN"})


def is_not_a_name(title: str, written: frozenset[str] | None = None) -> bool:
    """True when ``title`` holds text no name holds: the syntax of the JSON answer around it
    (a brace, a bracket, or a quote, a colon and a quote), contact details (a phone number,
    an e-mail or web address), or letters of a script that neither the members (``written``,
    their :func:`scripts`, when known) nor the prompts (:data:`PROMPT_SCRIPTS`) write in."""
    if written is not None and not scripts(title) <= written | PROMPT_SCRIPTS:
        return True
    return _NOT_A_NAME.search(title) is not None


def is_fragment(title: str) -> bool:
    """True when ``title`` ends on a function word ("Rules for the"), a phrase cut short."""
    words = title.split()
    return bool(words) and words[-1].lower().strip(",.;:") in _FRAGMENT_END


@dataclass(frozen=True)
class RuleContext:
    """What a rule may look at besides the title: the cluster's children's titles, the
    normalised titles already given elsewhere in the tree, and the scripts its members write
    in (None when they are not known: no texts)."""

    children: tuple[str, ...] = ()
    taken: frozenset[str] = frozenset()
    written: frozenset[str] | None = None


@dataclass(frozen=True)
class Rule:
    """One reason to reject a title."""

    name: str  # the reason recorded in the node's note
    rejects: str
    why: str
    example: str  # a title that triggers the rule
    check: Callable[[str, RuleContext], bool]
    example_context: RuleContext = RuleContext()


RULES: tuple[Rule, ...] = (
    Rule(
        "names the container",
        "a title that names the container or nothing at all ('Posts about ...', 'Cluster 3')",
        "a reader needs the subject, and every cluster is a group of posts",
        "Posts about hockey",
        lambda title, _: len(title) < 2 or is_meta_title(title),
    ),
    Rule(
        "not a name",
        "a title holding the JSON answer's syntax (a brace, a bracket, a quoted key and colon),"
        " contact details (a phone number, an e-mail or web address) or letters of a script"
        " that neither the members nor the prompts write in",
        "the model ran one field of its answer into another, copied a member's signature or"
        " slipped into another language: the text names no subject a reader of the members"
        " reads",
        "Title': 'Ice Hockey",
        lambda title, ctx: is_not_a_name(title, ctx.written),
    ),
    Rule(
        "generic",
        "a title made only of subject-less words",
        "it fits every cluster, so it tells this one apart from none",
        "General Discussion",
        lambda title, _: is_generic_title(title),
    ),
    Rule(
        "ends mid-phrase",
        "a title ending on a function word",
        "a phrase cut short by the length bound names half a subject",
        "Rules for the",
        lambda title, _: is_fragment(title),
    ),
    Rule(
        "copies a sub-group's title",
        "a parent's title that is one of its children's titles word for word",
        "a parent names what all its children share; a child's name hides the others",
        "Baseball Pitching",
        lambda title, ctx: copies_a_child(title, ctx.children),
        RuleContext(children=("Baseball Pitching", "NHL Playoffs")),
    ),
    Rule(
        "already a title in the tree",
        "a title another node of the tree already has",
        "two nodes with one name cannot be told apart",
        "Space Shuttle",
        lambda title, ctx: normalize_title(title) in ctx.taken,
        RuleContext(taken=frozenset({"space shuttle"})),
    ),
)


def reject_reason(title: str, context: RuleContext) -> str:
    """The name of the first rule that rejects ``title``, or "" when none does."""
    for rule in RULES:
        if rule.check(title, context):
            return rule.name
    return ""
