"""LangChain's standard chat-model suites, run offline on ChatHybridRouter with fake children.

The children are ``ToolEchoChat`` (tests/langchain/conftest.py): deterministic, with tool calls
and usage metadata. Tests the router cannot pass for a reason of design or of the fake are
xfailed below with that reason.
"""

from __future__ import annotations

from typing import Any

import pytest
from langchain_tests.integration_tests import ChatModelIntegrationTests
from langchain_tests.unit_tests import ChatModelUnitTests

from langchain_hybrid_router import ChatHybridRouter
from tests.fakes import make_router
from tests.langchain.conftest import ToolEchoChat

_ROUTER = make_router()

NESTED_CHILD_RUN = (
    "By design the chosen child's run is nested under the router's run (the issue asks that the "
    "trace show which model answered), so a callback handler sees two on_chat_model_start events "
    "per call, the router's (which carries ls_structured_output_format) and the child's; the "
    "suite asserts exactly one. The structured result itself is validated before that assertion "
    "and passes, as test_structured_output_optional_param and test_agent_loop show."
)
SCHEMA_TYPES = ["pydantic", "typeddict", "json_schema"]


def _params() -> dict[str, Any]:
    return {
        "router": _ROUTER,
        "small": ToolEchoChat(model="small-echo"),
        "large": ToolEchoChat(model="large-echo"),
        "model": "hybrid-router-test",
    }


class TestChatHybridRouterUnit(ChatModelUnitTests):
    @property
    def chat_model_class(self) -> type[ChatHybridRouter]:
        return ChatHybridRouter

    @property
    def chat_model_params(self) -> dict[str, Any]:
        return _params()


class TestChatHybridRouterIntegration(ChatModelIntegrationTests):
    @property
    def chat_model_class(self) -> type[ChatHybridRouter]:
        return ChatHybridRouter

    @property
    def chat_model_params(self) -> dict[str, Any]:
        return _params()

    @property
    def model_override_value(self) -> str:
        # A call kwarg model=<one of the router's two model names> forces that route.
        return "large-llm"

    @pytest.mark.xfail(reason=NESTED_CHILD_RUN, strict=True)
    @pytest.mark.parametrize("schema_type", SCHEMA_TYPES)
    def test_structured_output(self, model: Any, schema_type: Any) -> None:
        super().test_structured_output(model, schema_type)

    @pytest.mark.xfail(reason=NESTED_CHILD_RUN, strict=True)
    @pytest.mark.parametrize("schema_type", SCHEMA_TYPES)
    async def test_structured_output_async(self, model: Any, schema_type: Any) -> None:
        await super().test_structured_output_async(model, schema_type)
