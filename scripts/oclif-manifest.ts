/**
 * Writes oclif.manifest.json from the built commands. Without it, oclif imports every command
 * module (and everything they import: the REPL's Ink and React, the bench's histograms) at each
 * start to learn what commands there are; with it, a start imports only the command it runs.
 * `npm run build` runs this after compiling, so the manifest always matches dist/.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Plugin } from '@oclif/core';

const root = fileURLToPath(new URL('..', import.meta.url));
const plugin = new Plugin({ root, type: 'core', ignoreManifest: true, errorOnManifestCreate: true });
await plugin.load();
writeFileSync(join(root, 'oclif.manifest.json'), `${JSON.stringify(plugin.manifest, null, 2)}\n`);
console.log(`oclif.manifest.json: ${Object.keys(plugin.manifest.commands).length} commands`);
