"""LangChain adapter: route every chat-model call (chains, agents) to a small or a large model.

``ChatHybridRouter`` is a ``BaseChatModel`` that scores each call with a ``HybridRouter`` and
delegates to the chosen child; ``HybridRouterRunnable`` routes between two whole Runnables.
"""

from langchain_hybrid_router.chat_models import ChatHybridRouter, routed_text

__all__ = ["ChatHybridRouter", "routed_text"]
