"""The offline 20 Newsgroups loader reproduces scikit-learn's counts and stripping."""

from __future__ import annotations

import pytest

from hercules import InputError
from hercules.data.newsgroups import default_path, load_newsgroups

pytestmark = pytest.mark.skipif(default_path() is None, reason="20 Newsgroups file not found")


@pytest.fixture(scope="module")
def corpus():
    return load_newsgroups()


def test_counts_and_labels_match_the_published_corpus(corpus):
    assert len(corpus.texts) == 18_846
    assert len(load_newsgroups(subset="train").texts) == 11_314
    assert corpus.target_names[0] == "alt.atheism"
    assert len(corpus.target_names) == 20
    # The shared README counts 515 documents empty after stripping (sklearn's functions).
    assert sum(1 for t in corpus.texts if not t.strip()) == 515


def test_stripping_removes_headers(corpus):
    raw = load_newsgroups(subset="test", remove=())
    assert raw.texts[0].startswith("From:")
    assert not any(t.startswith("From:") for t in corpus.texts[:200])


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"subset": "dev"}, "'dev'"),
        ({"remove": ("signatures",)}, "signatures"),
        ({"path": "/nonexistent.jsonl.gz"}, "not found"),
    ],
    ids=["subset", "remove", "path"],
)
def test_bad_arguments(kwargs, message):
    with pytest.raises(InputError, match=message):
        load_newsgroups(**kwargs)
