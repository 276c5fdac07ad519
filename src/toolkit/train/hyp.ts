/**
 * YOLOv5's hyper-parameter table, the one place the trainer's defaults live: the names and
 * values of data/hyps/hyp.scratch-low.yaml (v7.0), so a run's hyp.yaml (`lab.runs.load(...).hyp`)
 * can be passed as it is. The trainer reads the optimizer and warm-up rows; ComputeLoss's
 * `hyp` takes the loss rows by the same names (box, cls, obj, ..., as train.py passes its one
 * `hyp` dict to both). The augmentation rows complete the table.
 */
const SCRATCH_LOW = {
  lr0: 0.01, // learning rate at epoch 0
  lrf: 0.01, // final learning rate, as a fraction of lr0
  momentum: 0.937, // SGD momentum, or Adam's beta1
  weight_decay: 0.0005, // L2 penalty, scaled by train.py to the effective batch
  warmup_epochs: 3.0, // length of the warm-up (may be fractional)
  warmup_momentum: 0.8, // momentum at the start of the warm-up
  warmup_bias_lr: 0.1, // bias group's learning rate at the start of the warm-up
  box: 0.05, // gain of the box (CIoU) loss
  cls: 0.5, // gain of the class loss
  cls_pw: 1.0, // positive weight of the class BCE
  obj: 1.0, // gain of the objectness loss
  obj_pw: 1.0, // positive weight of the objectness BCE
  iou_t: 0.2, // IoU threshold for training targets
  anchor_t: 4.0, // largest target/anchor size ratio that still matches
  fl_gamma: 0.0, // focal loss gamma; 0 turns focal loss off
  hsv_h: 0.015, // hue jitter, fraction
  hsv_s: 0.7, // saturation jitter, fraction
  hsv_v: 0.4, // value jitter, fraction
  degrees: 0.0, // rotation range, degrees
  translate: 0.1, // translation range, fraction of the image
  scale: 0.5, // scale range, gain
  shear: 0.0, // shear range, degrees
  perspective: 0.0, // perspective range, fraction
  flipud: 0.0, // probability of a vertical flip
  fliplr: 0.5, // probability of a horizontal flip
  mosaic: 1.0, // probability of a mosaic
  mixup: 0.0, // probability of mixup
  copy_paste: 0.0, // probability of segment copy-paste
};

export type HypName = keyof typeof SCRATCH_LOW;
export type Hyp = Record<HypName, number>;
export const HYP_DEFAULTS: Readonly<Hyp> = Object.freeze(SCRATCH_LOW);

/** train.py's nominal batch size (`nbs = 64`): a constant of train.py, not a hyp. */
export const NOMINAL_BATCH_SIZE = 64;

/** train.py's floor on the warm-up length (`nw = max(round(warmup_epochs * nb), 100)`): also a constant, not a hyp. */
export const MIN_WARMUP_ITERATIONS = 100;

/**
 * The trainer's camelCase options and the hyp each one sets. These names keep working;
 * `hyp: { ... }` takes the YOLOv5 names directly.
 */
export const HYP_OPTION_NAMES = Object.freeze({
  lr0: "lr0",
  lrf: "lrf",
  momentum: "momentum",
  weightDecay: "weight_decay",
  warmupEpochs: "warmup_epochs",
  warmupMomentum: "warmup_momentum",
  warmupBiasLr: "warmup_bias_lr",
} as const satisfies Record<string, HypName>);

export type HypOptionName = keyof typeof HYP_OPTION_NAMES;

/**
 * The full table for one run: HYP_DEFAULTS, then `hyp` (YOLOv5 names), then the camelCase
 * options. Unknown names, values that are not finite numbers, and an option that contradicts
 * `hyp` are errors that say which name and what to do.
 */
export function resolveHyp(
  hyp: Partial<Record<string, unknown>> = {},
  options: Partial<Record<HypOptionName, number | undefined>> = {},
): Hyp {
  const out: Hyp = { ...HYP_DEFAULTS };
  for (const [name, value] of Object.entries(hyp)) {
    if (value === undefined) continue;
    if (!(name in HYP_DEFAULTS)) {
      const alias = (HYP_OPTION_NAMES as Record<string, string>)[name];
      throw new TypeError(
        `hyp: unknown name '${name}'${alias && alias !== name ? `: the hyp name is '${alias}'` : ""}; ` +
          `the names are those of YOLOv5's hyp.scratch-low.yaml (${Object.keys(HYP_DEFAULTS).join(", ")})`,
      );
    }
    out[name as HypName] = checkedNumber(`hyp.${name}`, value);
  }
  for (const [option, name] of Object.entries(HYP_OPTION_NAMES) as [HypOptionName, HypName][]) {
    const value = options[option];
    if (value === undefined) continue;
    const v = checkedNumber(option, value);
    if (hyp[name] !== undefined && out[name] !== v)
      throw new TypeError(
        `${option}: ${v} contradicts hyp.${name}: ${out[name]}; give the value once (${option} is the same setting as hyp.${name})`,
      );
    out[name] = v;
  }
  return out;
}

function checkedNumber(name: string, value: unknown): number {
  if (typeof value !== "number" || !Number.isFinite(value))
    throw new TypeError(
      `${name} must be a finite number, got ${typeof value === "number" ? value : (JSON.stringify(value) ?? String(value))}`,
    );
  return value;
}
