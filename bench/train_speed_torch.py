"""The PyTorch side of the train-speed benchmark (bench/train-speed.mjs): the same model, optimiser
(Adam, lr 0.01), batch size, training rows and validation rows as the expman run, timed the same way:
each epoch is a seeded shuffle, every training batch, and one forward pass over the validation rows.
Prints one JSON line per epoch. Usage: python3 train_speed_torch.py MODEL TRAIN_ROWS VAL_ROWS EPOCHS THREADS BATCH
"""
import json
import sys
import time

try:
    import torch
except Exception as e:  # reported by the caller as "PyTorch skipped"
    print(json.dumps({"event": "error", "error": "PyTorch is not installed: %s" % e}))
    sys.exit(0)

model_name, train_rows, val_rows, epochs, threads, batch = sys.argv[1], *map(int, sys.argv[2:7])
torch.set_num_threads(threads)
torch.manual_seed(0)
nn = torch.nn
if model_name == "cnn":
    inputs, classes = 64, 10
    model = nn.Sequential(
        nn.Unflatten(1, (1, 8, 8)),
        nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.Flatten(),
        nn.Linear(32 * 4 * 4, 64), nn.ReLU(), nn.Linear(64, 10),
    )
else:
    hidden = {"small": 16, "wide": 256}[model_name]
    inputs, classes = 4, 3
    model = nn.Sequential(nn.Linear(4, hidden), nn.ReLU(), nn.Linear(hidden, hidden), nn.ReLU(), nn.Linear(hidden, 3))
opt = torch.optim.Adam(model.parameters(), lr=0.01)
loss_fn = nn.CrossEntropyLoss()
x = torch.randn(train_rows, inputs)
y = torch.randint(0, classes, (train_rows,))
vx = torch.randn(val_rows, inputs)
vy = torch.randint(0, classes, (val_rows,))
for epoch in range(1, epochs + 1):
    t = time.perf_counter()
    perm = torch.randperm(train_rows)
    model.train()
    for i in range(0, train_rows, batch):
        idx = perm[i:i + batch]
        opt.zero_grad(set_to_none=True)
        loss = loss_fn(model(x[idx]), y[idx])
        loss.backward()
        opt.step()
    model.eval()
    with torch.no_grad():
        val_loss = loss_fn(model(vx), vy).item()
    ms = (time.perf_counter() - t) * 1000
    print(json.dumps({"event": "epoch", "epoch": epoch, "duration_ms": ms, "samples_per_s": train_rows / ms * 1000,
                      "device": "PyTorch %s, cpu, %d threads" % (torch.__version__, torch.get_num_threads())}), flush=True)
