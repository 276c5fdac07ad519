"""PyTorch side of the training-step benchmark (bench/toolkit/train-step.ts).

The same two models as the TensorFlow.js side, in plain torch: the small conv classifier
and YOLOv5n v7.0 (1,872,157 parameters at nc=80). Prints one JSON object per run:
  /usr/bin/python3 train_step_torch.py --model small|yolov5n --batch B --size S --threads T
"""
import argparse
import json
import math
import statistics
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


class SmallClassifier(nn.Module):
    """3 x (3x3 conv stride 2, batch norm, ReLU), global average pool, linear."""

    def __init__(self, num_classes=10):
        super().__init__()
        chans = [3, 16, 32, 64]
        self.convs = nn.ModuleList(nn.Conv2d(a, b, 3, 2, 1, bias=False) for a, b in zip(chans, chans[1:]))
        self.bns = nn.ModuleList(nn.BatchNorm2d(c) for c in chans[1:])
        self.fc = nn.Linear(chans[-1], num_classes)

    def forward(self, x):
        for conv, bn in zip(self.convs, self.bns):
            x = F.relu(bn(conv(x)))
        return self.fc(x.mean((2, 3)))


# ---- YOLOv5 v7.0 building blocks (models/common.py, models/yolo.py), written out plainly.

class Conv(nn.Module):
    def __init__(self, c1, c2, k=1, s=1, p=None):
        super().__init__()
        self.conv = nn.Conv2d(c1, c2, k, s, k // 2 if p is None else p, bias=False)
        self.bn = nn.BatchNorm2d(c2, eps=0.001, momentum=0.03)

    def forward(self, x):
        return F.silu(self.bn(self.conv(x)))


class Bottleneck(nn.Module):
    def __init__(self, c1, c2, shortcut=True):
        super().__init__()
        self.cv1 = Conv(c1, c2, 1, 1)
        self.cv2 = Conv(c2, c2, 3, 1)
        self.add = shortcut and c1 == c2

    def forward(self, x):
        y = self.cv2(self.cv1(x))
        return x + y if self.add else y


class C3(nn.Module):
    def __init__(self, c1, c2, n=1, shortcut=True):
        super().__init__()
        c_ = c2 // 2
        self.cv1 = Conv(c1, c_, 1, 1)
        self.cv2 = Conv(c1, c_, 1, 1)
        self.cv3 = Conv(2 * c_, c2, 1)
        self.m = nn.Sequential(*(Bottleneck(c_, c_, shortcut) for _ in range(n)))

    def forward(self, x):
        return self.cv3(torch.cat((self.m(self.cv1(x)), self.cv2(x)), 1))


class SPPF(nn.Module):
    def __init__(self, c1, c2, k=5):
        super().__init__()
        c_ = c1 // 2
        self.cv1 = Conv(c1, c_, 1, 1)
        self.cv2 = Conv(c_ * 4, c2, 1, 1)
        self.m = nn.MaxPool2d(k, 1, k // 2)

    def forward(self, x):
        x = self.cv1(x)
        y1 = self.m(x)
        y2 = self.m(y1)
        return self.cv2(torch.cat((x, y1, y2, self.m(y2)), 1))


class YOLOv5(nn.Module):
    """yolov5{n,s,m,l,x}.yaml of v7.0; forward returns the three training maps [bs, 3, ny, nx, nc+5]."""

    def __init__(self, depth=0.33, width=0.25, nc=80):
        super().__init__()
        ch = lambda c: int(math.ceil(c * width / 8) * 8)
        d = lambda n: max(round(n * depth), 1)
        self.b0 = Conv(3, ch(64), 6, 2, 2)
        self.b1 = Conv(ch(64), ch(128), 3, 2)
        self.b2 = C3(ch(128), ch(128), d(3))
        self.b3 = Conv(ch(128), ch(256), 3, 2)
        self.b4 = C3(ch(256), ch(256), d(6))
        self.b5 = Conv(ch(256), ch(512), 3, 2)
        self.b6 = C3(ch(512), ch(512), d(9))
        self.b7 = Conv(ch(512), ch(1024), 3, 2)
        self.b8 = C3(ch(1024), ch(1024), d(3))
        self.b9 = SPPF(ch(1024), ch(1024), 5)
        self.h10 = Conv(ch(1024), ch(512), 1, 1)
        self.h13 = C3(2 * ch(512), ch(512), d(3), False)
        self.h14 = Conv(ch(512), ch(256), 1, 1)
        self.h17 = C3(2 * ch(256), ch(256), d(3), False)
        self.h18 = Conv(ch(256), ch(256), 3, 2)
        self.h20 = C3(2 * ch(256), ch(512), d(3), False)
        self.h21 = Conv(ch(512), ch(512), 3, 2)
        self.h23 = C3(2 * ch(512), ch(1024), d(3), False)
        self.no, self.na = nc + 5, 3
        self.detect = nn.ModuleList(nn.Conv2d(c, self.no * self.na, 1) for c in (ch(256), ch(512), ch(1024)))

    def forward(self, x):
        x = self.b2(self.b1(self.b0(x)))
        p3 = self.b4(self.b3(x))
        p4 = self.b6(self.b5(p3))
        x10 = self.h10(self.b9(self.b8(self.b7(p4))))
        x14 = self.h14(self.h13(torch.cat((F.interpolate(x10, scale_factor=2.0, mode="nearest"), p4), 1)))
        out3 = self.h17(torch.cat((F.interpolate(x14, scale_factor=2.0, mode="nearest"), p3), 1))
        out4 = self.h20(torch.cat((self.h18(out3), x14), 1))
        out5 = self.h23(torch.cat((self.h21(out4), x10), 1))
        maps = []
        for conv, feat in zip(self.detect, (out3, out4, out5)):
            y = conv(feat)
            bs, _, ny, nx = y.shape
            maps.append(y.view(bs, self.na, self.no, ny, nx).permute(0, 1, 3, 4, 2).contiguous())
        return maps


def build(name):
    if name == "small":
        return SmallClassifier()
    if name == "yolov5n":
        return YOLOv5(0.33, 0.25, 80)
    raise SystemExit(f"unknown model {name}")


def loss_of(name, out, labels):
    if name == "small":
        return F.cross_entropy(out, labels)
    return sum((m * m).mean() for m in out)  # a simple stand-in loss over the three maps


def peak_step_bytes(step):
    """Peak bytes allocated during one step above what was allocated before it: the profiler's
    allocation events in time order, summed (what tfjs-lab's bench takes from tf.profile)."""
    from torch.profiler import profile, ProfilerActivity
    with profile(activities=[ProfilerActivity.CPU], profile_memory=True) as prof:
        step()
    events = sorted((e.start_us(), e.nbytes()) for e in prof.profiler.kineto_results.events() if e.name() == "[memory]")
    live = peak = 0
    for _, nbytes in events:
        live += nbytes
        peak = max(peak, live)
    return peak


def self_ms_by_op(step, steps=3):
    """Each op's self CPU milliseconds in one step (torch.profiler), the median of `steps` profiled steps."""
    from torch.profiler import profile, ProfilerActivity
    runs = []
    for _ in range(steps):
        with profile(activities=[ProfilerActivity.CPU]) as prof:
            step()
        runs.append({e.key: e.self_cpu_time_total / 1000 for e in prof.key_averages()})
    names = set().union(*runs)
    return {n: statistics.median(r.get(n, 0.0) for r in runs) for n in names}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", required=True)
    ap.add_argument("--batch", type=int, required=True)
    ap.add_argument("--size", type=int, required=True)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--warmup", type=int, default=2)
    ap.add_argument("--steps", type=int, default=5)
    ap.add_argument("--seconds", type=float, default=0, help="the least seconds the warm-up and the timed steps each last")
    ap.add_argument("--memory", action="store_true", help="also measure one step's peak tensor bytes (torch.profiler)")
    ap.add_argument("--profile", action="store_true", help="also each op's self CPU ms in one step (torch.profiler)")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    model = build(args.model).train()
    opt = torch.optim.SGD(model.parameters(), lr=1e-3)
    x = torch.randn(args.batch, 3, args.size, args.size)
    labels = torch.randint(0, 10, (args.batch,))
    def step():
        opt.zero_grad(set_to_none=True)
        loss = loss_of(args.model, model(x), labels)
        loss.backward()
        opt.step()
        float(loss)

    def timed():
        t0 = time.perf_counter()
        step()
        return (time.perf_counter() - t0) * 1000

    # As train-step.ts: each phase runs its count of steps and at least --seconds.
    spent, i = 0.0, 0
    while i < args.warmup or spent < args.seconds * 1000:
        spent, i = spent + timed(), i + 1
    times = []
    while len(times) < args.steps or sum(times) < args.seconds * 1000:
        times.append(timed())
    extra = {"peak_step_bytes": peak_step_bytes(step)} if args.memory else {}
    if args.profile:
        extra["self_ms_by_op"] = self_ms_by_op(step)
    print(json.dumps({**extra,
        "framework": "pytorch", "torch": torch.__version__, "model": args.model, "threads": torch.get_num_threads(),
        "params": sum(p.numel() for p in model.parameters() if p.requires_grad),
        "median_ms": statistics.median(times), "times_ms": times,
    }))


if __name__ == "__main__":
    main()
