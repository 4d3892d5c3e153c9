import { Heap } from './heap.js';

/** One result recorded in a rung: the trial, its value and its arrival order (ties rank the earlier first). */
export interface RungEntry {
  /** The trial's id (its configuration's index). */
  id: number;
  /** The objective value (lower is better). */
  value: number;
  /** Arrival order among the rung's results. */
  order: number;
  /** Whether it is in the rung's top `max(1, floor(n / eta))`. */
  inTop: boolean;
  /** Whether it was promoted (or continued) to the next rung. */
  promoted: boolean;
}

const better = (a: RungEntry, b: RungEntry) => a.value < b.value || (a.value === b.value && a.order < b.order);
const worse = (a: RungEntry, b: RungEntry) => better(b, a);

/**
 * A rung of ASHA (Li et al. 2020) kept incrementally: its results split into the top
 * `k = max(1, floor(n / eta))` (a heap whose root is the worst of them) and the rest (a heap whose
 * root is the best of them), so adding a result moves at most a few entries between the two, and
 * the best top entry not yet promoted is found through a third heap with lazy deletion. Each
 * operation costs O(log n), where sorting the rung at every ask cost O(n log n).
 */
export class AshaRung {
  private readonly ids = new Set<number>();
  private readonly top = new Heap<RungEntry>(worse);
  private readonly rest = new Heap<RungEntry>(better);
  private readonly candidates = new Heap<RungEntry>(better);
  private n = 0;
  constructor(private readonly eta: number) {}

  /** Whether trial `id` has a result here (each trial is recorded once per rung). */
  has(id: number): boolean {
    return this.ids.has(id);
  }

  /** Records trial `id`'s value; returns its entry (with `inTop` set). */
  add(id: number, value: number): RungEntry {
    const e: RungEntry = { id, value, order: this.n++, inTop: false, promoted: false };
    this.ids.add(id);
    const worstTop = this.top.peek();
    if (worstTop !== undefined && better(e, worstTop)) this.enterTop(e);
    else this.rest.push(e);
    const k = Math.max(1, Math.floor(this.n / this.eta));
    while (this.top.size > k) {
      const x = this.top.pop() as RungEntry;
      x.inTop = false;
      this.rest.push(x);
    }
    while (this.top.size < k && this.rest.size > 0) this.enterTop(this.rest.pop() as RungEntry);
    return e;
  }

  /** The best entry of the top not yet promoted, or undefined. */
  promotable(): RungEntry | undefined {
    for (let c = this.candidates.peek(); c !== undefined; c = this.candidates.peek()) {
      if (c.inTop && !c.promoted) return c;
      this.candidates.pop();
    }
    return undefined;
  }

  private enterTop(e: RungEntry): void {
    e.inTop = true;
    this.top.push(e);
    if (!e.promoted) this.candidates.push(e);
  }
}
