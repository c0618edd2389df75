"""What a new user does first: the README's Python quickstart and the demo's sample."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import hercules.data.newsgroups
from hercules.data.newsgroups import Newsgroups, sample_posts

ROOT = Path(__file__).resolve().parents[1]
TOPICS = {
    "sci.space": "rocket orbit launch moon planet nasa shuttle satellite astronaut",
    "rec.food": "recipe oven garlic pasta sauce bake flour butter onion",
    "rec.sport.hockey": "goal puck ice team season playoff skate coach score",
    "rec.music": "guitar album song concert band drums melody chorus tour",
    "misc.finance": "stock market bond interest bank loan price trade invest",
    "rec.garden": "tomato seeds soil compost water weeds flowers spring prune",
}


def small_newsgroups(per_topic: int = 40) -> Newsgroups:
    texts, labels, categories = [], [], []
    for label, (name, words) in enumerate(TOPICS.items()):
        vocab = words.split()
        for i in range(per_topic):
            texts.append(f"{vocab[i % 9]} {vocab[(i * 4 + 1) % 9]} and {vocab[(i * 7 + 2) % 9]}.")
            labels.append(label)
            categories.append(name)
    return Newsgroups(texts, labels, categories, [str(i) for i in range(len(texts))])


def readme_python() -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```python\n(.*?)```", text, flags=re.S)
    assert blocks, "the README has no python block"
    return blocks[0]


def test_readme_quickstart_runs_and_prints_the_tree(tmp_path, monkeypatch, capsys):
    """The README's first python block, verbatim, on a small corpus instead of 20NG."""
    corpus = small_newsgroups()  # 240 posts; the README keeps every 8th: 30, five per topic
    monkeypatch.setattr(hercules.data.newsgroups, "load_newsgroups", lambda **_: corpus)
    monkeypatch.chdir(tmp_path)
    code = readme_python()
    assert 'labeller="keywords"' in code  # fast and model-free, as the test needs
    scope: dict = {}
    exec(compile(code, "README.md", "exec"), scope)
    out = capsys.readouterr().out.splitlines()
    model = scope["model"]
    tree_lines = [line for line in out if re.match(r"\s*L[12] #", line)]
    top = [line for line in tree_lines if line.startswith("L2 #")]
    children = [line for line in tree_lines if line.startswith("  L1 #")]
    counts = model.level_cluster_counts
    assert len(top) == counts[1]
    assert len(children) == counts[0]
    sizes = [int(re.search(r"\((\d+) items\)", line).group(1)) for line in top]
    assert sum(sizes) == 30
    # Every printed title is a keyword title made of the topics' own words.
    vocabulary = set(" ".join(TOPICS.values()).split())
    for line in tree_lines:
        title = line.split(" items) ", 1)[1]
        assert set(re.findall(r"[a-z]+", title)) & vocabulary, line
    assert (tmp_path / "runs" / "mine" / "manifest.json").is_file()
    assert scope["model"].tree_.n_items == 30  # reloaded from runs/mine


def test_demo_sample_leaves_out_empty_posts_and_counts_them():
    news = Newsgroups(
        texts=["a post", "  ", "another", "", "third\n"],
        labels=[0, 1, 0, 1, 2],
        categories=["x", "y", "x", "y", "z"],
        ids=list("abcde"),
    )
    texts, truth, empty = sample_posts(news, 5)
    assert texts == ["a post", "another", "third\n"]
    assert truth == ["x", "x", "z"]
    assert empty == 2
    texts, truth, empty = sample_posts(news, 99)  # more than there are: all of them
    assert len(texts) + empty == 5


@pytest.mark.parametrize("n", [1, 3])
def test_demo_sample_is_reproducible(n):
    news = small_newsgroups(per_topic=5)
    assert sample_posts(news, n) == sample_posts(news, n)
    assert len(sample_posts(news, n)[0]) == n
