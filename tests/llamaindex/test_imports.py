"""Pins the public names: a rename is a visible decision."""

import llamaindex_hybrid_router

EXPECTED_ALL = ["HybridLLMSelector", "HybridRouterLLM", "LlamaIndexEncoder"]


def test_all_imports() -> None:
    assert sorted(llamaindex_hybrid_router.__all__) == sorted(EXPECTED_ALL)
    for name in EXPECTED_ALL:
        assert getattr(llamaindex_hybrid_router, name).__name__ == name
