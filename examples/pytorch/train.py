"""Trains the simple model on a prepared dataset under expman (README, "Command runs").

Seeded and deterministic on the CPU: the same config gives the same per-epoch metrics, and a resumed run
(EXPMAN_RESUME_FROM) continues exactly where its checkpoint left off. Writes
checkpoints/model-checkpoint-epoch-N.pth every epoch and best-model.pth on each improvement of val_loss.
"""

import glob
import os
import time

import torch
from torch import nn

from expman_run import Run, load_dataset
from model import build


def main():
    run = Run()
    seed = run.get("training.seed", 42)
    epochs = run.get("training.epochs", 20)
    batch_size = run.get("training.batch_size", 16)
    lr = run.params.get("lr", run.get("training.learning_rate", 0.01))
    keep_last = run.get("checkpoints.keep_last", 5)
    # Slows each epoch down (seconds): lets tests and demos stop or kill a run mid-way.
    epoch_delay = float(run.params.get("epoch_delay", 0))

    torch.manual_seed(seed)
    torch.use_deterministic_algorithms(True)
    torch.set_num_threads(1)

    data = load_dataset()
    if data["task"] != "classification":
        raise SystemExit("this example trains classification datasets only")
    x = torch.tensor(data["train"][0], dtype=torch.float32)
    y = torch.tensor(data["train"][1], dtype=torch.long)
    # A seeded validation split, standardised with the training rows' statistics only.
    order = torch.randperm(len(x), generator=torch.Generator().manual_seed(seed + 7919))
    n_val = max(1, round(len(x) * run.get("data.validation_split", 0.2)))
    val_idx, train_idx = order[:n_val], order[n_val:]
    mean, std = x[train_idx].mean(0), x[train_idx].std(0, unbiased=False).clamp_min(1e-12)
    norm = lambda t: (t - mean) / std  # noqa: E731
    x_train, y_train, x_val, y_val = norm(x[train_idx]), y[train_idx], norm(x[val_idx]), y[val_idx]

    model = build(run, x.shape[1], len(data["classes"]))
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    loss_fn = nn.CrossEntropyLoss()
    start, best = 0, float("inf")
    if run.resume_from:
        state = torch.load(run.resume_from)
        model.load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
        torch.set_rng_state(state["rng"])
        start, best = state["epoch"], state["best_val_loss"]
        print(f"resuming after epoch {start} from {run.resume_from}")

    extras = {"features": data["features"], "classes": data["classes"], "mean": mean, "std": std}
    for epoch in range(start + 1, epochs + 1):
        model.train()
        perm = torch.randperm(len(x_train), generator=torch.Generator().manual_seed(seed * 1000 + epoch))
        total, correct = 0.0, 0
        for b, i in enumerate(range(0, len(perm), batch_size), start=1):
            idx = perm[i : i + batch_size]
            optimizer.zero_grad()
            out = model(x_train[idx])
            loss = loss_fn(out, y_train[idx])
            loss.backward()
            optimizer.step()
            total += loss.item() * len(idx)
            correct += (out.argmax(1) == y_train[idx]).sum().item()
        model.eval()
        with torch.no_grad():
            out = model(x_val)
            val_loss = loss_fn(out, y_val).item()
            val_accuracy = (out.argmax(1) == y_val).float().mean().item()
        metrics = {"loss": total / len(x_train), "accuracy": correct / len(x_train), "val_loss": val_loss, "val_accuracy": val_accuracy}
        if epoch_delay:
            time.sleep(epoch_delay)
        run.epoch_end(epoch, epochs, **metrics, lr=lr)
        print(f"epoch {epoch}/{epochs} " + " ".join(f"{k}={v:.4f}" for k, v in metrics.items()), flush=True)

        if val_loss < best:
            best = val_loss
            path = os.path.join(run.run_dir, "best-model.pth")
            run.save_atomic(path, lambda p: torch.save({"model": model.state_dict(), "epoch": epoch, **extras}, p))
            run.best_model_saved(epoch, path, val_loss=val_loss, val_accuracy=val_accuracy)
        path = run.checkpoint_path(epoch)
        state = {"model": model.state_dict(), "optimizer": optimizer.state_dict(), "rng": torch.get_rng_state(), "epoch": epoch, "best_val_loss": best}
        run.save_atomic(path, lambda p: torch.save(state, p))
        run.checkpoint_saved(epoch, path)
        if keep_last > 0:
            old = sorted(glob.glob(os.path.join(run.checkpoint_dir, "model-checkpoint-epoch-*.pth")), key=lambda p: int(p.rsplit("-", 1)[1][:-4]))
            for stale in old[:-keep_last]:
                os.remove(stale)


if __name__ == "__main__":
    main()
