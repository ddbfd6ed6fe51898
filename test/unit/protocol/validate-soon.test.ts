import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { RingkvError } from '../../../src/protocol/errors.js';
import type { WireMessage } from '../../../src/protocol/validate.js';
import { InOrderParser, parseMessageSoon, parseResultSoon } from '../../../src/protocol/validate-soon.js';

const nonce = new Uint8Array(32);

/** The TypeScript file behind an import of `x.js`. */
function sourceOf(compiled: string): string {
  const ts = compiled.replace(/\.js$/, '.ts');
  return existsSync(ts) ? ts : `${ts}x`;
}
const res = (id: number) => ({ type: 'res', id, ok: true, result: { applied: id } });
// No hand-written validator covers hello: it always goes to zod.
const hello = { type: 'hello', version: 1, role: 'client', cluster: 'c', nonce };

function collect() {
  const delivered: string[] = [];
  const failures: RingkvError[] = [];
  const parser = new InOrderParser(
    (m: WireMessage) => delivered.push(m.type === 'res' ? `res ${m.id}` : m.type),
    (e) => failures.push(e),
  );
  return { parser, delivered, failures };
}

/** Lets the schemas' import and the promises behind it settle. */
async function settled(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise((resolve) => setTimeout(resolve, 10));
}

describe('validation without zod when it is not needed', () => {
  it('answers at once for what the hand-written validators take, later for what they leave to zod', async () => {
    expect(parseMessageSoon(res(1))).toEqual(res(1));
    const challenge = { type: 'challenge', version: 1, cluster: 'c', hostId: 'h', nonce };
    expect(parseMessageSoon(challenge)).toEqual(challenge);
    expect(parseResultSoon('replica_write_batch', { applied: 3 })).toEqual({ applied: 3 });
    const later = parseMessageSoon(hello);
    expect(later).toBeInstanceOf(Promise);
    expect(await later).toEqual(hello);
    await expect(parseResultSoon('stats', { nope: 1 })).rejects.toMatchObject({ code: 'PROTOCOL_ERROR' });
    await expect(parseMessageSoon({ type: 'gossip' })).rejects.toThrow('unknown message type "gossip"');
  });

  it('delivers messages in the order they came, those behind one left to zod waiting for it', async () => {
    const { parser, delivered, failures } = collect();
    parser.push([res(1), hello, res(2)]);
    expect(delivered).toEqual(['res 1']);
    parser.push([res(3)]);
    expect(delivered).toEqual(['res 1']);
    await settled();
    expect(delivered).toEqual(['res 1', 'hello', 'res 2', 'res 3']);
    parser.push([res(4)]);
    expect(delivered).toEqual(['res 1', 'hello', 'res 2', 'res 3', 'res 4']);
    expect(failures).toEqual([]);
  });

  it('delivers nothing after a message that fails, and says why once', async () => {
    const { parser, delivered, failures } = collect();
    parser.push([res(1), { type: 'res', id: -1, ok: true, result: 1 }, res(2)]);
    parser.push([res(3)]);
    await settled();
    parser.push([res(4)]);
    expect(delivered).toEqual(['res 1']);
    expect(failures.map((e) => e.code)).toEqual(['PROTOCOL_ERROR']);
    expect(failures[0]?.message).toMatch(/^invalid res message: /);
  });

  // A command that reads or writes one key must not pay for importing zod (about a quarter of its
  // run): its modules reach the schemas only through a dynamic import.
  it.each(['put', 'get', 'del'])('the %s command does not import zod', (command) => {
    const reached = new Map<string, string>();
    const chain = (file: string): string =>
      reached.get(file) ? `${chain(reached.get(file) as string)} -> ${path.basename(file)}` : file;
    const root = path.resolve('src/commands', `${command}.ts`);
    const queue: Array<[string, string]> = [[root, '']];
    const zod: string[] = [];
    while (queue.length > 0) {
      const [file, from] = queue.shift() as [string, string];
      if (reached.has(file)) continue;
      reached.set(file, from);
      const source = readFileSync(file, 'utf8');
      // Static imports and re-exports that load a module at run time (verbatimModuleSyntax keeps an
      // import of types only when it is written `import type`).
      const imports = /^(?:import|export)(?!\s+type\s)[^;'"]*?from\s+'([^']+)'|^import\s+'([^']+)'/gm;
      for (const m of source.matchAll(imports)) {
        const specifier = (m[1] ?? m[2]) as string;
        if (specifier === 'zod' || specifier.startsWith('zod/')) zod.push(chain(file));
        else if (specifier.startsWith('.'))
          queue.push([sourceOf(path.resolve(path.dirname(file), specifier)), file]);
      }
    }
    expect(reached.size).toBeGreaterThan(10);
    expect(zod).toEqual([]);
  });
});
