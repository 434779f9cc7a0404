"""The command-overhead benchmark's script: a small PyTorch training loop that reports like a real one
(a batch_end event per step through python/expman_run.py, a printed line every 100 steps), run bare and
as an expman command run. It measures its own throughput (steps/s over the loop, start-up excluded) and
writes it to $BENCH_RESULT. With BENCH_LINES=N it only appends N batch_end events as fast as it can
(the ingestion test)."""

import json
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__))))
from expman_run import Run  # noqa: E402

run = Run()
lines = int(os.environ.get("BENCH_LINES", "0"))
started = time.perf_counter()
if lines:
    fd = os.open(os.environ["EXPMAN_METRICS"], os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    for i in range(1, lines + 1):
        os.write(fd, (json.dumps({"event": "batch_end", "epoch": 1, "batch": i, "batches": lines, "loss": 1.0 / i}) + "\n").encode())
    os.close(fd)
    run.epoch_end(1, 1, loss=0.0, val_loss=0.0)
else:
    import torch
    from torch import nn

    torch.manual_seed(0)
    torch.set_num_threads(1)
    steps = int(os.environ.get("BENCH_STEPS", "3000"))
    x, y = torch.randn(4096, 64), torch.randint(0, 10, (4096,))
    model = nn.Sequential(nn.Linear(64, 256), nn.ReLU(), nn.Linear(256, 10))
    opt = torch.optim.SGD(model.parameters(), lr=0.01)
    started = time.perf_counter()
    for step in range(1, steps + 1):
        i = (step * 256) % 4096
        opt.zero_grad()
        loss = nn.functional.cross_entropy(model(x[i : i + 256]), y[i : i + 256])
        loss.backward()
        opt.step()
        run.batch_end(1, step, steps, loss=loss.item())
        if step % 100 == 0:
            print(f"step {step}/{steps} loss {loss.item():.4f}", flush=True)
    run.epoch_end(1, 1, loss=loss.item(), val_loss=loss.item())
elapsed = time.perf_counter() - started
with open(os.environ["BENCH_RESULT"], "w") as f:
    f.write(json.dumps({"seconds": elapsed, "per_s": (lines or steps) / elapsed, "cpu_s": sum(os.times()[:2])}))
