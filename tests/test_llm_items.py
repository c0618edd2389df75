"""Level-0 descriptions by the LLM (use_llm_for_l0_descriptions) with scripted backends."""

from __future__ import annotations

import math

import numpy as np
import pytest

from hercules import Hercules
from hercules.errors import ParameterError
from hercules.llm import RetryPolicy
from hercules.summarize.items import ItemDescriber, item_prompt, parse_items
from hercules.summarize.schema import AnswerError
from tests.fakes import HashingEmbedder, topic_texts
from tests.llm_fakes import ItemAwareLLM

FAST = RetryPolicy(attempts=2, base_delay=0.0, jitter=0.0)


def test_fit_writes_llm_descriptions_and_embeds_them_in_description_mode() -> None:
    llm = ItemAwareLLM()
    texts, _ = topic_texts(per_topic=8)
    model = Hercules(
        [3],
        representation_mode="description",
        text_embedding_client=HashingEmbedder(),
        llm_client=llm.complete,
        use_llm_for_l0_descriptions=True,
    ).fit(texts)
    level0 = model.tree_.levels[0]
    assert llm.item_calls == math.ceil(len(texts) / 8)
    assert all(d.startswith("About ") for d in level0.descriptions)
    assert level0.descriptions[0] != texts[0]
    # Description mode clusters these sentences, not the raw texts.
    assert level0.description_embedding is not level0.representation
    expected = HashingEmbedder().embed(level0.descriptions)
    np.testing.assert_allclose(level0.description_embedding, expected, rtol=1e-6)
    assert not np.asarray(level0.summary_failed).any()


def test_a_failing_item_keeps_its_snippet_and_is_flagged() -> None:
    texts, _ = topic_texts(per_topic=4)
    poisoned = texts[0].split()[0]
    llm = ItemAwareLLM(fail_when=poisoned)
    describer = ItemDescriber(llm, batch_size=4, retry=FAST)
    snippets = [f"snippet {i}" for i in range(len(texts))]
    descriptions, failed = describer.describe(texts, snippets)
    bad = [i for i, t in enumerate(texts) if poisoned in t]
    assert bad
    assert [i for i, f in enumerate(failed) if f] == bad
    assert all(descriptions[i] == snippets[i] for i in bad)
    assert all(descriptions[i].startswith("About ") for i in range(len(texts)) if i not in bad)


def test_keyword_labeller_cannot_describe_items() -> None:
    texts, _ = topic_texts(per_topic=4)
    model = Hercules(
        [2],
        text_embedding_client=HashingEmbedder(),
        labeller="keywords",
        use_llm_for_l0_descriptions=True,
    )
    with pytest.raises(ParameterError, match=r"needs an LLM labeller.*KeywordSummarizer"):
        model.fit(texts)


@pytest.mark.parametrize(
    ("answer", "ids"),
    [
        ('{"items": [{"id": 1, "description": "x"}]}', [1]),  # too short
        ('{"items": [{"id": 2, "description": "About rockets."}]}', [1]),  # wrong id
        ('{"clusters": []}', [1]),
        ("no json here", [1]),
    ],
)
def test_bad_item_answers_are_rejected(answer: str, ids: list[int]) -> None:
    with pytest.raises(AnswerError):
        parse_items(answer, ids)


def test_item_prompt_lists_every_item_once() -> None:
    prompt = item_prompt(["first text", ""], [1, 2], "texts")
    assert prompt.count("## Item id=") == 2
    assert "## Item id=2\n(empty)" in prompt
    assert "exactly one entry for each id in [1, 2]" in prompt
