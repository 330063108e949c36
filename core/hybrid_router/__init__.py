"""hybrid_router: route each LLM call to a small or a large model (Hybrid LLM, Ding et al., ICLR 2024).

Data flows one way: query text -> encoder -> scorer -> decision -> (adapter) -> chosen LLM.
Importing this package is cheap: torch and sentence-transformers load on first use.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

__all__ = [
    "HybridRouter",
    "ModelSpec",
    "QualityGapScorer",
    "RouterConfig",
    "RoutingDataset",
    "RoutingDecision",
]

_WHERE = {
    "HybridRouter": "router",
    "RoutingDecision": "router",
    "QualityGapScorer": "scorer",
    "RoutingDataset": "data",
    "RouterConfig": "config",
    "ModelSpec": "config",
}

if TYPE_CHECKING:
    from .config import ModelSpec, RouterConfig
    from .data import RoutingDataset
    from .router import HybridRouter, RoutingDecision
    from .scorer import QualityGapScorer


def __getattr__(name: str) -> Any:
    # Lazy so `import hybrid_router` does not pay for scikit-learn/pydantic until a name is used.
    if name in _WHERE:
        return getattr(import_module(f".{_WHERE[name]}", __name__), name)
    raise AttributeError(f"module 'hybrid_router' has no attribute '{name}'")
