"""Model strings -> chat models: provider package and API-key checks, the pair, the one-liner."""

from __future__ import annotations

import pytest
from hybrid_router import HybridRouter, ModelSpec, RouterConfig
from hybrid_router.cli import main as cli_main
from langchain_core.messages import AIMessage

from langchain_hybrid_router import ChatHybridRouter, models
from langchain_hybrid_router.models import (
    ModelSetupError,
    build_chat_router,
    chat_router_from_config,
    check_model_string,
    load_chat_model,
    model_pair,
)
from tests.cli import fakes
from tests.fakes import make_router


def test_missing_provider_package_names_the_pip_install():
    # langchain-openai is not installed in this environment (no provider packages are).
    with pytest.raises(ModelSetupError, match=r"pip install langchain-openai"):
        check_model_string("openai:gpt-4o-mini")
    with pytest.raises(ModelSetupError, match=r"pip install langchain-anthropic"):
        load_chat_model("claude-3-5-haiku-latest")  # provider inferred as init_chat_model does


def test_missing_api_key_names_the_variable(monkeypatch):
    monkeypatch.setattr(models, "_importable", lambda module: True)
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    with pytest.raises(ModelSetupError, match=r"OPENAI_API_KEY") as err:
        check_model_string("openai:gpt-4o-mini", role="small model 'mini'")
    assert "small model 'mini'" in str(err.value)
    assert check_model_string("openai:gpt-4o-mini", {"api_key": "sk-test"}) == "openai"  # key passed directly
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    assert check_model_string("openai:gpt-4o-mini") == "openai"
    assert check_model_string("ollama:llama3.1") == "ollama"  # local: no key needed


def test_unknown_provider_says_how_to_write_the_string():
    with pytest.raises(ModelSetupError, match=r"provider:model"):
        check_model_string("my-own-model")


def test_cli_refuses_before_any_query_when_a_package_is_missing(config, tmp_path, monkeypatch, capsys):
    monkeypatch.delenv("HYBRID_ROUTER_MODEL_FACTORY")
    out = tmp_path / "out.jsonl"
    rc = cli_main(["infer", "--config", str(config), "--query", "hello", "--output", str(out),
                   "--small-model", "openai:gpt-4o-mini", "--large-model", "anthropic:claude-sonnet-4-5"])
    err = capsys.readouterr().err
    assert rc == 2 and "Traceback" not in err
    assert "pip install langchain-openai" in err and "pip install langchain-anthropic" in err  # both at once
    assert "small model 'small-llm' (openai:gpt-4o-mini)" in err and "large model 'large-llm'" in err
    assert not out.exists() and fakes._CALLS["n"] == 0


def test_model_pair_prefers_flags_then_config_then_the_saved_router(config):
    router = HybridRouter(make_router().scorer, ModelSpec(name="small-llm", model="fake:saved", input_cost_per_1m=9),
                          ModelSpec(name="large-llm", model="fake:saved-large"))
    cfg = RouterConfig.from_yaml(config)
    pair = model_pair(router, cfg, large="fake:flag")
    assert pair.small.model == "fake:small" and pair.small.input_cost_per_1m == 0.15  # config over saved
    assert pair.large.model == "fake:flag" and pair.large.output_cost_per_1m == 10.0
    assert model_pair(router).small.model == "fake:saved" and model_pair(router).small.input_cost_per_1m == 9


def test_missing_model_string_names_the_config_key(tmp_path, monkeypatch):
    make_router().save(tmp_path / "router.skops")
    (tmp_path / "c.yaml").write_text("model_path: {load_model_path: router.skops}\n")
    monkeypatch.setenv("HYBRID_ROUTER_MODEL_FACTORY", fakes.FACTORY)
    with pytest.raises(ModelSetupError, match=r"small_model\.model"):
        chat_router_from_config(tmp_path / "c.yaml")


async def test_one_liner_builds_a_routed_chat_model(config):
    chat = chat_router_from_config(config)
    assert isinstance(chat, ChatHybridRouter)
    easy, hard = chat.invoke("hello weather"), await chat.ainvoke("prove the theorem")
    assert easy.response_metadata["route"] == "small" and easy.text.startswith("small #1")
    assert hard.response_metadata["route"] == "large" and hard.text.startswith("large #1")
    assert hard.usage_metadata["input_tokens"] == 3  # the child's usage is kept


def test_given_chat_models_are_used_as_they_are(config):
    mine = fakes.FakeChatModel(label="mine")
    chat = build_chat_router(RouterConfig.from_yaml(config), small=mine, large="fake:other")
    assert chat.small is mine and chat.invoke("hello weather").text.startswith("mine #1")
    assert chat.invoke("prove the theorem").text.startswith("other #1")
    assert isinstance(chat.invoke("hello"), AIMessage)


def test_model_kwargs_from_the_config_reach_the_model(tmp_path, config):
    text = config.read_text().replace("output_cost_per_1m: 0.6}", "output_cost_per_1m: 0.6, model_kwargs: {fail_on: weather}}")
    config.write_text(text)
    chat = chat_router_from_config(config)
    assert chat.small.fail_on == "weather"
    with pytest.raises(RuntimeError, match="provider refused"):
        chat.invoke("hello weather")


def test_classmethod_from_config_is_the_same_one_liner(config):
    chat = ChatHybridRouter.from_config(config)
    assert isinstance(chat, ChatHybridRouter)
    assert chat.invoke("prove the theorem").response_metadata["route"] == "large"
    assert chat.invoke("hello weather").response_metadata["route"] == "small"
