#!/usr/bin/env python3
"""PyTorch twin of `bench train`: local training throughput of the same two jobs.

Runs logistic regression and the MLP 100-256-256-1 (relu) on synthetic rows with
binary cross-entropy, plain SGD, one thread, and prints the same table as the Java
`bench train` command, so the two can be compared side by side. With --json FILE it
appends one JSON line per table row, with the same fields as the Java bench.

Debian's python3-torch is built against the system libblas.so.3; install
libopenblas0-pthread (or -openmp) so that it is OpenBLAS and not the reference BLAS.
Run with OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1, e.g.

    OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 /usr/bin/python3 bench/pytorch_train_bench.py
"""
import argparse
import datetime
import json
import os
import statistics
import subprocess
import time

import torch


def synthetic(rows, cols, seed):
    """Gaussian features, labels from a random linear teacher through a logistic link."""
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(rows, cols, generator=g)
    teacher = torch.randn(cols, generator=g) / cols ** 0.5
    p = torch.sigmoid(x @ teacher * 3.0)
    y = (torch.rand(rows, generator=g) < p).float().unsqueeze(1)
    return x.contiguous(), y.contiguous()


MODELS = {  # named as the Java bench names them (Architecture.toString)
    "logistic regression {cols}-1": lambda cols: torch.nn.Linear(cols, 1),
    "mlp {cols}-256-256-1 relu": lambda cols: torch.nn.Sequential(
        torch.nn.Linear(cols, 256), torch.nn.ReLU(),
        torch.nn.Linear(256, 256), torch.nn.ReLU(),
        torch.nn.Linear(256, 1)),
}


def epoch(model, opt, loss_fn, x, y, batch, gen):
    perm = torch.randperm(x.shape[0], generator=gen)
    xs, ys = x[perm], y[perm]  # one shuffled copy per epoch, then contiguous slices
    total = 0.0
    for start in range(0, x.shape[0], batch):
        xb, yb = xs[start:start + batch], ys[start:start + batch]
        opt.zero_grad(set_to_none=True)
        loss = loss_fn(model(xb), yb)
        loss.backward()
        opt.step()
        total += loss.item() * xb.shape[0]
    return total / x.shape[0]


def loaded_blas():
    """The BLAS library this process mapped (Debian's torch uses the system libblas.so.3 alternative)."""
    try:
        with open("/proc/self/maps", encoding="utf-8") as f:
            paths = {line.split()[-1] for line in f if "blas" in line.lower() and "/" in line}
        return ", ".join(sorted(p for p in paths if "libblas" in p or "openblas" in p)) or "?"
    except OSError:
        return "?"


def git_commit():
    try:
        return subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                              cwd=os.path.dirname(os.path.abspath(__file__)), timeout=5).stdout.strip() or None
    except (OSError, subprocess.SubprocessError):
        return None


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=200_000)
    ap.add_argument("--cols", type=int, default=100)
    ap.add_argument("--batch", type=int, default=256)
    ap.add_argument("--epochs", type=int, default=5, help="timed epochs per model")
    ap.add_argument("--warmup", type=int, default=1, help="untimed epochs per model")
    ap.add_argument("--lr", type=float, default=0.01)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--json", metavar="FILE", help="append one JSON line per table row to FILE")
    args = ap.parse_args()

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    torch.ones(2, 2) @ torch.ones(2, 2)  # make sure BLAS is loaded before we look for it
    blas = loaded_blas()
    engine = "pytorch-" + torch.__version__ + " (BLAS " + blas + ")"
    if "openblas" not in blas:
        print("warning: PyTorch is not using OpenBLAS; install libopenblas0-pthread for a fair comparison")
    print(f"engine {engine}, torch threads {torch.get_num_threads()}, "
          f"OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS', '(unset)')} "
          f"OPENBLAS_NUM_THREADS={os.environ.get('OPENBLAS_NUM_THREADS', '(unset)')} "
          f"OPENBLAS_CORETYPE={os.environ.get('OPENBLAS_CORETYPE', '(unset)')}")
    x, y = synthetic(args.rows, args.cols, args.seed)
    gen = torch.Generator().manual_seed(args.seed)
    header = f"{'model':<28} {'rows':>8} {'batch':>6} {'samples/s median':>17} {'min':>10} {'max':>10} {'loss':>8}"
    print(header)
    print("-" * len(header))
    commit = git_commit()
    for template, make in MODELS.items():
        name = template.format(cols=args.cols)
        model = make(args.cols)
        opt = torch.optim.SGD(model.parameters(), lr=args.lr)
        loss_fn = torch.nn.BCEWithLogitsLoss()
        for _ in range(args.warmup):
            epoch(model, opt, loss_fn, x, y, args.batch, gen)
        rates, loss = [], float("nan")
        for _ in range(args.epochs):
            t0 = time.perf_counter()
            loss = epoch(model, opt, loss_fn, x, y, args.batch, gen)
            rates.append(args.rows / (time.perf_counter() - t0))
        med = statistics.median(rates)
        print(f"{name:<28} {args.rows:>8} {args.batch:>6} {med:>17,.0f} {min(rates):>10,.0f} {max(rates):>10,.0f} {loss:>8.4f}")
        if args.json:
            row = {"bench": "train", "model": name, "rows": args.rows, "batch": args.batch,
                   "samples_per_s_median": round(med, 1), "min": round(min(rates), 1), "max": round(max(rates), 1),
                   "engine": engine, "epochs": args.epochs, "loss": loss, "commit": commit,
                   "timestamp": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")}
            with open(args.json, "a", encoding="utf-8") as f:
                f.write(json.dumps(row) + "\n")


if __name__ == "__main__":
    main()
