import pytest
from hybrid_router.config import ConfigError, RouterConfig, load_model_specs, pick_pair

from tests.conftest import ROOT


def test_llmrouter_yaml_loads_and_warns_about_embedding_files(tmp_path):
    path = tmp_path / "hybrid_llm.yaml"
    path.write_text(
        """
router_mode: "probabilistic"
router_tau: 0.2
router_threshold: 0.4
hparam: {hidden_layer_sizes: [16, 8], activation: relu, solver: adam, max_iter: 50}
model_path: {ini_model_path: "x.pkl", save_model_path: "out.pkl", load_model_path: "out.pkl"}
metric: {weights: {performance: 1, cost: 0, llm_judge: 0}}
data_path:
  routing_data_train: a.jsonl
  routing_data_test: b.jsonl
  query_data_train: c.jsonl
  query_data_test: d.jsonl
  llm_data: e.json
  query_embedding_data: q.pt
  llm_embedding_data: l.pt
"""
    )
    with pytest.warns(UserWarning, match="embeds queries itself"):
        cfg = RouterConfig.from_yaml(path)
    assert cfg.router_mode == "probabilistic" and cfg.router_tau == 0.2 and cfg.router_threshold == 0.4
    assert cfg.uses_seed_mlp() and cfg.head_params()["hidden_layer_sizes"] == (16, 8)
    assert cfg.resolve(cfg.model_path.save_model_path) == tmp_path / "out.pkl"


@pytest.mark.parametrize(
    "text, key, near",
    [("router_treshold: 0.3", "router_treshold", "router_threshold"),
     ("model_path: {save_modle_path: x}", "model_path.save_modle_path", "model_path.save_model_path")],
)
def test_unknown_key_names_key_and_nearest(tmp_path, text, key, near):
    path = tmp_path / "c.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=rf"unknown config key '{key}'.*Did you mean '{near}'"):
        RouterConfig.from_yaml(path)


def test_bad_value_names_the_field(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text("router_mode: sometimes")
    with pytest.raises(ConfigError, match="router_mode"):
        RouterConfig.from_yaml(path)


def test_yaml_round_trip(tmp_path):
    cfg = RouterConfig(router_threshold=0.3, small_model="a", large_model={"name": "b", "input_cost_per_1m": 2})
    again = RouterConfig.from_dict(__import__("yaml").safe_load(cfg.to_yaml()))
    assert again.router_threshold == 0.3 and again.large_model.input_cost_per_1m == 2


def test_shipped_configs_load():
    for path in sorted((ROOT / "configs").glob("*.yaml")):
        RouterConfig.from_yaml(path)


def test_pair_picked_by_cost_then_size(shared_data):
    specs = load_model_specs(shared_data / "llmrouter_default_llm.json")
    available = ["qwen2.5-7b-instruct", "gemma-2-9b-it", "llama-3.1-nemotron-51b-instruct", "llama3-chatqa-1.5-70b"]
    small, large = pick_pair(specs, available)
    assert small.name == "gemma-2-9b-it"  # cheapest (0.1 + 0.1)
    assert large.name == "llama3-chatqa-1.5-70b"  # 0.9 + 0.9 ties with nemotron-51b; larger wins
    assert large.input_cost_per_1m == 0.9


def test_model_cost_is_per_million_tokens():
    from hybrid_router import ModelSpec

    spec = ModelSpec(name="m", input_cost_per_1m=2.0, output_cost_per_1m=8.0)
    assert spec.cost(1_000_000, 0) == pytest.approx(2.0)
    assert spec.cost(500, 250) == pytest.approx((500 * 2 + 250 * 8) / 1e6)
