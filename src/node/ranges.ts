import type { OpRequest, OpResult } from '../protocol/ops/index.js';
import { cellMessageBytes, MAX_CELLS_MESSAGE_BYTES } from '../protocol/limits.js';
import { formatToken, parseToken } from '../ring/partitioner.js';
import { depthFor, MerkleTreeBuilder } from './repair/merkle.js';
import type { CellStore } from './storage/cell-store.js';

/**
 * The replica side of whole-range work: Merkle trees for repair and pages of cells for streaming.
 */
export class RangeService {
  constructor(private readonly cells: CellStore) {}

  async merkleTree(req: OpRequest<'merkle_tree'>): Promise<OpResult<'merkle_tree'>> {
    const range = { start: parseToken(req.start), end: parseToken(req.end) };
    const builder = new MerkleTreeBuilder(range, req.depth);
    let count = 0;
    for await (const { token, key, cell } of this.cells.scanRange(req.keyspace, range.start, range.end)) {
      builder.add(token, key, cell);
      count++;
    }
    // One scan sizes the tree: built at the deepest allowed, folded to what the cells call for.
    const tree = builder.build();
    const sized = req.sized
      ? tree.fold(Math.min(tree.depth, depthFor(count, { maxDepth: req.depth })))
      : tree;
    return { tree: sized.serialize(), cells: count };
  }

  async scan(req: OpRequest<'range_scan'>): Promise<OpResult<'range_scan'>> {
    const start = req.after ? parseToken(req.after.token) : parseToken(req.start);
    const end = parseToken(req.end);
    const afterKey = req.after?.key;
    const cells: OpResult<'range_scan'>['cells'] = [];
    // A page ends at `limit` cells or at what one message may carry, whichever comes first.
    let bytes = 0;
    let more = false;
    for await (const { token, key, cell } of this.cells.scanRange(
      req.keyspace,
      start,
      end,
      afterKey ? { afterKey, atToken: start } : undefined,
    )) {
      const size = cellMessageBytes(key, cell.value);
      if (cells.length === req.limit || (cells.length > 0 && bytes + size > MAX_CELLS_MESSAGE_BYTES)) {
        more = true;
        break;
      }
      cells.push({ token: formatToken(token), key, cell });
      bytes += size;
    }
    return { cells, more };
  }
}
