import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Plugin } from '@oclif/core';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '../../..');

describe('oclif.manifest.json', () => {
  // oclif trusts the manifest to find commands and print help without importing them: a stale one
  // would hide a new command or print old flags.
  it('says what the built commands say', async () => {
    const built = new Plugin({ root, type: 'core', ignoreManifest: true, errorOnManifestCreate: true });
    await built.load();
    const stored: unknown = JSON.parse(readFileSync(join(root, 'oclif.manifest.json'), 'utf8'));
    expect(stored).toEqual(JSON.parse(JSON.stringify(built.manifest)));
  });
});
