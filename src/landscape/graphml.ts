import type { AbstractGraph, Attributes } from 'graphology-types';

/** GraphML's attribute types (`attr.type`). */
type GraphmlType = 'boolean' | 'long' | 'double' | 'string';

/** XML 1.0 text: escapes markup characters; refuses characters XML cannot hold. */
function xmlText(s: string, where: string): string {
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/.test(s)) throw new Error(`graphml: ${where} holds a control character that XML 1.0 cannot represent`);
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');
}

function typeOf(values: unknown[], where: string): GraphmlType {
  const present = values.filter((v) => v !== undefined && v !== null);
  if (present.every((v) => typeof v === 'boolean')) return 'boolean';
  if (present.every((v) => typeof v === 'number')) return present.every((v) => Number.isSafeInteger(v)) ? 'long' : 'double';
  if (present.every((v) => typeof v === 'string')) return 'string';
  throw new Error(`graphml: attribute ${where} mixes types or holds objects; use booleans, numbers or strings (JSON-encode objects)`);
}

function valueText(v: unknown): string {
  if (typeof v === 'number' && !Number.isFinite(v)) return Number.isNaN(v) ? 'NaN' : v > 0 ? 'Infinity' : '-Infinity';
  return String(v);
}

interface KeyDef { id: string; name: string; type: GraphmlType }

function keysOf(domain: 'node' | 'edge', items: Attributes[], prefix: string): KeyDef[] {
  const names = [...new Set(items.flatMap((a) => Object.keys(a)))].sort();
  return names.map((name, k) => ({ id: `${prefix}${k}`, name, type: typeOf(items.map((a) => a[name]), `${domain}.${name}`) }));
}

/**
 * Writes a graphology graph as GraphML (Brandes et al., the GraphML file format): one `<key>` per
 * node and edge attribute (`attr.type` boolean, long, double or string, inferred from the values),
 * `edgedefault` from the graph's type, node and edge keys as ids. Gephi, Cytoscape, yEd, igraph and
 * NetworkX open it.
 * @example
 * ```ts
 * writeFileSync('lon.graphml', toGraphml(localOptimaNetwork(landscapeGraph(l))));
 * ```
 */
export function toGraphml(graph: AbstractGraph, { graphId = 'G' }: { graphId?: string } = {}): string {
  if (graph.type === 'mixed') throw new Error('graphml: a mixed graph (directed and undirected edges) has no single edgedefault; use a directed or an undirected graph');
  const nodeAttrs: Attributes[] = [];
  graph.forEachNode((_k, a) => nodeAttrs.push(a));
  const edgeAttrs: Attributes[] = [];
  graph.forEachEdge((_k, a) => edgeAttrs.push(a));
  const nodeKeys = keysOf('node', nodeAttrs, 'n');
  const edgeKeys = keysOf('edge', edgeAttrs, 'e');
  const lines = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    '<graphml xmlns="http://graphml.graphdrawing.org/xmlns" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:schemaLocation="http://graphml.graphdrawing.org/xmlns http://graphml.graphdrawing.org/xmlns/1.0/graphml.xsd">',
  ];
  for (const [domain, keys] of [['node', nodeKeys], ['edge', edgeKeys]] as const) {
    for (const k of keys) lines.push(`  <key id="${k.id}" for="${domain}" attr.name="${xmlText(k.name, `${domain} attribute name`)}" attr.type="${k.type}"/>`);
  }
  lines.push(`  <graph id="${xmlText(graphId, 'graph id')}" edgedefault="${graph.type === 'undirected' ? 'undirected' : 'directed'}">`);
  const data = (keys: KeyDef[], a: Attributes, indent: string) =>
    keys.filter((k) => a[k.name] !== undefined && a[k.name] !== null).map((k) => `${indent}<data key="${k.id}">${xmlText(valueText(a[k.name]), k.name)}</data>`);
  graph.forEachNode((key, a) => {
    const d = data(nodeKeys, a, '      ');
    lines.push(d.length === 0 ? `    <node id="${xmlText(key, 'node key')}"/>` : `    <node id="${xmlText(key, 'node key')}">`, ...d, ...(d.length === 0 ? [] : ['    </node>']));
  });
  graph.forEachEdge((key, a, source, target) => {
    const d = data(edgeKeys, a, '      ');
    const open = `    <edge id="${xmlText(key, 'edge key')}" source="${xmlText(source, 'node key')}" target="${xmlText(target, 'node key')}"`;
    lines.push(d.length === 0 ? `${open}/>` : `${open}>`, ...d, ...(d.length === 0 ? [] : ['    </edge>']));
  });
  lines.push('  </graph>', '</graphml>', '');
  return lines.join('\n');
}
