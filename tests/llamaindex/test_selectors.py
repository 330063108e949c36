"""HybridLLMSelector: choice mapping, evidence in the reason, RouterQueryEngine and RouterRetriever (sync + async)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from llama_index.core import Document, SummaryIndex, VectorStoreIndex
from llama_index.core.embeddings import MockEmbedding
from llama_index.core.llms.mock import MockLLM
from llama_index.core.query_engine import RouterQueryEngine
from llama_index.core.retrievers import RouterRetriever
from llama_index.core.tools import QueryEngineTool, RetrieverTool, ToolMetadata

from llamaindex_hybrid_router import HybridLLMSelector
from llamaindex_hybrid_router.selectors import RoutedSelection
from tests.fakes import HashingEncoder
from tests.llamaindex.conftest import EASY, HARD, LabelledLLM, SpyRouter

SMALL_DOCS = [Document(text="Paris is the capital of France."), Document(text="It is sunny today.")]
LARGE_DOCS = [
    Document(text="Every bounded monotone sequence converges."),
    Document(text="A lemma on eigenvalues."),
]


def _engine_tools(order: tuple[str, str] = ("small", "large")) -> list[QueryEngineTool]:
    """Two real query engines whose answers start with [small] / [large]."""
    engines = {
        "small": SummaryIndex.from_documents(SMALL_DOCS).as_query_engine(
            llm=LabelledLLM(label="small")
        ),
        "large": VectorStoreIndex.from_documents(
            LARGE_DOCS, embed_model=MockEmbedding(embed_dim=8)
        ).as_query_engine(llm=LabelledLLM(label="large")),
    }
    descriptions = {
        "small": "A cheap model for easy questions",
        "large": "A strong model for hard questions",
    }
    return [
        QueryEngineTool.from_defaults(engines[n], name=n, description=descriptions[n])
        for n in order
    ]


def _retriever_tools() -> list[RetrieverTool]:
    small = SummaryIndex.from_documents(SMALL_DOCS).as_retriever()
    large = VectorStoreIndex.from_documents(
        LARGE_DOCS, embed_model=MockEmbedding(embed_dim=8)
    ).as_retriever(similarity_top_k=2)
    return [
        RetrieverTool(
            retriever=small, metadata=ToolMetadata(name="small", description="easy facts")
        ),
        RetrieverTool(
            retriever=large, metadata=ToolMetadata(name="large", description="hard maths")
        ),
    ]


def _check_evidence(result: Any, router: Any, query: str) -> None:
    decision = router.decide(query)
    selection = result.selections[0]
    assert isinstance(selection, RoutedSelection)
    assert f"{decision.score:.3f}" in result.reason and f"{decision.threshold:.3f}" in result.reason
    assert ("<" in result.reason) == (decision.route == "large")
    assert selection.decision == decision.as_metadata()


def test_the_two_test_queries_route_differently(router: Any) -> None:
    # Guards the other tests: they would pass trivially if both queries went the same way.
    assert router.decide(EASY).route == "small" and router.decide(HARD).route == "large"


@pytest.mark.parametrize("query", [EASY, HARD])
def test_router_query_engine(router: Any, query: str) -> None:
    engine = RouterQueryEngine(
        selector=HybridLLMSelector(router), query_engine_tools=_engine_tools(), llm=MockLLM()
    )
    response = engine.query(query)
    route = router.decide(query).route
    assert str(response).startswith(f"[{route}]")
    result = response.metadata["selector_result"]
    assert result.ind == (0 if route == "small" else 1)
    _check_evidence(result, router, query)


@pytest.mark.parametrize("query", [EASY, HARD])
async def test_router_query_engine_async(spy: SpyRouter, router: Any, query: str) -> None:
    engine = RouterQueryEngine(
        selector=HybridLLMSelector(spy), query_engine_tools=_engine_tools(), llm=MockLLM()
    )
    response = await engine.aquery(query)
    route = router.decide(query).route
    assert str(response).startswith(f"[{route}]")
    _check_evidence(response.metadata["selector_result"], router, query)
    assert spy.calls == [("adecide", query)]  # the async path never blocks on decide()


def test_router_query_engine_maps_by_name_not_position(router: Any) -> None:
    tools = _engine_tools(order=("large", "small"))
    engine = RouterQueryEngine(
        selector=HybridLLMSelector(router), query_engine_tools=tools, llm=MockLLM()
    )
    assert str(engine.query(HARD)).startswith("[large]")
    assert engine.query(HARD).metadata["selector_result"].ind == 0
    assert str(engine.query(EASY)).startswith("[small]")


@pytest.mark.parametrize("query", [EASY, HARD])
async def test_router_retriever_sync_and_async(router: Any, query: str) -> None:
    retriever = RouterRetriever(
        selector=HybridLLMSelector(router), retriever_tools=_retriever_tools(), llm=MockLLM()
    )
    expected = {
        d.text for d in (SMALL_DOCS if router.decide(query).route == "small" else LARGE_DOCS)
    }
    for nodes in (retriever.retrieve(query), await retriever.aretrieve(query)):
        assert nodes and {n.node.get_content() for n in nodes} <= expected


def test_select_with_plain_string_choices_goes_by_position(router: Any) -> None:
    selector = HybridLLMSelector(router)
    assert selector.select(["cheap engine", "strong engine"], EASY).ind == 0
    assert selector.select(["cheap engine", "strong engine"], HARD).ind == 1


@pytest.mark.parametrize(
    ("names", "expected"),
    [
        (("small", "large"), (0, 1)),
        (("LARGE", "Small"), (1, 0)),
        (("large", "anything"), (1, 0)),
        (("anything", "small"), (1, 0)),
        (("large-llm", "small-llm"), (1, 0)),  # the router's own model names
        (("cheap", "strong"), (0, 1)),  # by position
    ],
)
def test_choice_indices(router: Any, names: tuple[str, str], expected: tuple[int, int]) -> None:
    choices = [ToolMetadata(name=n, description=f"tool {n}") for n in names]
    assert HybridLLMSelector(router).choice_indices(choices) == expected


def test_user_names_for_the_choices(router: Any) -> None:
    selector = HybridLLMSelector(router, small_choice="mini", large_choice="maxi")
    choices = [
        ToolMetadata(name="maxi", description="x"),
        ToolMetadata(name="mini", description="y"),
    ]
    assert selector.select(choices, EASY).ind == 1
    assert selector.select(choices, HARD).ind == 0


@pytest.mark.parametrize("n", [1, 3])
def test_other_numbers_of_choices_are_an_error(router: Any, n: int) -> None:
    choices = [ToolMetadata(name=f"tool{i}", description="d") for i in range(n)]
    with pytest.raises(ValueError, match="exactly two"):
        HybridLLMSelector(router).select(choices, EASY)


def test_two_choices_named_the_same_side_are_an_error(router: Any) -> None:
    choices = [
        ToolMetadata(name="small", description="a"),
        ToolMetadata(name="small-llm", description="b"),
    ]
    with pytest.raises(ValueError, match="Both choices"):
        HybridLLMSelector(router).select(choices, EASY)


def test_bad_arguments(router: Any) -> None:
    with pytest.raises(TypeError, match="HybridRouter"):
        HybridLLMSelector(object())  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="two different names"):
        HybridLLMSelector(router, small_choice="x", large_choice="X")
    with pytest.raises(ValueError, match="router= .* or path="):
        HybridLLMSelector.from_defaults()


def test_from_defaults_loads_a_saved_router(router: Any, tmp_path: Path) -> None:
    path = router.save(tmp_path / "router.skops")
    selector = HybridLLMSelector.from_defaults(path=path, encoder=HashingEncoder())
    assert selector.select(["a", "b"], HARD).ind == 1
    assert HybridLLMSelector.from_defaults(router=router).router is router


def test_prompts_are_empty(router: Any) -> None:
    selector = HybridLLMSelector(router)
    assert selector.get_prompts() == {}
    selector.update_prompts({})
