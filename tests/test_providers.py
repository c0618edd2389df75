"""The provider registry: built-ins and plugins through one hook, typed options, one resolver."""

from __future__ import annotations

import importlib.metadata
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from hercules import Hercules, KeywordSummarizer, ParameterError
from hercules.llm import CallableLLM, OpenAICompatibleLLM, default_providers, plugins, providers
from hercules.llm.plugins import registry
from hercules.llm.providers import Provider, Registry
from hercules.summarize import LLMSummarizer
from hercules.summarize.choose import resolve_summarizer
from tests import provider_plugin
from tests.fakes import HashingEmbedder, topic_texts

SRC = Path(__file__).resolve().parents[1] / "src" / "hercules"


@pytest.fixture
def plugin(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[Any]]:
    """tests/provider_plugin.py installed as if by pip: a fresh registry finds it."""
    point = importlib.metadata.EntryPoint(
        name="echo", value="tests.provider_plugin", group=providers.ENTRY_POINT_GROUP
    )

    def entry_points(**kwargs: Any) -> list[importlib.metadata.EntryPoint]:
        return [point] if kwargs.get("group") == providers.ENTRY_POINT_GROUP else []

    monkeypatch.setattr(importlib.metadata, "entry_points", entry_points)
    monkeypatch.setattr(plugins, "_REGISTRY", None)
    provider_plugin.BUILT.clear()
    yield provider_plugin.BUILT
    monkeypatch.setattr(plugins, "_REGISTRY", None)


# ---------------------------------------------------------------------- registration
def test_built_ins_register_through_the_plugin_hook() -> None:
    fresh = Registry()
    default_providers.register_providers(fresh.register)
    names = {p.name for p in fresh.providers()}
    assert names == {"qwen2.5-coder-1.5b", "smollm2-135m", "gguf", "openai", "callable"}
    assert {p.name for p in registry().providers()} >= names
    assert fresh.find("llm").name == "qwen2.5-coder-1.5b"
    assert fresh.find("smollm2").name == "smollm2-135m"
    assert fresh.find("/models/x.GGUF").name == "gguf"
    assert fresh.find("openai:http://h/v1#m").name == "openai"
    assert fresh.find(lambda prompt: prompt).name == "callable"


def test_an_installed_plugin_is_a_labeller_like_the_built_ins(plugin: list[Any]) -> None:
    assert registry().find("echo").name == "echo"
    assert registry().find("qwen2.5-coder-1.5b").name == "qwen2.5-coder-1.5b"  # still there
    chosen = resolve_summarizer("echo", llm_options={"prefix": "P "}, cache=False)
    assert isinstance(chosen, LLMSummarizer)
    assert chosen.model_id == "echo:P "
    assert plugin[-1].prefix == "P "


def test_a_second_provider_of_the_same_name_is_ignored() -> None:
    fresh = Registry()
    first = Provider("x", lambda spec, options: "first")
    fresh.register(first)
    fresh.register(Provider("x", lambda spec, options: "second"))
    assert fresh.build("x") == "first"


def test_unknown_labellers_are_named_with_the_choices() -> None:
    with pytest.raises(ParameterError, match="Unknown labeller 'no-such-model'") as info:
        resolve_summarizer("no-such-model")
    for choice in ("'auto'", "'keywords'", "'qwen2.5-coder-1.5b'", ".gguf", "openai:URL#MODEL"):
        assert choice in str(info.value)
    with pytest.raises(ParameterError, match="Unknown labeller ''"):
        resolve_summarizer("")


# ---------------------------------------------------------------------- options
@pytest.mark.parametrize(
    ("spec", "options", "message"),
    [
        (
            "qwen2.5-coder-1.5b",
            {"threads": "zero"},
            "'threads': input should be a valid integer, got 'zero'",
        ),
        ("llm", {"threads": 0}, "'threads': input should be greater than or equal to 1, got 0"),
        (
            "smollm2-135m",
            {"context": 100},
            "'context': input should be greater than or equal to 512, got 100",
        ),
        (
            "smollm2-135m",
            {"parallel": True},
            "'parallel': input should be a valid integer, got True",
        ),
        ("/m/x.gguf", {"thread": 2}, "'thread' is not an option (got 2)"),
        (
            "openai:http://h/v1#m",
            {"timeout": -1},
            "'timeout': input should be greater than 0, got -1",
        ),
        ("openai:http://h/v1#m", {"threads": 2}, "'threads' is not an option (got 2)"),
    ],
    ids=["word", "zero", "small-context", "bool", "misspelt", "negative-timeout", "wrong-provider"],
)
def test_bad_options_are_refused_quoting_the_value(
    spec: str, options: dict[str, Any], message: str
) -> None:
    with pytest.raises(ParameterError) as info:
        resolve_summarizer(spec, llm_options=options)  # refused before any model is loaded
    text = str(info.value)
    assert message in text
    assert "llm_options for provider" in text
    assert "Its options:" in text


def test_openai_spec_builds_the_client_with_its_options() -> None:
    llm = registry().build("openai:http://127.0.0.1:9/v1#qwen2.5:7b", {"timeout": 5, "parallel": 2})
    assert isinstance(llm, OpenAICompatibleLLM)
    assert (llm.base_url, llm.model) == ("http://127.0.0.1:9/v1", "qwen2.5:7b")
    assert (llm.timeout, llm.max_concurrency, llm.api_key_env) == (5, 2, "OPENAI_API_KEY")
    with pytest.raises(ParameterError, match=r"openai:URL#MODEL.*got 'openai:http://h/v1'"):
        registry().build("openai:http://h/v1")


# ---------------------------------------------------------------------- one resolver
def test_resolution_order_summarizer_then_client_then_labeller() -> None:
    own = KeywordSummarizer()
    assert resolve_summarizer("echo-unknown", summarizer=own, llm_client=str) is own
    chosen = resolve_summarizer("keywords", llm_client=lambda prompt: "{}", cache=False)
    assert isinstance(chosen, LLMSummarizer)
    assert isinstance(chosen.llm, CallableLLM)
    assert isinstance(resolve_summarizer("keywords"), KeywordSummarizer)
    with pytest.raises(ParameterError, match="summarize_level"):
        resolve_summarizer(summarizer=object())


def test_auto_is_the_first_available_provider_else_keywords(
    plugin: list[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    assert providers.AUTO == ()  # tests/conftest.py: "auto" means keyword titles in tests
    assert isinstance(resolve_summarizer("auto"), KeywordSummarizer)
    registry().register(Provider("off", lambda spec, options: None, available=lambda: False))
    monkeypatch.setattr(providers, "AUTO", ("off", "echo"))
    assert resolve_summarizer("auto", cache=False).model_id == "echo:"
    monkeypatch.setattr(providers, "AUTO", ("off",))
    assert isinstance(resolve_summarizer("auto"), KeywordSummarizer)


def test_the_library_reads_no_labeller_setting_from_the_environment() -> None:
    for path in SRC.rglob("*.py"):
        text = path.read_text()
        for name in ("HERCULES_LABELLER", "HERCULES_LLM_THREADS"):
            assert name not in text, f"{path} reads ${name}"


# ---------------------------------------------------------------------- Hercules and the CLI
def test_load_model_and_relabel_use_the_saved_labeller(plugin: list[Any], tmp_path: Path) -> None:
    texts, _ = topic_texts(per_topic=6)
    embed = HashingEmbedder()
    model = Hercules(
        [3], labeller="echo", llm_options={"prefix": "A "}, text_embedding_client=embed
    )
    model.fit(texts).save_model(tmp_path)
    # The echo model's titles, or evidence titles that covered better (and say so in a note).
    level = model.tree_.levels[1]
    notes = level.title_notes or [""] * len(level)
    assert all(t.startswith("A ") or n for t, n in zip(level.titles, notes, strict=True))
    loaded = Hercules.load_model(tmp_path, text_embedding_client=embed)
    assert (loaded.labeller, loaded.llm_options) == ("echo", {"prefix": "A "})
    loaded.llm_options = {"prefix": "B "}
    assert loaded.relabel(stale_only=False) == {1: 3}
    level = loaded.tree_.levels[1]
    notes = level.title_notes or [""] * len(level)
    assert all(t.startswith("B ") or n for t, n in zip(level.titles, notes, strict=True))
    assert not any(t.startswith("A ") for t in level.titles)  # nothing of the first model


def test_cli_llm_threads_reach_the_provider_as_an_option(plugin: list[Any], tmp_path: Path) -> None:
    from hercules.cli import app

    data = tmp_path / "t.txt"
    data.write_text("\n".join(topic_texts(per_topic=6)[0]))
    args = ["run", str(data), "--out", str(tmp_path / "o"), "--levels", "3", "--dry-run"]
    result = CliRunner().invoke(app, [*args, "--labeller", "echo", "--llm-threads", "3"])
    assert result.exit_code == 0, result.output
    assert plugin[-1].threads == 3
    bad = CliRunner().invoke(app, [*args, "--labeller", "echo", "--llm-threads", "0"])
    assert bad.exit_code == 2
    assert "--llm-threads must be >= 1; got 0" in bad.output
