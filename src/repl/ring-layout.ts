import type { EndpointsResult, RingEntry, StatusResult } from '../client/api.js';

/**
 * Where each node's vnodes fall on a band of a given width: the token range [-2^63, 2^63) is
 * laid out left to right and each column shows the node that owns the middle of its slice
 * (the node of the first token at or after it, wrapping around). Pure, so the drawing can be
 * tested as text and rendered in colour by the Ink view.
 */

const tokenSpan = 2n ** 64n;
const minToken = -(2n ** 63n);

/** Ink colour names, in an order where neighbours differ; red is left for DOWN. */
export const NODE_COLOURS = [
  'cyan',
  'magenta',
  'yellow',
  'green',
  'blue',
  'cyanBright',
  'magentaBright',
  'yellowBright',
  'greenBright',
  'blueBright',
] as const;

const LETTERS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

export interface RingNode {
  hostId: string;
  address: string;
  letter: string;
  colour: (typeof NODE_COLOURS)[number];
  state: 'UP' | 'DOWN' | undefined;
  /** dc/rack from status, which placed its replicas; undefined when status does not know the node. */
  location: string | undefined;
  /** Effective ownership from status, 0..1; undefined when status does not know the node. */
  owns: number | undefined;
  /** Share of the token range this node is the first replica of (its vnodes' ranges), 0..1. */
  primary: number;
  vnodes: number;
}

export interface KeyMark {
  key: string;
  token: string;
  column: number;
  replicas: { hostId: string; address: string; state: 'UP' | 'DOWN' }[];
}

export interface RingLayout {
  width: number;
  nodes: RingNode[];
  /** Index into nodes for every column; -1 when the ring is empty. */
  band: number[];
  mark: KeyMark | undefined;
}

export function columnOf(token: bigint, width: number): number {
  const offset = token - minToken;
  return Math.min(width - 1, Number((offset * BigInt(width)) / tokenSpan));
}

export function layoutRing(
  ring: readonly RingEntry[],
  status: StatusResult | undefined,
  width: number,
  endpoints?: EndpointsResult,
): RingLayout {
  if (width < 1) throw new Error(`ring width must be positive, got ${width}`);
  const hostIds: string[] = [];
  const seen = new Set<string>();
  const addHost = (id: string) => {
    if (!seen.has(id)) {
      seen.add(id);
      hostIds.push(id);
    }
  };
  for (const n of status?.nodes ?? []) addHost(n.hostId);
  for (const e of ring) addHost(e.hostId);

  const nodes: RingNode[] = hostIds.map((hostId, i) => {
    const s = status?.nodes.find((n) => n.hostId === hostId);
    return {
      hostId,
      address: s?.address ?? ring.find((e) => e.hostId === hostId)?.address ?? hostId,
      letter: LETTERS[i % LETTERS.length] ?? '?',
      colour: NODE_COLOURS[i % NODE_COLOURS.length] ?? 'cyan',
      state: s?.state,
      location: s ? `${s.dc}/${s.rack}` : undefined,
      owns: s?.owns,
      primary: 0,
      vnodes: ring.filter((e) => e.hostId === hostId).length,
    };
  });
  const indexOf = new Map(nodes.map((n, i) => [n.hostId, i]));
  const sorted = ring.map((e) => ({ token: BigInt(e.token), node: indexOf.get(e.hostId) ?? -1 }));
  sorted.sort((a, b) => (a.token < b.token ? -1 : a.token > b.token ? 1 : 0));

  // A token owns the range from the token before it (exclusive); the first wraps around from the last.
  sorted.forEach((t, i) => {
    const node = nodes[t.node];
    const previous = sorted[i === 0 ? sorted.length - 1 : i - 1];
    if (!node || !previous) return;
    const size = sorted.length === 1 ? tokenSpan : (t.token - previous.token + tokenSpan) % tokenSpan;
    node.primary += Number(size) / Number(tokenSpan);
  });

  const band: number[] = [];
  let j = 0;
  for (let c = 0; c < width; c++) {
    const middle = minToken + ((2n * BigInt(c) + 1n) * tokenSpan) / (2n * BigInt(width));
    while (j < sorted.length && (sorted[j]?.token ?? 0n) < middle) j++;
    // Past the last token the range wraps around to the first node token.
    const owner = j < sorted.length ? sorted[j] : sorted[0];
    band.push(owner?.node ?? -1);
  }

  const mark = endpoints
    ? {
        key: endpoints.key,
        token: endpoints.token,
        column: columnOf(BigInt(endpoints.token), width),
        replicas: endpoints.replicas.map((r) => ({ hostId: r.hostId, address: r.address, state: r.state })),
      }
    : undefined;
  return { width, nodes, band, mark };
}

/** The band as letters, one per node, for plain text and for tests. */
export function bandText(layout: RingLayout): string {
  return layout.band.map((i) => layout.nodes[i]?.letter ?? ' ').join('');
}
