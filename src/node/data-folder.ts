import { constants } from 'node:fs';
import { access, mkdir, stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { RingkvError } from '../protocol/errors.js';

/**
 * mkdir -p, one level at a time. Node's recursive mkdir never returns where a parent exists but
 * refuses children with ENOENT (any path under /proc): it creates the parent (EEXIST) and tries
 * the child again, forever. Here such a refusal is an error like any other.
 */
export async function makeFolder(dir: string): Promise<void> {
  const missing: string[] = [];
  for (let at = resolve(dir); ; at = dirname(at)) {
    try {
      if ((await stat(at)).isDirectory()) break;
      throw Object.assign(new Error(`${at} is not a folder`), { code: 'ENOTDIR' });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT' || dirname(at) === at) throw e;
      missing.push(at);
    }
  }
  for (const folder of missing.reverse()) {
    // Made meanwhile by someone else: as good as made here (a file there fails the next level).
    await mkdir(folder).catch((e: NodeJS.ErrnoException) => {
      if (e.code !== 'EEXIST') throw e;
    });
  }
}

/** Why a file or folder could not be written, in words, for the errors every path shares. */
export const WRITE_FAILURE_REASONS: Readonly<Record<string, string>> = {
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  EROFS: 'the file system is read-only',
  ENOSPC: 'the disk is full',
};

const REASONS: Record<string, string> = {
  ...WRITE_FAILURE_REASONS,
  // A file where the folder or one of its parents should be.
  EEXIST: 'a file is in the way',
  ENOTDIR: 'a file is in the way',
  // The parent exists and takes no new folders (a path under /proc).
  ENOENT: 'no folder can be made there',
};

/**
 * A node's data folder, made if missing and writable; otherwise one line saying why not and what
 * to do. A detaching start checks it here before it opens the node's log there, so both say the same.
 */
export async function makeDataFolder(dir: string): Promise<void> {
  await makeFolder(dir).catch((e: NodeJS.ErrnoException) => {
    const why = (e.code && REASONS[e.code]) ?? e.code ?? e.message;
    throw new RingkvError(
      'REFUSED',
      `cannot create data folder ${dir}: ${why}: pick another --data, or move what is there`,
    );
  });
  await access(dir, constants.W_OK).catch(() => {
    throw new RingkvError(
      'REFUSED',
      `data folder ${dir} is not writable: fix its permissions or pick another --data`,
    );
  });
}
