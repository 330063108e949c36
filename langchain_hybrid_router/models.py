"""Model strings -> chat models, and the routed chat model built from a config in one line.

Models are named the way LangChain's ``init_chat_model`` names them (``openai:gpt-4o-mini``,
``anthropic:claude-3-5-haiku-latest``, ``ollama:llama3.1``). Before any query runs,
:func:`check_model_string` makes sure the provider's integration package is installed and its
API key is set, and says what to install or set when not.

Plugging in other models (tests, local classes): pass ``factory=`` to :func:`load_chat_model` /
:func:`build_chat_router`, or set the environment variable ``HYBRID_ROUTER_MODEL_FACTORY`` to
``"package.module:callable"``. The callable is called like ``init_chat_model(model, **kwargs)``
and returns a ``BaseChatModel``; the command line uses it for every model it builds, and no
provider check is made (the factory is responsible for its models).
"""

from __future__ import annotations

import importlib
import importlib.util
import logging
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hybrid_router.config import ModelSpec, RouterConfig

if TYPE_CHECKING:
    from hybrid_router import HybridRouter
    from langchain_core.language_models import BaseChatModel

    from .chat_models import ChatHybridRouter

logger = logging.getLogger(__name__)

FACTORY_ENV = "HYBRID_ROUTER_MODEL_FACTORY"
"""Environment variable naming a ``module:callable`` that builds chat models from model strings."""

ChatModelFactory = Callable[..., "BaseChatModel"]
"""Called as ``factory(model_string, **model_kwargs)``; returns a LangChain chat model."""

PROVIDER_API_KEYS: dict[str, tuple[str, ...]] = {
    "openai": ("OPENAI_API_KEY",),
    "anthropic": ("ANTHROPIC_API_KEY",),
    "azure_openai": ("AZURE_OPENAI_API_KEY",),
    "baseten": ("BASETEN_API_KEY",),
    "cohere": ("COHERE_API_KEY",),
    "deepseek": ("DEEPSEEK_API_KEY",),
    "fireworks": ("FIREWORKS_API_KEY",),
    "google_genai": ("GOOGLE_API_KEY", "GEMINI_API_KEY"),
    "groq": ("GROQ_API_KEY",),
    "langsmith": ("LANGSMITH_GATEWAY_API_KEY", "LANGSMITH_API_KEY"),
    "mistralai": ("MISTRAL_API_KEY",),
    "nvidia": ("NVIDIA_API_KEY",),
    "openrouter": ("OPENROUTER_API_KEY",),
    "perplexity": ("PPLX_API_KEY", "PERPLEXITY_API_KEY"),
    "together": ("TOGETHER_API_KEY",),
    "upstage": ("UPSTAGE_API_KEY",),
    "xai": ("XAI_API_KEY",),
}
"""Environment variables holding each provider's API key (any one of them is enough).

Providers not listed (ollama, huggingface, bedrock, vertex AI...) run locally or use their
cloud's credential chain, so no key is checked for them."""


class ModelSetupError(ValueError):
    """A model that cannot be built: unknown provider, missing package or API key (fix in the message)."""


# -- one model ---------------------------------------------------------------------------------


def parse_model_string(model: str) -> tuple[str, str]:
    """``"openai:gpt-4o-mini"`` -> ``("openai", "gpt-4o-mini")``, inferring the provider as
    ``init_chat_model`` does (``"gpt-4o"`` -> openai, ``"claude-..."`` -> anthropic)."""
    from langchain.chat_models.base import _parse_model  # the same parsing init_chat_model uses

    try:
        name, provider = _parse_model(model, None)
    except ValueError as exc:
        raise ModelSetupError(
            f"Cannot tell which provider serves model '{model}': write it as 'provider:model', "
            f"e.g. 'openai:gpt-4o-mini', 'anthropic:claude-3-5-haiku-latest' or 'ollama:llama3.1'."
        ) from exc
    return provider, name


def check_model_string(model: str, model_kwargs: Mapping[str, Any] | None = None, role: str = "model") -> str:
    """Raise :class:`ModelSetupError` unless ``model`` can be built here; return its provider.

    Checks that the provider is known to ``init_chat_model``, that its integration package is
    importable and that its API key is in the environment (or passed as ``*api_key`` in
    ``model_kwargs``). ``role`` ("small model", "large model") is named in the message.
    """
    from langchain.chat_models.base import _BUILTIN_PROVIDERS

    provider, _ = parse_model_string(model)
    if provider not in _BUILTIN_PROVIDERS:
        raise ModelSetupError(
            f"The {role} ({model}) names provider '{provider}', which init_chat_model does not know. "
            f"Use one of: {', '.join(sorted(_BUILTIN_PROVIDERS))}."
        )
    module = _BUILTIN_PROVIDERS[provider][0].split(".")[0]
    if not _importable(module) and not (provider == "ollama" and _importable("langchain_community")):
        package = module.replace("_", "-")
        raise ModelSetupError(f"The {role} ({model}) needs the {package} package: pip install {package}")
    keys = PROVIDER_API_KEYS.get(provider, ())
    passed_key = any(k.endswith("api_key") and v for k, v in (model_kwargs or {}).items())
    if keys and not passed_key and not any(os.environ.get(k) for k in keys):
        raise ModelSetupError(
            f"The {role} ({model}) needs an API key: set the environment variable {' or '.join(keys)} "
            f"(e.g. export {keys[0]}=...)."
        )
    return provider


def _importable(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False


def resolve_factory(factory: ChatModelFactory | None = None) -> ChatModelFactory | None:
    """``factory`` if given, else the callable named by ``$HYBRID_ROUTER_MODEL_FACTORY``, else None."""
    if factory is not None:
        return factory
    spec = os.environ.get(FACTORY_ENV, "").strip()
    if not spec:
        return None
    module_name, _, attr = spec.partition(":")
    if not module_name or not attr:
        raise ModelSetupError(f"{FACTORY_ENV}={spec!r}: write it as 'package.module:callable'.")
    try:
        found = getattr(importlib.import_module(module_name), attr)
    except (ImportError, AttributeError) as exc:
        raise ModelSetupError(f"{FACTORY_ENV}={spec!r} cannot be imported: {exc}") from exc
    if not callable(found):
        raise ModelSetupError(f"{FACTORY_ENV}={spec!r} is not callable.")
    return found


def load_chat_model(
    model: str, *, role: str = "model", factory: ChatModelFactory | None = None, **model_kwargs: Any
) -> BaseChatModel:
    """Build a chat model from a model string: through ``factory`` (or ``$HYBRID_ROUTER_MODEL_FACTORY``)
    when set, else ``init_chat_model`` after :func:`check_model_string`."""
    factory = resolve_factory(factory)
    if factory is not None:
        return factory(model, **model_kwargs)
    check_model_string(model, model_kwargs, role=role)
    from langchain.chat_models import init_chat_model

    try:
        return init_chat_model(model, **model_kwargs)
    except ImportError as exc:  # a provider package that is installed but broken
        raise ModelSetupError(f"The {role} ({model}) cannot be built: {exc}") from exc


# -- the pair, with costs -----------------------------------------------------------------------


@dataclass(frozen=True)
class ModelPair:
    """The small and the large model's specs (name, model string, costs) as the CLI uses them."""

    small: ModelSpec
    large: ModelSpec

    def spec_for(self, route: str) -> ModelSpec:
        return self.small if route == "small" else self.large


def model_pair(
    router: HybridRouter, config: RouterConfig | None = None, small: str | None = None, large: str | None = None
) -> ModelPair:
    """The specs to use: model strings from ``small``/``large`` (flags), else the config, else the
    trained router's saved specs; costs and ``model_kwargs`` from the config, else the router."""

    def merge(saved: ModelSpec, configured: ModelSpec | None, override: str | None) -> ModelSpec:
        base = saved.model_copy()
        if configured is not None:
            updates = {k: getattr(configured, k) for k in configured.model_fields_set if k != "name"}
            base = base.model_copy(update=updates)
        if override:
            base = base.model_copy(update={"model": override})
        return base

    return ModelPair(
        small=merge(router.small_spec, config.small_model if config else None, small),
        large=merge(router.large_spec, config.large_model if config else None, large),
    )


def load_pair_models(
    pair: ModelPair, factory: ChatModelFactory | None = None, roles: tuple[str, ...] = ("small", "large")
) -> dict[str, BaseChatModel]:
    """The chat models for ``roles`` keyed by role; every check is made before any model is built,
    so a missing package or key for the large model stops the run before the first query."""
    factory = resolve_factory(factory)
    specs = {role: pair.spec_for(role) for role in roles}
    problems = []
    for role, spec in specs.items():
        try:
            if not spec.model:
                raise ModelSetupError(
                    f"No model string for the {role} model '{spec.name}': set {role}_model.model in the config "
                    f"(e.g. {role}_model: {{name: {spec.name}, model: openai:gpt-4o-mini}}) or pass --{role}-model."
                )
            if factory is None:
                check_model_string(spec.model, spec.model_kwargs, role=f"{role} model '{spec.name}'")
        except ModelSetupError as exc:
            problems.append(str(exc))
    if problems:  # all of them at once, so one fix round is enough
        raise ModelSetupError("\n".join(problems))
    return {
        role: load_chat_model(spec.model, role=f"{role} model", factory=factory, **spec.model_kwargs)
        for role, spec in specs.items()
    }


def build_chat_router(
    config: RouterConfig | str | Path,
    small: BaseChatModel | str | None = None,
    large: BaseChatModel | str | None = None,
    *,
    router: HybridRouter | None = None,
    factory: ChatModelFactory | None = None,
    trust_pickle: bool = False,
) -> ChatHybridRouter:
    """The routed chat model a config describes: its trained router plus the two chat models.

    ``small``/``large`` may be chat models (used as they are) or model strings overriding the
    config's. ``router`` skips loading the trained router (``HybridRouter.from_config``).
    """
    from hybrid_router import HybridRouter

    from .chat_models import ChatHybridRouter

    if not isinstance(config, RouterConfig):
        config = RouterConfig.from_yaml(config)
    if router is None:
        router = HybridRouter.from_config(config, train=False, trust_pickle=trust_pickle)
    given = {"small": small, "large": large}
    pair = model_pair(router, config, *(v if isinstance(v, str) else None for v in given.values()))
    needed = tuple(role for role, v in given.items() if v is None or isinstance(v, str))
    models = {role: v for role, v in given.items() if role not in needed}
    models.update(load_pair_models(pair, factory, needed))
    return ChatHybridRouter(router=router, small=models["small"], large=models["large"])


def chat_router_from_config(path: str | Path, **kwargs: Any) -> ChatHybridRouter:
    """``ChatHybridRouter.from_config(path)``'s one-liner: ``build_chat_router(RouterConfig.from_yaml(path))``."""
    return build_chat_router(RouterConfig.from_yaml(path), **kwargs)
