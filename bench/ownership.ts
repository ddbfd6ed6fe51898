/**
 * How evenly tokens spread data, and how fast keys hash. Run: npx tsx bench/ownership.ts
 *
 * Six nodes of 16 tokens, RF 3: effective ownership max/min with random tokens (average and worst
 * over many seeds) against the balancing allocator with nodes joining one by one.
 */
import type { Replication } from '../src/protocol/consistency.js';
import { allocateTokens, randomTokens } from '../src/ring/allocation.js';
import { effectiveOwnership } from '../src/ring/ownership.js';
import { tokenOf } from '../src/ring/partitioner.js';
import { TokenRing, type RingNode } from '../src/ring/ring.js';

const NODES = 6;
const TOKENS_PER_NODE = 16;
const SEEDS = 50;
const ALLOCATOR_SEEDS = 5;
const replication: Replication = { strategy: 'simple', rf: 3 };

/** mulberry32: a small seeded generator, so every figure here can be reproduced. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function spread(ring: TokenRing): number {
  const owns = [...effectiveOwnership(ring, replication).values()];
  return Math.max(...owns) / Math.min(...owns);
}

function nodeAt(i: number, tokens: readonly bigint[]): RingNode {
  return { hostId: `node${i + 1}`, dc: 'dc1', rack: 'rack1', tokens };
}

function randomRing(random: () => number): TokenRing {
  let ring = new TokenRing([]);
  for (let i = 0; i < NODES; i++) {
    ring = ring.withNode(nodeAt(i, randomTokens(TOKENS_PER_NODE, random, ring.tokens())));
  }
  return ring;
}

function allocatedRing(random: () => number): TokenRing {
  let ring = new TokenRing([]);
  for (let i = 0; i < NODES; i++) {
    const joining = nodeAt(i, []);
    ring = ring.withNode(nodeAt(i, allocateTokens(ring, replication, joining, TOKENS_PER_NODE, random)));
  }
  return ring;
}

function summarize(spreads: number[]): string {
  const average = spreads.reduce((a, b) => a + b, 0) / spreads.length;
  return `average ${average.toFixed(3)}, worst ${Math.max(...spreads).toFixed(3)}, best ${Math.min(...spreads).toFixed(3)}`;
}

const randomSpreads = Array.from({ length: SEEDS }, (_, seed) => spread(randomRing(seeded(seed + 1))));
console.log(`effective ownership max/min, ${NODES} nodes x ${TOKENS_PER_NODE} tokens, simple RF 3`);
console.log(`  random tokens (${SEEDS} seeds):      ${summarize(randomSpreads)}`);

const started = performance.now();
const allocatedSpreads = Array.from({ length: ALLOCATOR_SEEDS }, (_, seed) =>
  spread(allocatedRing(seeded(seed + 1))),
);
const allocMs = (performance.now() - started) / (ALLOCATOR_SEEDS * NODES);
console.log(`  balancing allocator (${ALLOCATOR_SEEDS} seeds): ${summarize(allocatedSpreads)}`);
console.log(`  allocator time per joining node: ${allocMs.toFixed(0)} ms`);

const keys = Array.from({ length: 1024 }, (_, i) =>
  Uint8Array.from({ length: 16 }, (_, j) => (i * 31 + j * 7) & 0xff),
);
let sink = 0n;
for (let i = 0; i < 200_000; i++) sink ^= tokenOf(keys[i & 1023]!);
const hashes = 2_000_000;
const hashStart = performance.now();
for (let i = 0; i < hashes; i++) sink ^= tokenOf(keys[i & 1023]!);
const hashSeconds = (performance.now() - hashStart) / 1000;
console.log(
  `murmur3 tokenOf, 16-byte keys: ${(hashes / hashSeconds / 1e6).toFixed(2)} M ops/s (checksum ${sink & 0xffn})`,
);
