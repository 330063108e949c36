import json

import numpy as np
import pytest
from hybrid_router.data import DataError, RoutingDataset


def _jsonl(path, rows):
    path.write_text("".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in rows))
    return path


def test_wide_rows_with_missing_scores_are_skipped_and_counted(tmp_path):
    path = _jsonl(tmp_path / "d.jsonl", [
        {"query": "a", "scores": {"s": 1, "l": 0}},
        {"query": "b", "scores": {"s": None, "l": 1}},
        {"query": "c", "scores": {"s": 0, "l": 1}, "category": "x"},
    ])
    ds = RoutingDataset.from_file(path, small_model="s", large_model="l")
    assert ds.queries == ["a", "c"] and ds.skipped == 1
    assert ds.q_small.tolist() == [1, 0] and ds.q_large.tolist() == [0, 1]
    assert ds.categories == [None, "x"]


def test_llmrouter_long_rows_are_pivoted(tmp_path):
    path = _jsonl(tmp_path / "d.jsonl", [
        {"query": "q1", "model_name": "small", "performance": 0.5},
        {"query": "q1", "model_name": "large", "performance": 1.0},
        {"query": "q2", "model_name": "large", "performance": 0.0},
        {"query": "q2", "model_name": "small", "performance": 1.0},
    ])
    ds = RoutingDataset.from_file(path, small_model="small", large_model="large")
    assert ds.queries == ["q1", "q2"] and ds.q_small.tolist() == [0.5, 1.0] and ds.q_large.tolist() == [1.0, 0.0]


def test_csv_wide(tmp_path):
    path = tmp_path / "d.csv"
    path.write_text("query,small,large,category\nhello,1,1,x\nprove it,0,1,y\n")
    ds = RoutingDataset.from_file(path, small_model="small", large_model="large")
    assert ds.queries == ["hello", "prove it"] and ds.q_small.tolist() == [1, 0]


@pytest.mark.parametrize(
    "rows, message",
    [
        ([{"query": "a", "scores": {"s": 1, "l": 1}}, {"scores": {"s": 1, "l": 1}}], r"d.jsonl:2: missing or empty 'query'"),
        ([{"query": "a", "scores": {"s": "high", "l": 1}}], r"d.jsonl:1: score of model 's' is not a number"),
        ([{"query": "a", "scores": {"s": 1}}], r"d.jsonl:1: model 'l' has no score"),
        (["{not json"], r"d.jsonl:1: not valid JSON"),
        ([{"query": "a", "score": 1}], r"d.jsonl:1: row has neither 'scores'"),
    ],
)
def test_broken_rows_name_file_and_line(tmp_path, rows, message):
    path = _jsonl(tmp_path / "d.jsonl", rows)
    with pytest.raises(DataError, match=message):
        RoutingDataset.from_file(path, small_model="s", large_model="l")


def test_empty_file_is_an_error(tmp_path):
    path = tmp_path / "d.jsonl"
    path.write_text("\n")
    with pytest.raises(DataError, match="holds no rows"):
        RoutingDataset.from_file(path, small_model="s", large_model="l")


def test_pair_picked_by_mean_when_two_models(tmp_path):
    path = _jsonl(tmp_path / "d.jsonl", [{"query": "a", "scores": {"x": 1, "y": 0}}, {"query": "b", "scores": {"x": 1, "y": 1}}])
    ds = RoutingDataset.from_file(path)
    assert (ds.small_model, ds.large_model) == ("y", "x")


def test_split_keeps_duplicates_together_and_uses_file_split(tmp_path):
    rows = [{"query": f"q{i % 10}", "scores": {"s": i % 2, "l": 1}} for i in range(40)]
    ds = RoutingDataset.from_file(_jsonl(tmp_path / "d.jsonl", rows), small_model="s", large_model="l")
    train, test = ds.split(0.3, random_state=1)
    assert set(train.queries).isdisjoint(test.queries) and len(train) + len(test) == 40
    rows = [{"query": f"q{i}", "split": "test" if i < 3 else "train", "scores": {"s": 1, "l": 0}} for i in range(10)]
    train, test = RoutingDataset.from_file(_jsonl(tmp_path / "e.jsonl", rows), small_model="s", large_model="l").split()
    assert test.queries == ["q0", "q1", "q2"] and len(train) == 7


def test_real_shared_files_load(shared_data):
    gsm = RoutingDataset.from_file(shared_data / "routellm_gsm8k.jsonl", decontaminate=True)
    assert len(gsm) == 1319 - 12 and gsm.small_model.startswith("mistralai/Mixtral")
    assert np.mean(gsm.q_small >= gsm.q_large) == pytest.approx(0.71, abs=0.01)
    dc = RoutingDataset.from_file(
        shared_data / "llmrouter_dcrouter.jsonl", small_model="llama-3.1-8b-instruct", large_model="llama-3.1-nemotron-51b-instruct"
    )
    assert len(dc) > 6000
