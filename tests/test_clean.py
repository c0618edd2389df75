"""E-mail and forum cleaning (hercules.data.clean): hand-worked messages, the Hercules path."""

from __future__ import annotations

import pytest

from hercules.data.clean import MAX_SIGNATURE_LINES, clean_email, clean_texts

POST = """From: nancy@fraser.sfu.ca (Nancy O'Connor)
Subject: Re: Amusing atheists and agnostics
Organization: Simon Fraser University, Burnaby, B.C., Canada
Lines: 11

timmbake@mcl.ucsb.edu (Bake Timmons) writes:

>Rule #4:  Don't mix apples with oranges.
> How can you say that?

You're right.  The Mongols were worse.

--
Nancy, SFU
"""


def test_a_newsgroup_post_keeps_only_what_its_author_wrote():
    assert clean_email(POST) == "You're right.  The Mongols were worse."


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # A header block needs a known mail header; a lone "Note:" line is content.
        ("Note: bring a coat\n\nIt will be cold.", "Note: bring a coat\n\nIt will be cold."),
        ("Subject: hi\nX-Mailer: mutt\n\nBody", "Body"),
        # Indented lines continue the header above them.
        ("Received: from a\n  by b\nFrom: me\n\nBody", "Body"),
        # A block that stops looking like headers is left whole.
        ("From: me\nthis is a sentence\n\nBody", "From: me\nthis is a sentence\n\nBody"),
        # Quotes in the style "DLB> " and "|" are dropped, as are attribution lines.
        ("On Mon, 1 Jan 2024, Ann wrote:\nDLB> old text\n| older\nMy answer.", "My answer."),
        ("In article <1@x.edu> bob@x.edu says:\n> q\nA", "A"),
        # Everything from an Outlook-style original message on is the quoted thread.
        ("Thanks!\n-----Original Message-----\nFrom: x\nOld", "Thanks!"),
        # "-- " (with the space) is the conventional signature delimiter.
        ("Body\n-- \nJohn", "Body"),
        ("Cheers,\nKent\n---\nkent@x.org", "Cheers,\nKent"),
        ("Thanks\n____\nACME Corp", "Thanks"),
        # Runs of blank lines left behind collapse to one.
        ("a\n> x\n\n\n\n> y\nb", "a\n\nb"),
        ("", ""),
    ],
    ids=[
        "lone-note",
        "x-header",
        "continuation",
        "not-headers",
        "quotes",
        "in-article",
        "original-message",
        "sig-dash-space",
        "sig-three-dashes",
        "sig-underscores",
        "blank-runs",
        "empty",
    ],
)
def test_clean_email_by_hand(text, expected):
    assert clean_email(text) == expected


def test_long_tail_after_dashes_is_not_a_signature():
    tail = "\n".join(f"line {i}" for i in range(MAX_SIGNATURE_LINES + 1))
    text = "Intro\n--\n" + tail
    assert clean_email(text) == text
    short = "Intro\n--\n" + "\n".join(f"line {i}" for i in range(MAX_SIGNATURE_LINES))
    assert clean_email(short) == "Intro"


def test_windows_line_endings():
    assert clean_email("Subject: a\r\nFrom: b\r\n\r\nBody\r\n> q\r\n") == "Body"


def test_clean_texts_counts_posts_emptied_by_cleaning():
    texts = ["Subject: x\n\n> only a quote", "   ", "From: a\n\nkept"]
    cleaned, emptied = clean_texts(texts)
    assert cleaned == ["", "", "kept"]
    assert emptied == 1  # the blank input was empty before cleaning


def test_clean_email_is_idempotent():
    once = clean_email(POST)
    assert clean_email(once) == once


def test_hercules_clean_email_cleans_before_embedding_and_titles():
    import numpy as np

    from hercules import Hercules
    from hercules.errors import InputError, ParameterError

    posts = [
        f"From: a{i}@x.org\nSubject: s\n\n> quoted {i}\nspace rocket orbit {i}" for i in range(4)
    ]
    posts += [f"From: b{i}@y.org\nSubject: s\n\nhockey goal puck {i}\n-- \nsig" for i in range(4)]
    seen: list[str] = []

    def embed(texts):
        seen.extend(texts)
        return (
            np.array([[1.0, 0.0] if "space" in t else [0.0, 1.0] for t in texts])
            + np.arange(len(texts))[:, None] * 1e-3
        )

    model = Hercules([2], labeller="keywords", clean_email=True, text_embedding_client=embed)
    model.fit(posts)
    assert seen[:8] == [f"space rocket orbit {i}" for i in range(4)] + [
        f"hockey goal puck {i}" for i in range(4)
    ]
    assert model.get_params()["clean_email"] is True
    assert sorted(n.num_items for n in model.tree_.nodes(1)) == [4, 4]
    with pytest.raises(ParameterError, match="clean_email"):
        Hercules([2], clean_email="yes").fit(posts)
    with pytest.raises(InputError, match="--clean-email"):
        Hercules([2], labeller="keywords", clean_email=True).fit([[1.0, 2.0], [3.0, 4.0], [5.0, 1]])
