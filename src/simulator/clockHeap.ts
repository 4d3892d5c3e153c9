/**
 * A binary min-heap of worker indices ordered by `(clock, index)`, stored as two plain arrays
 * (JSON-serializable, so it can live in a state file shared by processes). The simulator asks it
 * which worker moves next in O(1) and updates a worker's clock in O(log n), so the number of
 * workers does not slow down each step.
 * @module
 */

/** The heap: `order[0]` is the worker with the smallest `(clock, index)`; `position[w]` is w's slot in `order`. */
export interface ClockHeap {
  /** Worker indices in heap order. */
  order: number[];
  /** Inverse of `order`. */
  position: number[];
}

/** The heap of `n` workers whose clocks are all equal (so in index order). */
export function clockHeap(n: number): ClockHeap {
  const order = Array.from({ length: n }, (_v, i) => i);
  return { order, position: [...order] };
}

const before = (clocks: readonly number[], a: number, b: number) => {
  const ca = clocks[a] as number;
  const cb = clocks[b] as number;
  return ca < cb || (ca === cb && a < b);
};

function swap(h: ClockHeap, i: number, j: number): void {
  const a = h.order[i] as number;
  const b = h.order[j] as number;
  h.order[i] = b;
  h.order[j] = a;
  h.position[b] = i;
  h.position[a] = j;
}

/** Restores the heap after worker `w`'s clock increased (clocks only move forward). */
export function clockIncreased(h: ClockHeap, clocks: readonly number[], w: number): void {
  let i = h.position[w] as number;
  const n = h.order.length;
  for (;;) {
    const l = 2 * i + 1;
    const r = l + 1;
    let m = i;
    if (l < n && before(clocks, h.order[l] as number, h.order[m] as number)) m = l;
    if (r < n && before(clocks, h.order[r] as number, h.order[m] as number)) m = r;
    if (m === i) return;
    swap(h, i, m);
    i = m;
  }
}

/** Restores the heap after worker `w`'s clock changed either way. */
export function clockChanged(h: ClockHeap, clocks: readonly number[], w: number): void {
  let i = h.position[w] as number;
  while (i > 0) {
    const p = (i - 1) >> 1;
    if (!before(clocks, h.order[i] as number, h.order[p] as number)) break;
    swap(h, i, p);
    i = p;
  }
  clockIncreased(h, clocks, w);
}

/** The worker with the smallest `(clock, index)`. */
export const earliestWorker = (h: ClockHeap): number => h.order[0] as number;
