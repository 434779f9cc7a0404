"""Tests a run's best-model.pth on the prepared dataset's test set (README, "Command runs").

Writes into EXPMAN_RESULTS_DIR (expman moves it to results/<run>/): metrics.csv (metric,value) and
predictions.csv (features, actual, predicted).
"""

import csv
import os

import torch

from expman_run import Run, load_dataset
from model import build


def main():
    run = Run()
    saved = torch.load(os.path.join(run.run_dir, "best-model.pth"))
    data = load_dataset()
    if data["classes"] != saved["classes"] or data["features"] != saved["features"]:
        raise SystemExit("the dataset has other classes or features than the model was trained on")
    model = build(run, len(saved["features"]), len(saved["classes"]))
    model.load_state_dict(saved["model"])
    model.eval()
    x = torch.tensor(data["test"][0], dtype=torch.float32)
    y = torch.tensor(data["test"][1], dtype=torch.long)
    with torch.no_grad():
        out = model((x - saved["mean"]) / saved["std"])
    predicted = out.argmax(1)
    accuracy = (predicted == y).float().mean().item()
    loss = torch.nn.functional.cross_entropy(out, y).item()

    results = run.results_dir or "."
    with open(os.path.join(results, "metrics.csv"), "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["metric", "value"])
        w.writerow(["accuracy", f"{accuracy:.6f}"])
        w.writerow(["loss", f"{loss:.6f}"])
        w.writerow(["rows", len(y)])
    with open(os.path.join(results, "predictions.csv"), "w", newline="") as f:
        w = csv.writer(f)
        w.writerow([*saved["features"], "actual", "predicted"])
        for row, actual, guess in zip(data["test"][0], y.tolist(), predicted.tolist()):
            w.writerow([*row, saved["classes"][actual], saved["classes"][guess]])
    print(f"test accuracy {accuracy:.4f} on {len(y)} rows (best model of epoch {saved['epoch']})")


if __name__ == "__main__":
    main()
