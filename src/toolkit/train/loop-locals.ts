import * as tf from "@tensorflow/tfjs";
import { disposeBatchTensors, tensorsIn } from "./batch-tensors";

/**
 * What yolov5's train.py still references while `val.run(...)` runs at the end of an epoch:
 * the loop's locals `imgs` and `targets` (the last batch), `pred` (the last forward's maps),
 * `loss` and `loss_items`. Python frees each when the next iteration rebinds the name, so
 * each is kept here until its replacement exists, and after the run until `dispose()` (so
 * the memory they pin can be measured, as notebook 04 does). Gradients are not kept:
 * `optimizer.zero_grad()` drops them after each step.
 */
export class LoopLocals {
  private batch: unknown;
  private pred: tf.Tensor[] = [];
  private loss: tf.Tensor[] = [];

  /** `for i, (imgs, targets, ...) in pbar`: the new batch replaces the old one. */
  batchArrived(batch: unknown): void {
    disposeBatchTensors(this.batch);
    this.batch = batch;
  }

  /** `pred = model(imgs)`: the old maps go when the new ones are assigned. */
  predicted(output: unknown): void {
    tf.dispose(this.pred);
    this.pred = tensorsIn(output).map((t) => tf.keep(t));
  }

  /**
   * `loss, loss_items = compute_loss(pred, targets)`: the loss (a clone shares its buffer, so
   * the very block stays alive) and, as ComputeLoss's `torch.cat((lbox, lobj, lcls)).detach()`,
   * the named parts in one tensor of their own.
   */
  lossComputed(loss: tf.Tensor, items: tf.Tensor[]): void {
    tf.dispose(this.loss);
    this.loss = [tf.keep(loss.clone())];
    if (items.length) this.loss.push(tf.keep(tf.tidy(() => tf.concat(items.map((t) => tf.reshape(t, [-1]))))));
  }

  /** Frees everything kept, the last batch included. */
  dispose(): void {
    disposeBatchTensors(this.batch);
    this.batch = undefined;
    tf.dispose([...this.pred, ...this.loss]);
    this.pred = [];
    this.loss = [];
  }
}
