"""Optional cleaning of raw e-mail and forum exports: headers, quoted replies, signatures.

Raw mailing-list, newsgroup and forum dumps carry text that says nothing about a message's
topic but dominates its embedding and its summary prompts: header lines ("Organization: Dept.
of Computer Science"), the quoted message being answered, and the sender's signature.
:func:`clean_email` removes the three, conservatively:

- **headers**: a block of ``Name: value`` lines at the very top (with indented continuation
  lines) that ends at the first blank line, only if it names at least one known mail header
  (``From``, ``Subject``, ``Date``, ...). A single "Note: ..." line is left alone.
- **quoted replies**: lines starting with ``>`` or ``|`` (optionally after initials, as in
  ``DLB> ``), attribution lines ("In article <...> x writes:", "... wrote:"), and everything
  from an "-----Original Message-----" line on.
- **signatures**: everything after the last delimiter line (``-- `` by convention; ``--``,
  ``---`` or ``___`` too) when at most :data:`MAX_SIGNATURE_LINES` lines follow it.

It is off by default (``Hercules(clean_email=True)``, ``hercules run --clean-email``): on other
texts the same patterns would remove content, e.g. Markdown block quotes.
"""

from __future__ import annotations

import dataclasses
import logging
import re

from hercules.data.dataset import Corpus
from hercules.errors import InputError

logger = logging.getLogger(__name__)

MAX_SIGNATURE_LINES = 10

KNOWN_HEADERS = frozenset(
    name.lower()
    for name in (
        "From",
        "To",
        "Cc",
        "Bcc",
        "Subject",
        "Date",
        "Sender",
        "Reply-To",
        "Message-ID",
        "In-Reply-To",
        "References",
        "Organization",
        "Newsgroups",
        "Path",
        "Lines",
        "Distribution",
        "Keywords",
        "Summary",
        "Followup-To",
        "Article-I.D.",
        "Expires",
        "Xref",
        "NNTP-Posting-Host",
        "Nntp-Posting-Host",
        "Received",
        "Return-Path",
        "MIME-Version",
        "Content-Type",
        "Content-Transfer-Encoding",
        "Approved",
        "User-Agent",
    )
)

_HEADER = re.compile(r"^([A-Za-z][A-Za-z0-9.\-]*):(?:\s|$)")
_QUOTED = re.compile(r"^\s*(?:[A-Za-z]{1,4})?[>|]")
_ATTRIBUTION = re.compile(
    r"(?:^In article\b|^On .{0,120}\bwrote:\s*$|\b(?:writes|wrote|said|says):\s*$)",
    re.IGNORECASE,
)
_ORIGINAL = re.compile(r"^\s*-{2,}\s*(?:original message|forwarded message)\s*-{2,}\s*$", re.I)
_SIGNATURE = re.compile(r"^(?:--\s?|-{3,}|_{3,})\s*$")
_BLANKS = re.compile(r"\n{3,}")


def clean_email(text: str) -> str:
    """``text`` without its header block, quoted replies and signature (see module doc)."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    lines = _drop_headers(lines)
    lines = _drop_signature(lines)
    lines = _drop_quotes(lines)
    return _BLANKS.sub("\n\n", "\n".join(line.rstrip() for line in lines)).strip()


def clean_texts(texts: list[str]) -> tuple[list[str], int]:
    """Every text cleaned, and how many came out empty (they were all headers and quotes)."""
    cleaned = [clean_email(t) for t in texts]
    emptied = sum(
        1 for before, after in zip(texts, cleaned, strict=True) if before.strip() and not after
    )
    return cleaned, emptied


def clean_corpus(corpus: Corpus) -> Corpus:
    """A text corpus with every text cleaned; other modalities are refused."""
    if corpus.texts is None:
        raise InputError(
            f"clean_email=True (--clean-email) cleans e-mail and forum texts, but the input is "
            f"{corpus.modality}; drop the option for this input."
        )
    texts, emptied = clean_texts(corpus.texts)
    if emptied:
        logger.warning(
            "E-mail cleaning left %d of %d texts empty (nothing but headers, quotes or a "
            "signature); they are kept as empty items.",
            emptied,
            len(texts),
        )
    return dataclasses.replace(corpus, texts=texts, _cache={})


def _drop_headers(lines: list[str]) -> list[str]:
    blank = next((i for i, line in enumerate(lines) if not line.strip()), len(lines))
    names = []
    for line in lines[:blank]:
        match = _HEADER.match(line)
        if match:
            names.append(match.group(1).lower())
        elif not (line[:1].isspace() and names):  # indented lines continue a header
            return lines
    if not any(name in KNOWN_HEADERS or name.startswith("x-") for name in names):
        return lines
    return lines[blank:]


def _drop_signature(lines: list[str]) -> list[str]:
    for i in range(len(lines) - 1, -1, -1):
        if _SIGNATURE.match(lines[i]):
            return lines[:i] if len(lines) - i - 1 <= MAX_SIGNATURE_LINES else lines
    return lines


def _drop_quotes(lines: list[str]) -> list[str]:
    kept = []
    for line in lines:
        if _ORIGINAL.match(line):
            break
        if _QUOTED.match(line) or _ATTRIBUTION.search(line):
            continue
        kept.append(line)
    return kept
