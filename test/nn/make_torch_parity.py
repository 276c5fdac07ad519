#!/usr/bin/python3
"""Regenerates test/nn/fixtures/yolov5n-torch-parity.json: a YOLOv5n (v7.0 layout, nc=80)
written here in PyTorch as models/common.py and models/yolo.py build it, with
deterministic weights (a formula of each state_dict name and flat index, so the
TypeScript test rebuilds the same weights), run on a fixed batch in train and eval mode.

    /usr/bin/python3 test/nn/make_torch_parity.py
"""
import json
import math
import os

import torch
import torch.nn as nn

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures", "yolov5n-torch-parity.json")


def autopad(k, p=None):
    return k // 2 if p is None else p


class Conv(nn.Module):
    def __init__(self, c1, c2, k=1, s=1, p=None):
        super().__init__()
        self.conv = nn.Conv2d(c1, c2, k, s, autopad(k, p), bias=False)
        self.bn = nn.BatchNorm2d(c2, eps=1e-3, momentum=0.03)
        self.act = nn.SiLU()

    def forward(self, x):
        return self.act(self.bn(self.conv(x)))


class Bottleneck(nn.Module):
    def __init__(self, c1, c2, shortcut=True, e=0.5):
        super().__init__()
        c_ = int(c2 * e)
        self.cv1 = Conv(c1, c_, 1, 1)
        self.cv2 = Conv(c_, c2, 3, 1)
        self.add = shortcut and c1 == c2

    def forward(self, x):
        return x + self.cv2(self.cv1(x)) if self.add else self.cv2(self.cv1(x))


class C3(nn.Module):
    def __init__(self, c1, c2, n=1, shortcut=True, e=0.5):
        super().__init__()
        c_ = int(c2 * e)
        self.cv1 = Conv(c1, c_, 1, 1)
        self.cv2 = Conv(c1, c_, 1, 1)
        self.cv3 = Conv(2 * c_, c2, 1)
        self.m = nn.Sequential(*(Bottleneck(c_, c_, shortcut, e=1.0) for _ in range(n)))

    def forward(self, x):
        return self.cv3(torch.cat((self.m(self.cv1(x)), self.cv2(x)), 1))


class SPPF(nn.Module):
    def __init__(self, c1, c2, k=5):
        super().__init__()
        c_ = c1 // 2
        self.cv1 = Conv(c1, c_, 1, 1)
        self.cv2 = Conv(c_ * 4, c2, 1, 1)
        self.m = nn.MaxPool2d(kernel_size=k, stride=1, padding=k // 2)

    def forward(self, x):
        x = self.cv1(x)
        y1 = self.m(x)
        y2 = self.m(y1)
        return self.cv2(torch.cat((x, y1, y2, self.m(y2)), 1))


class Concat(nn.Module):
    def forward(self, x):
        return torch.cat(x, 1)


class Detect(nn.Module):
    def __init__(self, nc, anchors, ch, strides):
        super().__init__()
        self.nc, self.no, self.nl, self.na = nc, nc + 5, len(anchors), len(anchors[0]) // 2
        self.anchors_px = torch.tensor(anchors).float().view(self.nl, -1, 2)
        self.stride = strides
        self.m = nn.ModuleList(nn.Conv2d(x, self.no * self.na, 1) for x in ch)

    def forward(self, x):
        z = []
        for i in range(self.nl):
            x[i] = self.m[i](x[i])
            bs, _, ny, nx = x[i].shape
            x[i] = x[i].view(bs, self.na, self.no, ny, nx).permute(0, 1, 3, 4, 2).contiguous()
            if not self.training:
                yv, xv = torch.meshgrid(torch.arange(ny), torch.arange(nx), indexing="ij")
                grid = torch.stack((xv, yv), 2).expand(1, self.na, ny, nx, 2).float() - 0.5
                anchor_grid = self.anchors_px[i].view(1, self.na, 1, 1, 2).expand(1, self.na, ny, nx, 2)
                xy, wh, conf = x[i].sigmoid().split((2, 2, self.nc + 1), 4)
                xy = (xy * 2 + grid) * self.stride[i]
                wh = (wh * 2) ** 2 * anchor_grid
                z.append(torch.cat((xy, wh, conf), 4).view(bs, self.na * nx * ny, self.no))
        return x if self.training else (torch.cat(z, 1), x)


def make_divisible(x, d):
    return math.ceil(x / d) * d


def yolov5(gd, gw, nc):
    anchors = [[10, 13, 16, 30, 33, 23], [30, 61, 62, 45, 59, 119], [116, 90, 156, 198, 373, 326]]
    spec = [
        (-1, 1, Conv, [64, 6, 2, 2]), (-1, 1, Conv, [128, 3, 2]), (-1, 3, C3, [128]),
        (-1, 1, Conv, [256, 3, 2]), (-1, 6, C3, [256]), (-1, 1, Conv, [512, 3, 2]), (-1, 9, C3, [512]),
        (-1, 1, Conv, [1024, 3, 2]), (-1, 3, C3, [1024]), (-1, 1, SPPF, [1024, 5]),
        (-1, 1, Conv, [512, 1, 1]), (-1, 1, nn.Upsample, [None, 2, "nearest"]), ([-1, 6], 1, Concat, [1]),
        (-1, 3, C3, [512, False]), (-1, 1, Conv, [256, 1, 1]), (-1, 1, nn.Upsample, [None, 2, "nearest"]),
        ([-1, 4], 1, Concat, [1]), (-1, 3, C3, [256, False]), (-1, 1, Conv, [256, 3, 2]),
        ([-1, 14], 1, Concat, [1]), (-1, 3, C3, [512, False]), (-1, 1, Conv, [512, 3, 2]),
        ([-1, 10], 1, Concat, [1]), (-1, 3, C3, [1024, False]), ([17, 20, 23], 1, Detect, [nc, anchors]),
    ]
    ch, layers, froms = [3], [], []
    for i, (f, n, m, args) in enumerate(spec):
        n = max(round(n * gd), 1) if n > 1 else n
        if m in (Conv, C3, SPPF):
            c1, c2 = ch[f], make_divisible(args[0] * gw, 8)
            args = [c1, c2, *args[1:]]
            if m is C3:
                args.insert(2, n)
            mod = m(*args)
        elif m is Concat:
            c2 = sum(ch[x] for x in f)
            mod = Concat()
        elif m is Detect:
            mod = Detect(nc, anchors, [ch[x] for x in f], [8, 16, 32])
            c2 = 0
        else:
            c2 = ch[f]
            mod = m(*args)
        layers.append(mod)
        froms.append(f)
        if i == 0:
            ch = []
        ch.append(c2)
    return nn.Sequential(*layers), froms


def run(model, froms, x):
    y, out = [], x
    for m, f in zip(model, froms):
        if f != -1:
            out = y[f] if isinstance(f, int) else [out if j == -1 else y[j] for j in f]
        out = m(out)
        y.append(out)
    return out


def name_code(name):
    return sum((k + 1) * ord(c) for k, c in enumerate(name)) % 997


def deterministic(name, shape, fan_in):
    """Same formula as the TypeScript test: torch layout, flat index i."""
    i = torch.arange(math.prod(shape), dtype=torch.float64)
    base = torch.sin(0.731 * i + 0.1 * name_code(name))
    if name.endswith("running_var"):
        v = 1 + 0.5 * base.abs()
    elif name.endswith("running_mean"):
        v = 0.1 * base
    elif name.endswith("bn.weight"):
        v = 1 + 0.2 * base
    elif name.endswith("bias"):
        v = 0.1 * base
    else:
        v = 1.5 * base / math.sqrt(fan_in)
    return v.float().view(shape)


def main():
    torch.set_num_threads(1)
    model, froms = yolov5(0.33, 0.25, 80)
    with torch.no_grad():
        for name, t in list(model.state_dict().items()):
            if name.endswith("num_batches_tracked"):
                continue
            fan_in = math.prod(t.shape[1:]) if t.dim() > 1 else 1
            t.copy_(deterministic("model." + name, tuple(t.shape), fan_in))
    n = 2 * 3 * 64 * 64
    x = (0.5 + 0.5 * torch.sin(0.01 * torch.arange(n, dtype=torch.float64))).float().view(2, 3, 64, 64)
    result = {"input": "x[i] = 0.5 + 0.5*sin(0.01*i), NCHW [2,3,64,64]"}
    with torch.no_grad():
        model.eval()
        decoded, maps = run(model, froms, x)
        result["eval_decoded_shape"] = list(decoded.shape)
        result["eval_decoded_sum"] = decoded.double().sum().item()
        result["eval_decoded_abs_sum"] = decoded.double().abs().sum().item()
        result["eval_decoded_rows"] = {str(r): decoded[1, r].tolist() for r in (0, 7, 100, 200, 251)}
        model.train()
        maps = run(model, froms, x)
        result["train_map_sums"] = [m.double().sum().item() for m in maps]
        result["train_map_abs_sums"] = [m.double().abs().sum().item() for m in maps]
        result["train_map_samples"] = [m[1, 2, 1, 1, :8].tolist() for m in maps]
        result["running_mean_model_23_cv3_bn"] = model[23].cv3.bn.running_mean[:8].tolist()
    with open(OUT, "w") as f:
        json.dump(result, f, indent=1)
    print("wrote", OUT, "params", sum(p.numel() for p in model.parameters()))


if __name__ == "__main__":
    main()
