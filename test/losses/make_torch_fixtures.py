#!/usr/bin/python3
"""Regenerates the PyTorch-computed fixtures the loss tests compare against.

Run with Debian's PyTorch (python3-torch), from the repository root:

    /usr/bin/python3 test/losses/make_torch_fixtures.py

It writes
  test/fixtures/torch-error-texts.json   the exception name and text PyTorch raises
                                         for each mistake the losses reproduce
  test/fixtures/torch-loss-values.json   cross-entropy, multi-label and distillation
                                         values computed by PyTorch from fixed inputs

The multi-label loss is PaddleClas's (ppcls/loss/multilabelloss.py) written line by
line in PyTorch (Paddle's binary_cross_entropy_with_logits and label_smooth compute
the same formulas), in its fixed form (PR #3226) and its 2.5.2 form (PR #2973).
"""
import json
import os
import sys
import warnings

import torch
import torch.nn.functional as F

warnings.filterwarnings("ignore")
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FIXTURES = os.path.join(ROOT, "test", "fixtures")


def raised(fn):
    try:
        fn()
    except Exception as e:  # noqa: BLE001 - we record whatever torch raises
        return {"name": type(e).__name__, "message": str(e)}
    return None


def error_texts():
    g = torch.Generator().manual_seed(0)
    r = lambda *s: torch.randn(*s, generator=g)
    cases = {
        # case 1: long targets of another batch, one-hot targets of another batch,
        # a flattened [32,2] one-hot, and float class ids
        "ce_batch_mismatch_long": lambda: F.cross_entropy(r(32, 10), torch.randint(0, 10, (64,), generator=g)),
        "ce_batch_mismatch_prob": lambda: F.cross_entropy(r(32, 10), torch.rand(64, 10, generator=g)),
        "ce_batch_mismatch_flat_onehot": lambda: F.cross_entropy(r(32, 2), F.one_hot(torch.randint(0, 2, (32,), generator=g), 2).float().view(-1)),
        "ce_batch_mismatch_smoothing": lambda: F.cross_entropy(r(32, 10), torch.randint(0, 10, (64,), generator=g), label_smoothing=0.1),
        "ce_float_class_ids": lambda: F.cross_entropy(r(32, 10), torch.rand(32, generator=g)),
        "ce_float_class_ids_smoothing": lambda: F.cross_entropy(r(32, 10), torch.rand(32, generator=g), label_smoothing=0.1),
        "ce_bool_class_ids": lambda: F.cross_entropy(r(32, 10), torch.ones(32, dtype=torch.bool)),
        "ce_target_out_of_bounds": lambda: F.cross_entropy(r(32, 10), torch.full((32,), 12)),
        "ce_target_negative": lambda: F.cross_entropy(r(32, 10), torch.full((32,), -3)),
        "ce_multi_target": lambda: F.cross_entropy(r(32, 10), torch.rand(32, 2, generator=g)),
        "ce_prob_target_not_float": lambda: F.cross_entropy(r(32, 10), torch.randint(0, 2, (32, 10), generator=g)),
        "ce_label_smoothing_range": lambda: F.cross_entropy(r(32, 10), torch.randint(0, 10, (32,), generator=g), label_smoothing=1.5),
        "ce_weight_shape_ids": lambda: F.cross_entropy(r(32, 10), torch.randint(0, 10, (32,), generator=g), weight=torch.ones(5)),
        "ce_weight_shape_prob": lambda: F.cross_entropy(r(32, 10), torch.rand(32, 10, generator=g), weight=torch.ones(5)),
        "ce_bad_reduction": lambda: F.cross_entropy(r(32, 10), torch.randint(0, 10, (32,), generator=g), reduction="avg"),
        # case 3: student and teacher rows that do not line up (640x640 vs 384x640)
        "elementwise_rows_mismatch": lambda: torch.sigmoid(r(1, 25200, 85)) - torch.sigmoid(r(1, 15120, 85)),
        "elementwise_no_mismatch": lambda: torch.sigmoid(r(1, 25200, 85)) - torch.sigmoid(r(1, 15120, 133)),
        "elementwise_batch_mismatch": lambda: r(2, 25200, 85) - r(3, 25200, 85),
        # case 5: PyTorch's wording for the same indexing mistake PaddleClas 2.5.2 makes
        "index_2d_with_3_indices": lambda: r(64, 33)[:, 0, :],
    }
    out = {k: raised(fn) for k, fn in cases.items()}
    missing = [k for k, v in out.items() if v is None]
    if missing:
        sys.exit(f"expected an error but none was raised: {missing}")
    # label smoothing below zero is accepted by this torch (only > 1 is checked)
    out["_ce_negative_smoothing_accepted"] = raised(lambda: F.cross_entropy(r(4, 3), torch.tensor([0, 1, 2, 0]), label_smoothing=-0.1)) is None
    return out


def t(x):
    return x.detach().to(torch.float64).reshape(-1).tolist() if x.dim() else float(x)


def cross_entropy_values():
    g = torch.Generator().manual_seed(1)
    B, C = 6, 5
    logits = (torch.randn(B, C, generator=g) * 2).float()
    ids = torch.tensor([0, 4, 2, 2, 1, 3])
    ids_ignored = torch.tensor([0, -100, 2, 2, -100, 3])
    probs = torch.softmax(torch.randn(B, C, generator=g), 1).float()
    weight = torch.tensor([0.5, 1.0, 2.0, 1.5, 0.25])
    L = logits.double()
    cases = []

    def add(name, target, **kw):
        tt = target if target.dtype == torch.long else target.double()
        kw2 = {k: (v.double() if isinstance(v, torch.Tensor) else v) for k, v in kw.items()}
        val = F.cross_entropy(L, tt, **kw2)
        kw_json = {k: (t(v) if isinstance(v, torch.Tensor) else v) for k, v in kw.items()}
        cases.append({"name": name, "target": t(target) if target.dtype != torch.long else target.tolist(),
                      "target_kind": "ids" if target.dtype == torch.long else "probs",
                      "options": kw_json, "expected": t(val)})

    for red in ("mean", "sum", "none"):
        add(f"ids_{red}", ids, reduction=red)
        add(f"ids_smooth_{red}", ids, label_smoothing=0.1, reduction=red)
        add(f"ids_weight_smooth_{red}", ids, weight=weight, label_smoothing=0.2, reduction=red)
        add(f"probs_{red}", probs, reduction=red)
        add(f"probs_smooth_weight_{red}", probs, weight=weight, label_smoothing=0.1, reduction=red)
        add(f"ids_ignored_smooth_{red}", ids_ignored, label_smoothing=0.1, reduction=red)
        add(f"ids_ignored_weight_{red}", ids_ignored, weight=weight, reduction=red)
    add("ids_weight_mean", ids, weight=weight)
    # the smoothed one-hot written by hand equals label_smoothing on class ids (case 1's fix)
    onehot = F.one_hot(ids, C).float()
    add("onehot_smoothed_by_hand", onehot * 0.9 + 0.1 / C)
    return {"logits": t(logits), "shape": [B, C], "cases": cases}


# ---- PaddleClas MultiLabelLoss, in torch -------------------------------------------
def ratio2weight(targets, ratio):
    pos_weights = targets * (1.0 - ratio)
    neg_weights = (1.0 - targets) * ratio
    weights = torch.exp(neg_weights + pos_weights)
    weights = weights - weights * (targets > 1).to(weights.dtype)
    return weights


def multilabel_loss(x, target, epsilon=None, size_sum=False, weight_ratio=False, version="fixed"):
    if epsilon is not None and (epsilon <= 0 or epsilon >= 1):
        epsilon = None
    class_num = x.shape[-1]
    if weight_ratio:
        target, label_ratio = target[:, 0, :], target[:, 1, :]
    elif version == "2.5.2" or target.ndim == 3:
        target = target[:, 0, :]
    if epsilon is not None:
        target = (1 - epsilon) * target + epsilon / class_num
    cost = F.binary_cross_entropy_with_logits(x, target, reduction="none")
    if weight_ratio:
        targets_mask = (target > 0.5).to(x.dtype)
        weight = ratio2weight(targets_mask, label_ratio)
        weight = weight * (target > -1).to(weight.dtype)
        cost = cost * weight
    if size_sum:
        cost = cost.sum(1).mean()
    return cost.mean()


def multilabel_values():
    g = torch.Generator().manual_seed(2)
    B, C = 4, 6
    x = torch.randn(B, C, generator=g).double()
    y = (torch.rand(B, C, generator=g) > 0.6).double()
    y[0, 1] = -1.0  # an ignored label (<= -1) for the weight_ratio path
    y[1, 2] = 2.0   # a RAP-style label > 1
    ratio = torch.rand(B, C, generator=g).double() * 0.5
    y01 = y.clamp(0, 1)
    cases = []

    def add(name, target, **kw):
        cases.append({"name": name, "target": target.tolist(), "options": kw,
                      "expected": float(multilabel_loss(x, target, **kw))})

    add("plain_2d", y01)
    add("plain_3d", y01[:, None, :])
    add("eps", y01, epsilon=0.1)
    add("eps_out_of_range_ignored", y01, epsilon=1.0)
    add("size_sum", y01, size_sum=True)
    add("eps_size_sum", y01, epsilon=0.2, size_sum=True)
    add("weight_ratio", torch.stack([y, ratio], 1), weight_ratio=True)
    add("weight_ratio_eps_size_sum", torch.stack([y, ratio], 1), weight_ratio=True, epsilon=0.1, size_sum=True)
    add("v252_3d", y01[:, None, :], version="2.5.2")
    return {"logits": x.reshape(-1).tolist(), "shape": [B, C], "cases": cases}


# ---- distillation on flattened detector maps ----------------------------------------
def flatten_maps(maps):
    return torch.cat([m.reshape(m.shape[0], -1, m.shape[-1]) for m in maps], 1)


def distill(student, teacher, activation, kind, temperature=1.0):
    s, tt = flatten_maps(student) / temperature, flatten_maps(teacher) / temperature
    if activation == "sigmoid":
        ps, pt = torch.sigmoid(s), torch.sigmoid(tt)
        if kind == "bce":
            loss = F.binary_cross_entropy(ps, pt)
        else:  # Bernoulli KL(teacher || student) per element, mean
            loss = (pt * (torch.log(pt) - torch.log(ps)) + (1 - pt) * (torch.log(1 - pt) - torch.log(1 - ps))).mean()
    else:
        ps, pt = torch.softmax(s, -1), torch.softmax(tt, -1)
        if kind == "bce":
            loss = F.binary_cross_entropy(ps, pt)
        else:  # categorical KL(teacher || student) over the last axis, mean over rows
            loss = (pt * (torch.log(pt) - torch.log(ps))).sum(-1).mean()
    return loss * temperature ** 2


def distillation_values():
    g = torch.Generator().manual_seed(3)
    bs, no = 2, 7
    shapes = [(bs, 3, 4, 4, no), (bs, 3, 2, 2, no), (bs, 3, 1, 1, no)]
    student = [torch.randn(*s, generator=g).double() for s in shapes]
    teacher = [torch.randn(*s, generator=g).double() for s in shapes]
    cases = []
    for act in ("sigmoid", "softmax"):
        for kind in ("bce", "kl"):
            for temp in (1.0, 2.0):
                cases.append({"activation": act, "kind": kind, "temperature": temp,
                              "expected": float(distill(student, teacher, act, kind, temp))})
    return {"shapes": shapes, "student": [t(m) for m in student], "teacher": [t(m) for m in teacher], "cases": cases}


def main():
    meta = {"generator": "test/losses/make_torch_fixtures.py", "torch": torch.__version__}
    errors = {"_meta": meta, **error_texts()}
    values = {"_meta": meta, "cross_entropy": cross_entropy_values(),
              "multilabel": multilabel_values(), "distillation": distillation_values()}
    with open(os.path.join(FIXTURES, "torch-error-texts.json"), "w") as f:
        json.dump(errors, f, indent=1)
        f.write("\n")
    with open(os.path.join(FIXTURES, "torch-loss-values.json"), "w") as f:
        json.dump(values, f)
        f.write("\n")
    print("wrote torch-error-texts.json and torch-loss-values.json with torch", torch.__version__)


if __name__ == "__main__":
    main()
