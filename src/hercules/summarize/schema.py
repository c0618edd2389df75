"""The answer format for cluster summaries: a pydantic model, its JSON schema, lenient parsing.

LLM output is untrusted: it is parsed with ``json.loads`` and validated, never evaluated.
Backends without constrained decoding may wrap JSON in markdown fences, add prose around it,
or leave trailing commas; :func:`extract_json` undoes those before validation.
"""

from __future__ import annotations

import json
import re
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

TITLE_MAX = 80
DESCRIPTION_MAX = 600
# What the model is asked for: a few short candidate titles and one short sentence. Tight
# bounds keep generation near 40 tokens a cluster (the throughput issue's token diet).
CANDIDATES = 3
CANDIDATE_MAX = 48
OFFERED_MAX = 8  # candidate titles read from an unconstrained answer
SENTENCE_MAX = 160
# Words per candidate title: room for a conjunction of three short subjects ("Politics,
# Religion and Health"). At level 1 a one-word title is mostly a key word echoed back, so two
# words at least; parents may be one word ("Religion").
TITLE_WORDS = {1: (2, 6), 2: (1, 7)}
# The broad area a parent's members belong to ("Sports", "Computer Science"), asked after the
# titles and the description in the same answer (prompt.asks_area): a small model names the
# field when asked for it, and rarely offers it among its titles.
AREA_WORDS = (1, 4)


def title_words(level: int) -> tuple[int, int]:
    """(fewest, most) words of a candidate title at ``level``."""
    return TITLE_WORDS[1] if level <= 1 else TITLE_WORDS[2]


def title_pattern(min_words: int, max_words: int) -> str:
    """Regex for a title of ``min_words`` to ``max_words`` space-separated words."""
    return rf"^[^ ]+( [^ ]+){{{min_words - 1},{max_words - 1}}}$"


class ClusterLabel(BaseModel):
    """One cluster's answer: candidate ``titles`` (or a single ``title``), the broad ``area``
    of its members where asked, and a description."""

    model_config = ConfigDict(extra="ignore")

    id: int = Field(description="The cluster id given in the prompt")
    title: str | None = Field(default=None, max_length=TITLE_MAX * 2)
    titles: list[str] | None = None
    area: str | None = Field(default=None, max_length=TITLE_MAX * 2)
    description: str = Field(min_length=2, max_length=DESCRIPTION_MAX * 2)

    @field_validator("titles", mode="before")
    @classmethod
    def _first_titles(cls, value: Any) -> Any:
        # Unconstrained, a small model may list ten key words where three titles were asked
        # for; its first ones are its best, and failing the cluster would cost a whole re-ask.
        return value[:OFFERED_MAX] if isinstance(value, list) else value

    @property
    def candidates(self) -> list[str]:
        """The offered titles in the model's order, then the area; blanks and repeats removed."""
        offered = list(self.titles or []) + [t for t in (self.title, self.area) if t]
        seen: set[str] = set()
        out = []
        for text in offered:
            key = " ".join(str(text).lower().split())
            if len(key) >= 2 and key not in seen:
                seen.add(key)
                out.append(str(text))
        return out


class LabelBatch(BaseModel):
    model_config = ConfigDict(extra="ignore")

    clusters: list[ClusterLabel]


class AnswerError(ValueError):
    """The model's answer could not be read as the summaries asked for."""


def _label_properties(
    ids: list[int] | None, words: tuple[int, int] | None, area: bool
) -> dict[str, Any]:
    props: dict[str, Any] = {}
    if ids is not None:
        props["id"] = {"type": "integer", "enum": list(ids)}
    title: dict[str, Any] = {"type": "string", "minLength": 2, "maxLength": CANDIDATE_MAX}
    field = dict(title)
    if words is not None:
        title["pattern"] = title_pattern(*words)
    props["titles"] = {
        "type": "array",
        "items": title,
        "minItems": CANDIDATES,
        "maxItems": CANDIDATES,
    }
    props["description"] = {"type": "string", "minLength": 2, "maxLength": SENTENCE_MAX}
    if area:
        props["area"] = field
        if words is not None:
            field["pattern"] = title_pattern(*AREA_WORDS)
    return props


def batch_schema(
    ids: list[int], words: tuple[int, int] | None = None, area: bool = False
) -> dict[str, Any]:
    """JSON schema for the answer about the clusters ``ids``.

    One cluster: a bare ``{"titles": [...], "description": "..."}`` (no id to repeat, fewer
    generated tokens). Several: ``{"clusters": [...]}`` with exactly one entry per id.
    ``words`` bounds the words of each candidate title (a ``pattern``; see TITLE_WORDS) and of
    the area; ``area`` asks for the members' broad area last (see AREA_WORDS).
    """
    if len(ids) == 1:
        props = _label_properties(None, words, area)
        return {
            "type": "object",
            "properties": props,
            "required": list(props),
            "additionalProperties": False,
        }
    props = _label_properties(ids, words, area)
    item = {
        "type": "object",
        "properties": props,
        "required": list(props),
        "additionalProperties": False,
    }
    return {
        "type": "object",
        "properties": {
            "clusters": {
                "type": "array",
                "items": item,
                "minItems": len(ids),
                "maxItems": len(ids),
            }
        },
        "required": ["clusters"],
        "additionalProperties": False,
    }


_FENCE = re.compile(r"```(?:json|JSON)?\s*(.*?)```", re.DOTALL)
_TRAILING_COMMA = re.compile(r",\s*([}\]])")


def extract_json(text: str) -> Any:
    """The first JSON object in ``text``: fenced, bare, or embedded in prose; light repair."""
    candidates = [m.group(1) for m in _FENCE.finditer(text)]
    candidates.append(text)
    for candidate in candidates:
        start = candidate.find("{")
        if start < 0:
            continue
        end = candidate.rfind("}")
        pieces = [candidate[start : end + 1]] if end > start else []
        pieces.append(candidate[start:])
        for piece in pieces:
            for attempt in (piece, _TRAILING_COMMA.sub(r"\1", piece), _close(piece)):
                try:
                    return json.loads(attempt)
                except ValueError:
                    continue
    raise AnswerError(f"no JSON object found in the answer: {text[:200]!r}")


def _close(piece: str) -> str:
    """Close brackets left open by an answer cut off at max_tokens (best effort)."""
    stack = []
    in_string = escaped = False
    for ch in piece:
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch in "{[":
            stack.append("}" if ch == "{" else "]")
        elif ch in "}]" and stack:
            stack.pop()
    return piece + ('"' if in_string else "") + "".join(reversed(stack))


def parse_labels(text: str, ids: list[int]) -> dict[int, ClusterLabel]:
    """Validate an answer for the clusters ``ids``; the id set must match exactly."""
    data = extract_json(text)
    if isinstance(data, dict) and "clusters" not in data and len(ids) == 1:
        data = {"clusters": [{**data, "id": ids[0]}]}  # a lone label for a lone cluster
    try:
        batch = LabelBatch.model_validate(data)
    except ValidationError as exc:
        raise AnswerError(f"answer does not match the schema: {exc.errors()[:2]}") from exc
    found: dict[int, ClusterLabel] = {}
    for label in batch.clusters:
        if not label.candidates:
            raise AnswerError(f"no title in the answer for cluster {label.id}")
        found.setdefault(label.id, label)
    missing = sorted(set(ids) - set(found))
    if missing:
        raise AnswerError(f"answer covers ids {sorted(found)}, expected {sorted(ids)}")
    # Unconstrained small models sometimes invent more groups after the real ones; asking
    # again costs a whole call and usually gets the same, so the extra entries are dropped.
    return {i: found[i] for i in ids}


# Titles must name the topic, not the container ("Posts about X", "Cluster of documents on Y").
_NOUN = (
    r"(?:posts?|documents?|texts?|articles?|messages?|discussions?|items?|emails?|threads?|"
    r"clusters?|entries|conversations?|comments?|writings?)"
)
_QUALIFIER = r"(?:(?:newsgroup|usenet|forum|online|various|user|several|multiple|\d+)\s+)?"
_CONNECTOR = r"(?:about|on|regarding|discussing|concerning|related\s+to|covering|of)\b"
_META = re.compile(
    r"^\s*(?:an?\s+|the\s+|this\s+)?(?:"
    r"(?:cluster|group|collection|set|category|summary)\s+of\s+"
    + _QUALIFIER
    + _NOUN
    + r"|(?:cluster|group|collection|category)\s*$"
    + r"|"
    + _QUALIFIER
    + _NOUN
    + r"\s*$"
    r"|" + _QUALIFIER + _NOUN + r"\s+" + _CONNECTOR + r"|" + _QUALIFIER + _NOUN + r"\s*[:\-\u2013]"
    r")\s*(?:" + _CONNECTOR + r"|[:\-\u2013])?\s*",
    re.IGNORECASE,
)


# "Hockey News", "Gun Discussion", "Bike Talk": the last word names the container, not the topic.
_CONTAINER_TAIL = re.compile(
    r"\s+(?:discussions?|news|talk|posts?|threads?|topics?|messages?|chatter|forum)\s*$",
    re.IGNORECASE,
)


_LEVEL_PREFIX = re.compile(
    r"^\s*(?:level|group|cluster)\s+\d+\s*(?:[:\-\u2013]\s*|$)", re.IGNORECASE
)


def is_meta_title(title: str) -> bool:
    """True when a title describes the container ("Posts about ...") instead of the topic."""
    return bool(_META.match(title)) or bool(_LEVEL_PREFIX.match(title))


# Around a title: quotes, emphasis, and the brackets of the answer's list around it.
_AROUND = " \"'`*<>[]{}"
# Before it only: a subject line's colon (": Re ..."), a quoted mail line's ">", a heading's
# "#", a list's dash; a "#" closing a title is part of a name ("C#").
_OPENING = ":;,.|/ -\u2013\u2014#>"


def clean_title(title: str) -> str:
    """Strip quotes, a trailing period and a meta prefix; keep the topic words."""
    text = " ".join(title.split()).strip(_AROUND)
    text = text.lstrip(_OPENING)
    # a list's trailing commas, or a quoted title with a period after it
    text = text.rstrip(".,;: ").strip(_AROUND)
    prefix = _LEVEL_PREFIX.match(text)
    if prefix and prefix.end() < len(text):
        text = text[prefix.end() :]
    for _ in range(2):
        match = _META.match(text)
        if not match or match.end() >= len(text):
            break
        text = text[match.end() :]
    tail = _CONTAINER_TAIL.search(text)
    if tail and tail.start() > 0:
        text = text[: tail.start()]
    if text and text[0].islower():
        text = text[0].upper() + text[1:]
    if len(text) > TITLE_MAX:
        cut = text[: TITLE_MAX - 1].rsplit(" ", 1)[0]
        text = cut.rstrip(" ,;:-") + "…"
    return text


# Descriptions say what the members share, not what the container holds ("This group
# includes ...", "Members discuss ...") nor what the subject is in general ("Christianity is a
# major religion ..."). The model opens most sentences so, as the prompt words it ("what the
# members discuss"); without the opener they read alike: a subject and its parts.
_OPENER = re.compile(
    r"^\s*(?:(?:(?:this|the|these)\s+)?(?:groups?|clusters?|collection|category|set|"
    r"sub-?groups?|posts?|documents?|texts?|messages?|articles?|items?|members?)"
    r"(?:\s+of\s+\w+)?\s+(?:mainly\s+|mostly\s+|primarily\s+|often\s+)?"
    r"(?:includes?|contains?|covers?|consists?\s+of|is\s+about|are\s+about|focus(?:es)?\s+on|"
    r"discuss(?:es)?|features?|deals?\s+with|revolves?\s+around|centers?\s+on|talks?\s+about|"
    r"explores?|addresses|share)|discussing)\s+",
    re.IGNORECASE,
)
# "Various aspects of the NHL, including ..." says no more than "The NHL, including ...".
_VAGUE_LEAD = re.compile(
    r"^(?:various|different|several)\s+(?:aspects|topics|issues)\s+(?:of|related\s+to)\s+",
    re.IGNORECASE,
)
# What may dangle at the end of a sentence cut short: punctuation and function words.
_DANGLING = re.compile(
    r"(?:[\s,;:\-\u2013\u2014(]+|\s+(?:and|or|but|the|a|an|of|to|in|on|for|with|by|at|from|as|"
    r"its|their|including|such|like|which|that|who|is|are|was|were))+$",
    re.IGNORECASE,
)


def clean_description(text: str) -> str:
    """Collapse spacing, drop a container opener and a vague lead-in, keeping what follows,
    and end a sentence the length bound cut short at its last whole word, with an ellipsis."""
    text = " ".join(text.split())
    # The grammar stops a description at SENTENCE_MAX characters, mid-word if need be.
    cut = len(text) >= SENTENCE_MAX and not text.endswith((".", "!", "?", "…"))
    for pattern in (_OPENER, _VAGUE_LEAD):
        match = pattern.match(text)
        if match and match.end() < len(text):
            rest = text[match.end() :]
            text = rest[0].upper() + rest[1:]
    if cut and " " in text:
        text = _DANGLING.sub("", text.rsplit(" ", 1)[0]) + "…"
    return text
