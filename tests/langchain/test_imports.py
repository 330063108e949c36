"""Pin the public names: a rename is a visible decision."""

import langchain_hybrid_router

EXPECTED_ALL = [
    "DECISION_EVENT",
    "ChatHybridRouter",
    "HybridRouterCallbackHandler",
    "HybridRouterRunnable",
    "LangChainEncoder",
    "routed_text",
    "text_to_route",
]


def test_all_imports() -> None:
    assert sorted(langchain_hybrid_router.__all__) == sorted(EXPECTED_ALL)
    for name in EXPECTED_ALL:
        assert getattr(langchain_hybrid_router, name) is not None
