/** Dependencies between problems, as `Engine` takes them. */
export interface Dependencies {
  /** `u2l[A]`: the problems whose loss uses A's parameters (A is their upper problem). */
  u2l?: Record<string, readonly string[]>;
  /** `l2u[B]`: the problems whose loss uses B's optimum (B is their lower problem). */
  l2u?: Record<string, readonly string[]>;
}

/**
 * The validated dataflow graph of a multilevel program (BETTY's, Choe et al. 2023).
 * For a problem P: `uppers(P)` are the problems whose parameters P's loss uses (P in their u2l);
 * `lowers(P)` are the problems whose optimum P's loss uses (P in their l2u); `parents(P)` are the
 * problems that use P's optimum (`l2u[P]`), which step once P is ready.
 */
export interface Graph {
  /** Problem names, in the order given. */
  readonly names: readonly string[];
  /** Names whose parameters P's loss reads. */
  uppers(p: string): readonly string[];
  /** Names whose optima P's loss reads. */
  lowers(p: string): readonly string[];
  /** Names that read P's optimum (they step when P is ready). */
  parents(p: string): readonly string[];
  /** Problems with no lowers: they step every iteration. */
  readonly leaves: readonly string[];
}

function edges(what: string, rel: Record<string, readonly string[]> | undefined, known: Set<string>): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const [from, tos] of Object.entries(rel ?? {})) {
    if (!known.has(from)) throw new Error(`Engine: dependencies.${what} names unknown problem '${from}'; problems: ${[...known].join(', ')}`);
    if (!Array.isArray(tos)) throw new Error(`Engine: dependencies.${what}['${from}'] must be an array of problem names`);
    for (const to of tos) {
      if (!known.has(to)) {
        throw new Error(`Engine: dependencies.${what}['${from}'] names unknown problem '${to}'; problems: ${[...known].join(', ')}`);
      }
      if (to === from) throw new Error(`Engine: problem '${from}' depends on itself in dependencies.${what}`);
    }
    out.set(from, [...new Set(tos)]);
  }
  return out;
}

/** A chain of u2l edges from `from` to `to` (`['A', 'B', 'C']`), or null. */
function u2lPath(u2l: Map<string, string[]>, from: string, to: string): string[] | null {
  const prev = new Map<string, string>();
  const queue = [from];
  while (queue.length > 0) {
    const n = queue.shift() as string;
    for (const m of u2l.get(n) ?? []) {
      if (m === from || prev.has(m)) continue;
      prev.set(m, n);
      if (m === to) {
        const path = [to];
        while (path[0] !== from) path.unshift(prev.get(path[0] as string) as string);
        return path;
      }
      queue.push(m);
    }
  }
  return null;
}

/**
 * Refuses a graph in which a hypergradient would silently miss a path. Problem P's loss reads the
 * optimum of each lower L (as a function of L's uppers' values in P's evaluation); an upper U of L
 * that is not a lower of P enters as a constant. When U's parameters depend on P's (a chain of
 * u2l edges from P to U), that constant hides the path P -> U -> L: P's hypergradient would hold
 * only part of the derivative. The fix is the edge that makes P read U's optimum, which the error
 * names (deriving it silently would change when P steps).
 */
function checkReadPaths(names: readonly string[], u2l: Map<string, string[]>, lowers: Map<string, string[]>, uppers: Map<string, string[]>): void {
  for (const p of names) {
    const mine = lowers.get(p) ?? [];
    for (const l of mine) {
      for (const u of uppers.get(l) ?? []) {
        if (u === p || mine.includes(u)) continue;
        const path = u2lPath(u2l, p, u);
        if (path === null) continue;
        throw new Error(`Engine: problem '${p}' reads the optimum of '${l}' (dependencies.l2u['${l}']), whose loss reads the parameters of '${u}', which depend on ` +
          `'${p}' (dependencies.u2l: ${path.join(' -> ')}); '${p}''s hypergradient would miss the path through '${u}'. Add '${p}' to dependencies.l2u['${u}'] ` +
          `(so that '${p}' reads '${u}''s optimum too)`);
      }
    }
  }
}

/**
 * Builds and validates the graph: every name known, no self-dependency, no cycle in `l2u`, and
 * (with more than one problem) no problem without any edge, and no read whose hypergradient would
 * miss a path (see `checkReadPaths`). Errors name the problem and the edge.
 */
export function buildGraph(names: readonly string[], deps: Dependencies): Graph {
  const known = new Set(names);
  if (known.size !== names.length) {
    const dup = names.find((n, i) => names.indexOf(n) !== i);
    throw new Error(`Engine: two problems are named '${dup}'; names must be unique`);
  }
  const u2l = edges('u2l', deps.u2l, known);
  const l2u = edges('l2u', deps.l2u, known);
  const uppers = new Map<string, string[]>(names.map((n) => [n, []]));
  const lowers = new Map<string, string[]>(names.map((n) => [n, []]));
  for (const [a, ls] of u2l) for (const l of ls) uppers.get(l)?.push(a);
  for (const [b, us] of l2u) for (const u of us) lowers.get(u)?.push(b);
  // Cycles in l2u (a problem using, through lowers, its own optimum).
  const state = new Map<string, 'open' | 'done'>();
  const visit = (n: string, path: string[]): void => {
    if (state.get(n) === 'done') return;
    if (state.get(n) === 'open') throw new Error(`Engine: dependencies.l2u has a cycle: ${[...path, n].join(' -> ')}`);
    state.set(n, 'open');
    for (const p of l2u.get(n) ?? []) visit(p, [...path, n]);
    state.set(n, 'done');
  };
  names.forEach((n) => visit(n, []));
  if (names.length > 1) {
    for (const n of names) {
      const linked = (uppers.get(n)?.length ?? 0) + (lowers.get(n)?.length ?? 0) + (u2l.get(n)?.length ?? 0) + (l2u.get(n)?.length ?? 0);
      if (linked === 0) throw new Error(`Engine: problem '${n}' has neither parents nor children; add it to dependencies.u2l or .l2u, or remove it`);
    }
  }
  checkReadPaths(names, u2l, lowers, uppers);
  const sorted = (m: Map<string, string[]>, n: string) => [...(m.get(n) ?? [])].sort();
  return {
    names,
    uppers: (p) => sorted(uppers, p),
    lowers: (p) => sorted(lowers, p),
    parents: (p) => [...(l2u.get(p) ?? [])].sort(),
    leaves: names.filter((n) => (lowers.get(n)?.length ?? 0) === 0),
  };
}
