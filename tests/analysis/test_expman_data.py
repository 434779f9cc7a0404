"""analysis/expman_data.py on a data folder made by analysis/make-demo-data.sh (experiment "demo",
runs "small" and "wide", both tested). See conftest.py for how to run these tests."""

from __future__ import annotations

import hashlib
import json
import shutil
import tomllib
from pathlib import Path

import pandas as pd
import pytest

import expman_data as ed

EPOCH_METRICS = ["loss", "accuracy", "val_loss", "val_accuracy"]


def jsonl_epochs(path: Path) -> dict[int, dict]:
    """Independent reading of metrics.jsonl: the last epoch_end record of each epoch."""
    last: dict[int, dict] = {}
    for line in path.read_text().splitlines():
        if line.strip():
            event = json.loads(line)
            if event["event"] == "epoch_end":
                last[event["epoch"]] = event
    return last


def tree(root: Path) -> dict[str, tuple[int, int, str]]:
    return {
        str(p.relative_to(root)): (p.stat().st_size, p.stat().st_mtime_ns, hashlib.sha256(p.read_bytes()).hexdigest())
        for p in sorted(root.rglob("*"))
        if p.is_file()
    } | {str(p.relative_to(root)) + "/": (0, 0, "") for p in root.rglob("*") if p.is_dir()}


@pytest.fixture
def copy(data: Path, tmp_path: Path) -> Path:
    """A copy of the data folder (without model weights) that a test may change."""
    target = tmp_path / "data"
    shutil.copytree(data, target, ignore=shutil.ignore_patterns("checkpoints", "best-model"))
    return target


def test_data_dir_argument_then_env(data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATA", str(data))
    assert ed.data_dir() == data
    assert ed.data_dir(tmp_path) == tmp_path.resolve()
    with pytest.raises(FileNotFoundError, match="does not exist"):
        ed.data_dir(tmp_path / "missing")


def test_dataset_rows_dtypes_and_class_balance(data: Path) -> None:
    info = ed.dataset_info(data=data)
    train, test = ed.load_dataset(data=data)
    assert ed.datasets(data) == ["prepared-dataset"]
    assert (len(train), len(test)) == (info["rows"]["train"], info["rows"]["test"]) == (120, 30)
    assert list(train.columns) == [c["name"] for c in info["columns"]]
    assert {c: str(t) for c, t in train.dtypes.items()} == {c["name"]: c["dtype"] for c in info["columns"]}
    label = info["label"]["column"]
    assert train[label].value_counts().to_dict() == info["class_balance"]["train"]
    assert test[label].value_counts().to_dict() == info["class_balance"]["test"]


def test_dataset_in_one_file_with_a_set_column(data: Path, copy: Path) -> None:
    train, test = ed.load_dataset(data=data)
    folder = copy / "datasets" / "single"
    folder.mkdir()
    shutil.copy(copy / "datasets/prepared-dataset/info.toml", folder / "info.toml")
    pd.concat([train.assign(set="train"), test.assign(set="test")]).to_csv(folder / "data.csv", index=False)
    train2, test2 = ed.load_dataset("single", data=copy)
    pd.testing.assert_frame_equal(train2, train)
    pd.testing.assert_frame_equal(test2, test)


def test_runs_table(data: Path) -> None:
    assert ed.experiments(data) == ["demo"]
    runs = ed.runs("demo", data=data)
    assert list(runs["model"]) == ["small", "wide"]  # oldest first
    pd.testing.assert_frame_equal(ed.runs(data=data), runs)
    for _, run in runs.iterrows():
        run_dir = data / "experiments/demo/models" / run["model"]
        status = json.loads((run_dir / "status.json").read_text())
        assert run["status"] == status["status"] == "finished"
        assert (run["epoch"], run["epochs"]) == (status["epoch"], status["epochs"]) == (30, 30)
        assert run["best_epoch"] == status["best"]["epoch"]
        assert run["best_val_loss"] == status["best"]["val_loss"]
        assert run["backend"] == "wasm"
        metrics = dict(line.split(",") for line in (data / "experiments/demo/results" / run["model"] / "metrics.csv").read_text().split()[1:])
        assert run["test_accuracy"] == float(metrics["accuracy"])
        config = tomllib.loads((run_dir / "config.toml").read_text())
        assert run["training.epochs"] == config["training"]["epochs"] == 30
        assert run["training.early_stopping.patience"] == config["training"]["early_stopping"]["patience"]
        assert not any(c.startswith("provenance.") for c in runs.columns)
    assert list(runs["model.hidden_units"]) == ["[8]", "[32, 32]"]
    assert list(ed.config_diff(runs).columns) == ["model.hidden_units", "training.learning_rate"]


def test_metrics_per_epoch_match_metrics_jsonl(data: Path) -> None:
    for model in ed.run_names("demo", data):
        expected = jsonl_epochs(data / "experiments/demo/models" / model / "logs/metrics.jsonl")
        history = ed.epochs("demo", model, data=data)
        assert list(history.index) == sorted(expected) == list(range(1, 31))
        assert list(history.columns[:4]) == EPOCH_METRICS
        for epoch, event in expected.items():
            assert history.loc[epoch, EPOCH_METRICS].to_dict() == {k: event[k] for k in EPOCH_METRICS}
        best = ed.run_status("demo", model, data)["best"]
        assert history["val_loss"].min() == best["val_loss"]
    long = ed.epochs_by_run("demo", data=data)
    assert len(long) == 60 and long.groupby("model").size().to_dict() == {"small": 30, "wide": 30}


def test_after_a_resume_the_last_record_of_an_epoch_wins(copy: Path) -> None:
    log = copy / "experiments/demo/models/small/logs/metrics.jsonl"
    original = jsonl_epochs(log)
    resumed = [{**original[e], "loss": 9.0 + e, "val_accuracy": 0.5} for e in (29, 30)]
    with log.open("a") as f:
        f.write(json.dumps({"event": "run_resumed", "time": "2030-01-01T00:00:00.000Z", "epoch": 28}) + "\n")
        for event in resumed:
            f.write(json.dumps(event) + "\n")
        f.write('{"event":"epoch_end","epo')  # a run killed mid-write
    history = ed.epochs("demo", "small", data=copy)
    assert len(history) == 30
    assert history.loc[29, "loss"] == 38.0 and history.loc[30, "loss"] == 39.0
    assert history.loc[30, "val_accuracy"] == 0.5
    assert history.loc[28, "loss"] == original[28]["loss"]


def test_results(data: Path) -> None:
    classes = ed.dataset_info(data=data)["label"]["classes"]
    for model in ("small", "wide"):
        res = ed.results("demo", model, data=data)
        assert list(res.confusion.columns) == list(res.confusion.index) == classes
        assert int(res.confusion.values.sum()) == len(res.predictions) == int(res.per_class["support"].sum()) == 30
        accuracy = res.confusion.values.trace() / res.confusion.values.sum()
        assert res.metrics["accuracy"] == pytest.approx(accuracy, abs=1e-6)
        assert res.predictions["correct"].mean() == pytest.approx(accuracy)
        assert list(res.per_class.index) == classes


def test_untested_run_and_missing_dataset_say_what_to_run(copy: Path) -> None:
    shutil.rmtree(copy / "experiments/demo/results/wide")
    assert ed.runs("demo", data=copy)["test_accuracy"].isna().tolist() == [False, True]
    with pytest.raises(FileNotFoundError, match="expman test"):
        ed.results("demo", "wide", data=copy)
    with pytest.raises(FileNotFoundError, match="expman preprocess"):
        ed.load_dataset("nope", data=copy)


def test_never_writes_into_the_data_folder(data: Path) -> None:
    before = tree(data)
    ed.datasets(data)
    ed.dataset_info(data=data)
    ed.load_dataset(data=data)
    ed.runs(data=data)
    for model in ed.run_names("demo", data):
        ed.run_config("demo", model, data)
        ed.events("demo", model, data)
        ed.epochs("demo", model, data)
        ed.results("demo", model, data)
    ed.epochs_by_run("demo", data)
    assert tree(data) == before


@pytest.fixture(scope="module")
def regression_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data folder with one tested regression run (a numeric label with many values), made by the CLI."""
    import subprocess

    root = Path(__file__).resolve().parents[2]
    folder = tmp_path_factory.mktemp("expman-regression") / "data"
    (folder / "datasets/external").mkdir(parents=True)
    rows = [(i % 7, (i * 5) % 11, 3 * (i % 7) - 2 * ((i * 5) % 11) + 0.25 * (i % 3)) for i in range(120)]
    (folder / "datasets/external/lin.csv").write_text("a,b,y\n" + "".join(f"{a},{b},{y}\n" for a, b, y in rows))

    def cli(*args: str) -> None:
        subprocess.run(["node", str(root / "bin/expman.mjs"), *args, "--data", str(folder)], check=True, stdout=subprocess.DEVNULL)

    cli("preprocess", "--dataset", "lin")
    cli("train", "--experiment", "reg", "--model", "lin", "--set", "training.epochs=5", "--set", "training.backend=cpu")
    cli("test", "--experiment", "reg", "--model", "lin")
    return folder


def test_regression_runs_and_results(regression_data: Path) -> None:
    runs = ed.runs("reg", data=regression_data)
    run = runs.iloc[0]
    assert run["task"] == "regression"
    assert ed.score_column(runs) == "test_r2" and ed.score_column(runs, test=False) == "best_val_r2"
    status = json.loads((regression_data / "experiments/reg/models/lin/status.json").read_text())
    assert run["best_val_r2"] == status["best"]["val_r2"] and run["best_val_rmse"] == status["best"]["val_rmse"]
    assert pd.isna(run["test_accuracy"]) and pd.isna(run["best_val_accuracy"])
    res = ed.results("reg", "lin", data=regression_data)
    assert run["test_r2"] == res.metrics["r2"] and run["test_rmse"] == res.metrics["rmse"]
    p = res.predictions
    assert list(p.columns[-3:]) == ["actual", "predicted", "residual"] and len(p) == 20
    assert ((p["actual"] - p["predicted"]) - p["residual"]).abs().max() < 1e-5
    ss_res = ((p["actual"] - p["predicted"]) ** 2).sum()
    assert res.metrics["r2"] == pytest.approx(1 - ss_res / ((p["actual"] - p["actual"].mean()) ** 2).sum(), abs=1e-5)
    assert res.per_class.empty and res.confusion.empty
    history = ed.epochs("reg", "lin", data=regression_data)
    assert {"val_mae", "val_rmse", "val_r2"} <= set(history.columns) and len(history) == 5


def test_score_column_refuses_mixed_tasks(data: Path, regression_data: Path) -> None:
    assert ed.score_column(ed.runs("demo", data=data)) == "test_accuracy"
    mixed = pd.concat([ed.runs("demo", data=data), ed.runs("reg", data=regression_data)])
    with pytest.raises(ValueError, match="no common score"):
        ed.score_column(mixed)
