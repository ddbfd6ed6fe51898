import { asRingkvError, type RingkvError } from './errors.js';
import { fastMessage, fastResult } from './fast-validate.js';
import type { OpName, OpResult } from './ops/index.js';
import type { WireMessage } from './validate.js';

/**
 * Validation for a process that may never need zod. A command that puts one value spent about a
 * quarter of its run importing zod and building the schemas, although every message it gets passes
 * the hand-written validators. These try those first and import the schemas (validate.ts) only for
 * a message the hand-written ones leave to zod, a malformed one or one of an operation they do not
 * cover: the answer comes now or, for such a message, once the import is done. A node imports the
 * schemas at start anyway, so for it "soon" is a few microtasks.
 */
let schemas: Promise<typeof import('./validate.js')> | undefined;

function loadSchemas(): Promise<typeof import('./validate.js')> {
  return (schemas ??= import('./validate.js'));
}

/** parseMessage, now when the hand-written validators decide, else once the schemas are loaded. */
export function parseMessageSoon(raw: unknown): WireMessage | Promise<WireMessage> {
  return fastMessage(raw) ?? loadSchemas().then((v) => v.parseMessage(raw));
}

/** parseResult, now when the hand-written validators decide, else once the schemas are loaded. */
export function parseResultSoon<K extends OpName>(
  op: K,
  result: unknown,
): OpResult<K> | Promise<OpResult<K>> {
  const fast = fastResult(op, result) as OpResult<K> | undefined;
  return fast ?? loadSchemas().then((v) => v.parseResult(op, result));
}

/**
 * Hands the messages of one connection to `deliver` in the order they came. A message left to zod
 * waits for the schemas, and the messages behind it wait for it. The first that fails validation
 * goes to `fail`, and nothing after it is delivered: the connection is closing.
 */
export class InOrderParser {
  readonly #deliver: (message: WireMessage) => void;
  readonly #fail: (error: RingkvError) => void;
  /** Values that came while a message waited for the schemas; undefined when none waits. */
  #backlog: unknown[] | undefined;
  #failed = false;

  constructor(deliver: (message: WireMessage) => void, fail: (error: RingkvError) => void) {
    this.#deliver = deliver;
    this.#fail = fail;
  }

  push(values: readonly unknown[]): void {
    if (this.#failed) return;
    if (this.#backlog !== undefined) this.#backlog.push(...values);
    else this.#run(values);
  }

  #run(values: readonly unknown[]): void {
    for (let i = 0; i < values.length && !this.#failed; i++) {
      let parsed: WireMessage | Promise<WireMessage>;
      try {
        parsed = parseMessageSoon(values[i]);
      } catch (e) {
        this.#stop(e);
        return;
      }
      if (!(parsed instanceof Promise)) {
        this.#deliver(parsed);
        continue;
      }
      const backlog = values.slice(i + 1);
      this.#backlog = backlog;
      parsed
        .then(
          (message) => {
            if (this.#failed) return;
            this.#deliver(message);
            this.#backlog = undefined;
            this.#run(backlog);
          },
          (e: unknown) => this.#stop(e),
        )
        .catch((e: unknown) => this.#stop(e));
      return;
    }
  }

  #stop(e: unknown): void {
    if (this.#failed) return;
    this.#failed = true;
    this.#backlog = undefined;
    this.#fail(asRingkvError(e));
  }
}
