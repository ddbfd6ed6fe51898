import { describe, expect, it } from 'vitest';
import { loadMeta, loadOrCreateMeta, saveMeta } from '../../../src/node/meta.js';
import { MemoryStorage } from '../../../src/node/storage/memory.js';

const dc1 = { dc: 'dc1', rack: 'r1' };
let ids = 0;
const newId = () => `host-${++ids}`;

describe('loadOrCreateMeta', () => {
  it('keeps a data folder to its cluster', async () => {
    const storage = new MemoryStorage();
    await loadOrCreateMeta(storage, 'prod', dc1, newId, '/d');
    await expect(loadOrCreateMeta(storage, 'test', dc1, newId, '/d')).rejects.toThrow(
      'data folder /d belongs to cluster "prod", not "test": pass --cluster-name prod or use another --data folder',
    );
  });

  it('refuses to move a node that holds tokens to another data center or rack', async () => {
    const storage = new MemoryStorage();
    const meta = await loadOrCreateMeta(storage, 'ringkv', dc1, newId, '/d');
    expect(meta).toMatchObject(dc1);
    await saveMeta(storage, { ...meta, tokens: ['42'], bootstrapped: true });
    for (const place of [
      { dc: 'dc2', rack: 'r1' },
      { dc: 'dc1', rack: 'r2' },
    ]) {
      await expect(loadOrCreateMeta(storage, 'ringkv', place, newId, '/d')).rejects.toThrow(
        `data folder /d holds a node of data center dc1, rack r1: in ${place.dc}, rack ${place.rack}, other nodes would become replicas of data they do not have; start it without --dc and --rack (or with --dc dc1 --rack r1), or decommission the node and start it again on an empty data folder`,
      );
    }
    expect((await loadOrCreateMeta(storage, 'ringkv', dc1, newId, '/d')).hostId).toBe(meta.hostId);
  });

  it('keeps the place of the folder when the start does not say, dc1 and rack1 for a new one', async () => {
    const storage = new MemoryStorage();
    expect(await loadOrCreateMeta(storage, 'ringkv', {}, newId, '/d')).toMatchObject({
      dc: 'dc1',
      rack: 'rack1',
    });
    const other = new MemoryStorage();
    const meta = await loadOrCreateMeta(other, 'ringkv', { dc: 'west', rack: 'r2' }, newId, '/e');
    await saveMeta(other, { ...meta, tokens: ['42'], bootstrapped: true });
    expect(await loadOrCreateMeta(other, 'ringkv', {}, newId, '/e')).toMatchObject({
      dc: 'west',
      rack: 'r2',
    });
    expect(await loadOrCreateMeta(other, 'ringkv', { dc: 'west' }, newId, '/e')).toMatchObject({
      dc: 'west',
      rack: 'r2',
    });
    await expect(loadOrCreateMeta(other, 'ringkv', { rack: 'r3' }, newId, '/e')).rejects.toThrow(
      'holds a node of data center west, rack r2: in west, rack r3',
    );
  });

  it('lets a node without tokens move, and remembers where a folder from before stands', async () => {
    const storage = new MemoryStorage();
    const meta = await loadOrCreateMeta(storage, 'ringkv', dc1, newId, '/d');
    expect(await loadOrCreateMeta(storage, 'ringkv', { dc: 'dc2', rack: 'r1' }, newId, '/d')).toMatchObject({
      dc: 'dc2',
    });
    // A folder whose node never said where it stood, with tokens: where it starts now is where it is.
    const { dc: _dc, rack: _rack, ...unplaced } = { ...meta, tokens: ['42'] };
    await saveMeta(storage, unplaced);
    await loadOrCreateMeta(storage, 'ringkv', { dc: 'dc3', rack: 'r3' }, newId, '/d');
    expect(await loadMeta(storage)).toMatchObject({ dc: 'dc3', rack: 'r3', tokens: ['42'] });
    await expect(loadOrCreateMeta(storage, 'ringkv', dc1, newId, '/d')).rejects.toThrow(
      'holds a node of data center dc3',
    );
  });
});
