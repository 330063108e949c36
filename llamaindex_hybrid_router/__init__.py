"""LlamaIndex adapter for hybrid-llm-router: route query engines, retrievers and agent steps.

- ``HybridLLMSelector``: a ``BaseSelector`` for ``RouterQueryEngine``/``RouterRetriever`` that
  picks the cheap or the expensive of two choices with a learned router.
- ``HybridRouterLLM``: a ``FunctionCallingLLM`` that sends each call (each agent step) to a
  small or a large LLM.
- ``LlamaIndexEncoder``: a LlamaIndex ``BaseEmbedding`` as the router's encoder.
"""

from llamaindex_hybrid_router.embeddings import LlamaIndexEncoder
from llamaindex_hybrid_router.llms import HybridRouterLLM
from llamaindex_hybrid_router.selectors import HybridLLMSelector

__all__ = ["HybridLLMSelector", "HybridRouterLLM", "LlamaIndexEncoder"]
