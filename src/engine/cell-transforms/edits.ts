// The one place where a cell's transforms change its text. Each transform records edits
// against positions of the one parsed tree; all of them are applied together, once. Edits
// must not overlap: two transforms that both rewrite the same text would silently corrupt
// the cell, so that throws instead (a bug in a transform, never in the user's code).

interface Edit {
  start: number;
  end: number;
  text: string;
  /** Among insertions at one position: lower comes first in the text. */
  order: number;
  /** Who asked for it, for the overlap error. */
  by: string;
  seq: number;
}

/** `order` for text that must enclose everything else inserted at its position. */
export const OUTERMOST_OPEN = -100;
export const OUTERMOST_CLOSE = 100;

export class CellEdits {
  private readonly edits: Edit[] = [];

  /** `by`: the transform recording these edits (named in the overlap error). */
  constructor(private by = "cell transform") {}

  /** Names the transform whose edits follow. */
  forTransform(name: string): this {
    this.by = name;
    return this;
  }

  replace(start: number, end: number, text: string): void {
    if (end < start) throw new Error(`${this.by}: edit [${start}, ${end}) ends before it starts`);
    this.edits.push({ start, end, text, order: 0, by: this.by, seq: this.edits.length });
  }

  /**
   * Inserts `text` at `pos`. Several insertions at one position are ordered by `order`
   * (lower first), then by when they were recorded; an insertion at the start of a
   * replaced range goes before it, one at its end after it.
   */
  insert(pos: number, text: string, order = 0): void {
    this.edits.push({ start: pos, end: pos, text, order, by: this.by, seq: this.edits.length });
  }

  get size(): number {
    return this.edits.length;
  }

  /** The text with every edit applied. */
  apply(text: string): string {
    if (this.edits.length === 0) return text;
    const sorted = [...this.edits].sort(
      (a, b) => a.start - b.start || a.end - a.start - (b.end - b.start) || a.order - b.order || a.seq - b.seq,
    );
    const pieces: string[] = [];
    let at = 0;
    let previous: Edit | undefined;
    for (const e of sorted) {
      if (e.start < at || e.end > text.length) {
        const other = previous ? `${previous.by}'s [${previous.start}, ${previous.end})` : `the end of the text (${text.length})`;
        throw new Error(`cell transforms overlap: ${e.by}'s edit [${e.start}, ${e.end}) meets ${other}`);
      }
      pieces.push(text.slice(at, e.start), e.text);
      at = e.end;
      previous = e;
    }
    pieces.push(text.slice(at));
    return pieces.join("");
  }
}
