import embed, { type Result } from 'vega-embed';
import type { NamedChart } from '../runView.js';

/** A drawn chart: the spec it was drawn from (as text, to redraw only what changed) and vega-embed's result. */
interface Drawn {
  spec: string;
  result: Result;
  box: HTMLElement;
}

/**
 * The charts on the page, by name: each drawn with vega-embed (SVG renderer) from the spec the
 * server sent, which `src/plot`'s builders made. Redrawing a set of charts keeps those whose spec
 * did not change, so a live update redraws only the charts its records changed.
 */
export class Charts {
  private drawn = new Map<string, Drawn>();

  /** The Vega view of a drawn chart (tests read its data). */
  view(name: string): Result['view'] | undefined {
    return this.drawn.get(name)?.result.view;
  }

  /** The names of the drawn charts. */
  names(): string[] {
    return [...this.drawn.keys()];
  }

  /** Draws `charts` into `container` (one box each, in order), reusing unchanged ones; forgets the rest. */
  async draw(container: HTMLElement, charts: readonly NamedChart[]): Promise<void> {
    const keep = new Set(charts.map((c) => c.name));
    for (const [name, d] of this.drawn) {
      if (!keep.has(name) || !container.contains(d.box)) {
        d.result.finalize();
        this.drawn.delete(name);
      }
    }
    const boxes: HTMLElement[] = [];
    for (const chart of charts) {
      const text = JSON.stringify(chart.spec);
      const old = this.drawn.get(chart.name);
      if (old !== undefined && old.spec === text) {
        boxes.push(old.box);
        continue;
      }
      old?.result.finalize();
      const box = document.createElement('div');
      box.className = 'chart';
      box.dataset.chart = chart.name;
      const result = await embed(box, chart.spec, { renderer: 'svg', actions: { export: true, source: true, compiled: false, editor: false } });
      this.drawn.set(chart.name, { spec: text, result, box });
      boxes.push(box);
    }
    container.replaceChildren(...boxes);
  }

  /** Forgets every chart. */
  clear(): void {
    for (const d of this.drawn.values()) d.result.finalize();
    this.drawn.clear();
  }
}
