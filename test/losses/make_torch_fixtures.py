#!/usr/bin/python3
"""Regenerates the PyTorch-computed fixtures the loss tests compare against.

Run with Debian's PyTorch (python3-torch), from the repository root:

    /usr/bin/python3 test/losses/make_torch_fixtures.py

It writes
  test/fixtures/torch-error-texts.json   the exception name and text PyTorch raises
                                         for each mistake the losses reproduce
  test/fixtures/torch-loss-values.json   cross-entropy, multi-label and distillation
                                         values computed by PyTorch from fixed inputs, and
                                         yolov5 ComputeLoss on the reference maps with the
                                         focal / smoothing / pos_weight paths switched on

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


# ---- yolov5 v7.0 ComputeLoss, written out in torch ---------------------------------
# Used to extend the reference cases A and B (produced by yolov5 itself) to the paths
# they do not exercise: FocalLoss (fl_gamma > 0), smooth_BCE (label_smoothing > 0) and
# pos_weight. The port must first reproduce A and B to 1e-5 before it writes anything.
def bbox_ciou(box1, box2, eps=1e-7):
    (x1, y1, w1, h1), (x2, y2, w2, h2) = box1.chunk(4, -1), box2.chunk(4, -1)
    b1_x1, b1_x2, b1_y1, b1_y2 = x1 - w1 / 2, x1 + w1 / 2, y1 - h1 / 2, y1 + h1 / 2
    b2_x1, b2_x2, b2_y1, b2_y2 = x2 - w2 / 2, x2 + w2 / 2, y2 - h2 / 2, y2 + h2 / 2
    inter = (torch.min(b1_x2, b2_x2) - torch.max(b1_x1, b2_x1)).clamp(0) * \
            (torch.min(b1_y2, b2_y2) - torch.max(b1_y1, b2_y1)).clamp(0)
    iou = inter / (w1 * h1 + w2 * h2 - inter + eps)
    cw = torch.max(b1_x2, b2_x2) - torch.min(b1_x1, b2_x1)
    ch = torch.max(b1_y2, b2_y2) - torch.min(b1_y1, b2_y1)
    c2 = cw ** 2 + ch ** 2 + eps
    rho2 = ((b2_x1 + b2_x2 - b1_x1 - b1_x2) ** 2 + (b2_y1 + b2_y2 - b1_y1 - b1_y2) ** 2) / 4
    v = (4 / torch.pi ** 2) * torch.pow(torch.atan(w2 / h2) - torch.atan(w1 / h1), 2)
    with torch.no_grad():
        alpha = v / (v - iou + (1 + eps))
    return iou - (rho2 / c2 + v * alpha)


def focal(bce, pred, true, gamma, alpha=0.25):
    def f(x, y):
        loss = bce(x, y)
        p = torch.sigmoid(x)
        p_t = y * p + (1 - y) * (1 - p)
        return (loss * (y * alpha + (1 - y) * (1 - alpha)) * (1.0 - p_t) ** gamma).mean()
    return f(pred, true)


def yolo_loss(preds, targets, nc, anchors_px, strides, hyp):
    na, nl = 3, len(preds)
    anchors = [torch.tensor(a, dtype=torch.float32) / s for a, s in zip(anchors_px, strides)]
    bce_cls = torch.nn.BCEWithLogitsLoss(pos_weight=torch.tensor([hyp["cls_pw"]]), reduction="none")
    bce_obj = torch.nn.BCEWithLogitsLoss(pos_weight=torch.tensor([hyp["obj_pw"]]), reduction="none")
    g = hyp["fl_gamma"]
    cls_loss = (lambda x, y: focal(bce_cls, x, y, g)) if g > 0 else (lambda x, y: bce_cls(x, y).mean())
    obj_loss = (lambda x, y: focal(bce_obj, x, y, g)) if g > 0 else (lambda x, y: bce_obj(x, y).mean())
    eps = hyp["label_smoothing"]
    cp, cn = 1.0 - 0.5 * eps, 0.5 * eps
    balance = [4.0, 1.0, 0.4]
    nt = targets.shape[0]
    gain = torch.ones(7)
    ai = torch.arange(na).float().view(na, 1).repeat(1, nt)
    tt = torch.cat((targets.repeat(na, 1, 1), ai[..., None]), 2)
    gg = 0.5
    off = torch.tensor([[0, 0], [1, 0], [0, 1], [-1, 0], [0, -1]]).float() * gg
    lbox, lobj, lcls = torch.zeros(1), torch.zeros(1), torch.zeros(1)
    for i, pi in enumerate(preds):
        shape = pi.shape
        gain[2:6] = torch.tensor(shape)[[3, 2, 3, 2]]
        t = tt * gain
        r = t[..., 4:6] / anchors[i][:, None]
        j = torch.max(r, 1 / r).max(2)[0] < hyp["anchor_t"]
        t = t[j]
        gxy = t[:, 2:4]
        gxi = gain[[2, 3]] - gxy
        j, k = ((gxy % 1 < gg) & (gxy > 1)).T
        l, m = ((gxi % 1 < gg) & (gxi > 1)).T
        j = torch.stack((torch.ones_like(j), j, k, l, m))
        t = t.repeat((5, 1, 1))[j]
        offsets = (torch.zeros_like(gxy)[None] + off[:, None])[j]
        bc, gxy, gwh, a = t.chunk(4, 1)
        a, (b, c) = a.long().view(-1), bc.long().T
        gij = (gxy - offsets).long()
        gi, gj = gij.T
        gj.clamp_(0, shape[2] - 1)
        gi.clamp_(0, shape[3] - 1)
        tbox = torch.cat((gxy - gij, gwh), 1)
        anch = anchors[i][a]
        tobj = torch.zeros(pi.shape[:4])
        n = b.shape[0]
        if n:
            pxy, pwh, _, pcls = pi[b, a, gj, gi].split((2, 2, 1, nc), 1)
            pbox = torch.cat((pxy.sigmoid() * 2 - 0.5, (pwh.sigmoid() * 2) ** 2 * anch), 1)
            iou = bbox_ciou(pbox, tbox).squeeze()
            lbox += (1.0 - iou).mean()
            tobj[b, a, gj, gi] = iou.detach().clamp(0).type(tobj.dtype)
            if nc > 1:
                tc = torch.full_like(pcls, cn)
                tc[range(n), c] = cp
                lcls += cls_loss(pcls, tc)
        lobj += obj_loss(pi[..., 4], tobj) * balance[i]
    lbox, lobj, lcls = lbox * hyp["box"], lobj * hyp["obj"], lcls * hyp["cls"]
    bs = preds[0].shape[0]
    return float((lbox + lobj + lcls) * bs), [float(lbox), float(lobj), float(lcls)]


def yolo_extra_cases():
    with open(os.path.join(FIXTURES, "yolov5-v7.0-loss-and-decode.json")) as f:
        ref = json.load(f)
    args = lambda c, hyp: ([torch.tensor(p) for p in c["preds"]], torch.tensor(c["targets"]), c["nc"],
                           c["anchors_px"], c["strides"], hyp)
    for name in ("A", "B"):  # the port must agree with yolov5's own figures first
        total, items = yolo_loss(*args(ref[name], ref[name]["hyp"]))
        if abs(total - ref[name]["loss_total_times_bs"]) > 1e-5 * abs(ref[name]["loss_total_times_bs"]):
            sys.exit(f"the torch port of ComputeLoss disagrees with yolov5 on case {name}: {total}")
    out = []
    for base, changes in (("A", {"fl_gamma": 1.5, "label_smoothing": 0.1}),
                          ("B", {"fl_gamma": 2.0, "cls_pw": 1.5, "obj_pw": 0.8}),
                          ("A", {"label_smoothing": 0.2, "anchor_t": 2.9})):
        hyp = {**ref[base]["hyp"], **changes}
        total, items = yolo_loss(*args(ref[base], hyp))
        out.append({"base_case": base, "hyp": hyp, "loss_total_times_bs": total, "loss_items_box_obj_cls": items})
    return out


def main():
    meta = {"generator": "test/losses/make_torch_fixtures.py", "torch": torch.__version__}
    errors = {"_meta": meta, **error_texts()}
    values = {"_meta": meta, "cross_entropy": cross_entropy_values(),
              "multilabel": multilabel_values(), "distillation": distillation_values(),
              "yolov5_compute_loss_extra": yolo_extra_cases()}
    with open(os.path.join(FIXTURES, "torch-error-texts.json"), "w") as f:
        json.dump(errors, f, indent=1)
        f.write("\n")
    with open(os.path.join(FIXTURES, "torch-loss-values.json"), "w") as f:
        json.dump(values, f)
        f.write("\n")
    print("wrote torch-error-texts.json and torch-loss-values.json with torch", torch.__version__)


if __name__ == "__main__":
    main()
