import { readFile, writeFile } from 'node:fs/promises';
import { usage } from './base-command.js';

/**
 * The bytes of a file a command was pointed at, or of standard input for "-". A file that cannot
 * be read is a usage error that names it and says why (ENOENT, EISDIR, ...).
 */
export async function readInput(file: string, what: string): Promise<Buffer> {
  if (file === '-') return readStream(process.stdin);
  try {
    return await readFile(file);
  } catch (e) {
    const reason = (e as NodeJS.ErrnoException).code ?? (e as Error).message;
    throw usage(`cannot read ${what} ${file}: ${reason}`);
  }
}

/** Writes bytes as they are to a file, or to standard output for "-". */
export async function writeOutput(file: string, bytes: Uint8Array, what: string): Promise<void> {
  if (file === '-') {
    // A pipe or a file on Linux takes this synchronously, so it is all out before the command exits.
    process.stdout.write(bytes);
    return;
  }
  try {
    await writeFile(file, bytes);
  } catch (e) {
    const reason = (e as NodeJS.ErrnoException).code ?? (e as Error).message;
    throw usage(`cannot write ${what} ${file}: ${reason}`);
  }
}

async function readStream(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  return Buffer.concat(chunks);
}
