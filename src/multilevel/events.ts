/**
 * What an {@link Engine} reports while it runs, as a discriminated union on `type`. Subscribe with
 * `engine.on(type, listener)`; the JSON-lines logger and the CLI's progress bar are listeners.
 * Listeners run synchronously, in subscription order. Events come in the order things happened,
 * but late: an update's loss stays on the device until the engine reads it with the others (at the
 * next top-level update, every `config.readEvery` updates, and at validation, checkpoints and the end of a run;
 * see `UnreadLosses`), and the `step`, `skip` and `iteration` events queued meanwhile are emitted
 * then. A top-level problem's `step` event comes right after its update.
 */
export type EngineEvent =
  /** A problem made an optimizer update. */
  | StepEvent
  /** A problem skipped an update whose loss or gradient was not finite (mixed precision). */
  | SkipEvent
  /** `validation()` ran. */
  | ValidationEvent
  /** An iteration of `run()` ended (every leaf stepped once, and the parents that became ready). */
  | IterationEvent;

/**
 * A problem made an optimizer update. A deferred problem's updates (plain `unrolled` below a
 * parent: recorded, then computed inside the parent's objective) are not computed when they are
 * drawn, so they have no loss to report and emit no `step` event.
 */
export interface StepEvent {
  /** Discriminant. */
  type: 'step';
  /** The iteration of `run()` (0 outside `run`, e.g. in `stepOnly`). */
  iteration: number;
  /** The problem. */
  problem: string;
  /** Its update count after this update. */
  step: number;
  /** The update's loss (mean over its micro-batches). */
  loss: number;
  /** The training step's metrics (read only while a `step` listener is subscribed). */
  metrics: Record<string, number>;
}

/** A problem skipped an update (mixed precision: Inf or NaN in its loss or gradient). */
export interface SkipEvent {
  /** Discriminant. */
  type: 'skip';
  /** The iteration of `run()`. */
  iteration: number;
  /** The problem. */
  problem: string;
  /** Its update count (unchanged by the skip). */
  step: number;
  /** The loss scale after backing off, or null without loss scaling. */
  lossScale: number | null;
}

/** `validation()` ran after an iteration. */
export interface ValidationEvent {
  /** Discriminant. */
  type: 'validation';
  /** The iteration after which it ran. */
  iteration: number;
  /** What it returned. */
  metrics: Record<string, number>;
}

/** An iteration of `run()` ended. */
export interface IterationEvent {
  /** Discriminant. */
  type: 'iteration';
  /** The iteration (1-based). */
  iteration: number;
  /** The iterations of this `run()`. */
  total: number;
  /** The latest loss of every problem that has updated. */
  losses: Readonly<Record<string, number>>;
}

/** Something with a discriminant `type`. */
export interface Typed<T extends string> {
  /** Discriminant. */
  type: T;
}

/** The event of a given `type`. */
export type EventOf<T extends EngineEvent['type']> = Extract<EngineEvent, Typed<T>>;

/** A listener of events of type `T`. */
export type Listener<T extends EngineEvent['type']> = (event: EventOf<T>) => void;

/**
 * A typed event emitter for {@link EngineEvent}s: `on(type, listener)` returns a function that
 * unsubscribes. Emitting an event type nobody listens to costs one map lookup.
 */
export class EngineEvents {
  private readonly listeners = new Map<EngineEvent['type'], Set<(e: EngineEvent) => void>>();

  /** Subscribes `listener` to events of `type`; returns the unsubscribe function. */
  on<T extends EngineEvent['type']>(type: T, listener: Listener<T>): () => void {
    let set = this.listeners.get(type);
    if (set === undefined) {
      set = new Set();
      this.listeners.set(type, set);
    }
    const l = listener as (e: EngineEvent) => void;
    set.add(l);
    return () => {
      set?.delete(l);
    };
  }

  /** Whether any listener is subscribed to `type` (so an event's costly fields can be skipped). */
  has(type: EngineEvent['type']): boolean {
    return (this.listeners.get(type)?.size ?? 0) > 0;
  }

  /** Calls every listener of `event.type`. */
  emit(event: EngineEvent): void {
    const set = this.listeners.get(event.type);
    if (set === undefined) return;
    for (const l of [...set]) l(event);
  }
}
