"""Shared fixtures: offline hub, a per-session embedding cache, the shared data directory."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = Path(os.environ.get("SHARED_DATA_DIR", ROOT.parent / "shared" / "data"))


@pytest.fixture(scope="session", autouse=True)
def _isolated_cache(tmp_path_factory: pytest.TempPathFactory) -> None:
    os.environ["HYBRID_ROUTER_CACHE"] = str(tmp_path_factory.mktemp("embedding-cache"))


@pytest.fixture(scope="session")
def shared_data() -> Path:
    if not (SHARED_DATA / "routellm_gsm8k.jsonl").is_file():
        pytest.fail(f"shared data not found at {SHARED_DATA}; set SHARED_DATA_DIR")
    return SHARED_DATA
