"""PyTorch side of the GPU training-step benchmark (bench/gpu/train-step-gpu.ts).

YOLOv5n v7.0 from bench/toolkit/train_step_torch.py (the same architecture as tfjs-lab's),
the same step: SGD on sum(mean(map^2)) over the three maps, fp32 with TF32 off, timed with
torch.cuda.synchronize() around each step. Prints one JSON object, with the step's peak
memory (max_memory_allocated / max_memory_reserved).
  python3 train_step_cuda.py --batch 16 --size 640 [--device cuda] [--warmup 2] [--steps 5]
"""
import argparse
import json
import os
import statistics
import sys
import time

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "toolkit"))
from train_step_torch import build, loss_of  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--batch", type=int, required=True)
    ap.add_argument("--size", type=int, required=True)
    ap.add_argument("--device", default="cuda")
    ap.add_argument("--warmup", type=int, default=2)
    ap.add_argument("--steps", type=int, default=5)
    args = ap.parse_args()
    dev = torch.device(args.device)
    cuda = dev.type == "cuda"
    if cuda:
        torch.backends.cuda.matmul.allow_tf32 = False
        torch.backends.cudnn.allow_tf32 = False
        torch.backends.cudnn.benchmark = True
    torch.manual_seed(0)
    model = build("yolov5n").to(dev).train()
    opt = torch.optim.SGD(model.parameters(), lr=1e-3)
    x = torch.randn(args.batch, 3, args.size, args.size, device=dev)
    sync = torch.cuda.synchronize if cuda else (lambda: None)
    times = []
    for i in range(args.warmup + args.steps):
        if i == args.warmup and cuda:
            torch.cuda.reset_peak_memory_stats()
        sync()
        t0 = time.perf_counter()
        opt.zero_grad(set_to_none=True)
        loss = loss_of("yolov5n", model(x), None)
        loss.backward()
        opt.step()
        float(loss)
        sync()
        if i >= args.warmup:
            times.append((time.perf_counter() - t0) * 1000)
    print(json.dumps({
        "torch": torch.__version__, "device": str(dev), "gpu": torch.cuda.get_device_name(dev) if cuda else None,
        "params": sum(p.numel() for p in model.parameters() if p.requires_grad),
        "median_ms": statistics.median(times), "times_ms": times,
        "max_allocated": torch.cuda.max_memory_allocated(dev) if cuda else 0,
        "max_reserved": torch.cuda.max_memory_reserved(dev) if cuda else 0,
    }))


if __name__ == "__main__":
    main()
