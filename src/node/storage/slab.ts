/**
 * Short-lived byte strings (encoded cells, storage keys) carved from shared slabs. A fresh
 * Uint8Array over 64 bytes gets its own off-heap ArrayBuffer, which V8 allocates, zero-fills and
 * tracks for the collector: about 1 µs, paid twice on every merge. A slab is retained while any
 * string cut from it lives, so only bytes that are dropped soon (handed to storage, which copies
 * them) belong here; nothing is ever written twice.
 */
const SLAB_BYTES = 64 * 1024;
/** Larger strings are rare (big values) and get their own buffer, so a slab holds many. */
const MAX_SLAB_ALLOCATION = 1024;

let slab = new ArrayBuffer(SLAB_BYTES);
let used = 0;

export function allocate(size: number): Uint8Array {
  if (size > MAX_SLAB_ALLOCATION) return new Uint8Array(size);
  if (used + size > SLAB_BYTES) {
    slab = new ArrayBuffer(SLAB_BYTES);
    used = 0;
  }
  const out = new Uint8Array(slab, used, size);
  used += size;
  return out;
}
