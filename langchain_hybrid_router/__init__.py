"""LangChain adapter: route every chat-model call (chains, agents) to a small or a large model.

``ChatHybridRouter`` is a ``BaseChatModel`` that scores each call with a ``HybridRouter`` and
delegates to the chosen child; ``HybridRouterRunnable`` routes between two whole Runnables;
``HybridRouterCallbackHandler`` reports calls, tokens, cost per route and the saving;
``LangChainEncoder`` lets a LangChain ``Embeddings`` be the router's encoder.
"""

from langchain_hybrid_router.callbacks import HybridRouterCallbackHandler
from langchain_hybrid_router.chat_models import DECISION_EVENT, ChatHybridRouter, routed_text
from langchain_hybrid_router.embeddings import LangChainEncoder
from langchain_hybrid_router.runnables import HybridRouterRunnable, text_to_route

__all__ = [
    "DECISION_EVENT",
    "ChatHybridRouter",
    "HybridRouterCallbackHandler",
    "HybridRouterRunnable",
    "LangChainEncoder",
    "routed_text",
    "text_to_route",
]
