/**
 * Regenerates the command reference in README.md (between the commands markers) from the
 * commands' own oclif definitions, so the reference cannot drift from --help.
 * Run with: npx tsx scripts/readme-commands.ts (after npm run build).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Config } from '@oclif/core';
import { commandHelp, visibleCommands } from '../src/cli/command-docs.js';

const START = '<!-- commands -->';
const END = '<!-- commandsstop -->';

const config = await Config.load({ root: fileURLToPath(new URL('..', import.meta.url)) });
/** A flag's default as --help shows it: a list comma-separated. */
function shown(value: unknown): string {
  if (Array.isArray(value)) return value.map(shown).join(',');
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean')
    return String(value);
  return JSON.stringify(value);
}

const sections = visibleCommands(config).map((c) => {
  const doc = commandHelp(c, config);
  const args = doc.args.map((a) => (a.required ? a.name.toUpperCase() : `[${a.name.toUpperCase()}]`));
  const flags = doc.flags.map((f) => {
    const value = f.type === 'option' ? ` ${f.options?.join('|') || 'VALUE'}` : '';
    const def = f.default === null || f.default === false ? '' : ` (default: ${shown(f.default)})`;
    const env = f.env === null ? '' : ` (env: ${f.env})`;
    return `  --${f.name}${value}  ${f.description ?? ''}${def}${env}`;
  });
  return [
    `### \`ringkv ${doc.command}\``,
    '',
    doc.summary ?? doc.description ?? '',
    '',
    '```',
    `ringkv ${doc.command} ${args.join(' ')}`.trimEnd(),
    ...flags,
    '```',
    '',
  ].join('\n');
});
const readme = readFileSync('README.md', 'utf8');
const from = readme.indexOf(START);
const to = readme.indexOf(END);
if (from < 0 || to < 0) throw new Error('README.md has no command markers');
writeFileSync(
  'README.md',
  `${readme.slice(0, from + START.length)}\n${sections.join('\n')}${readme.slice(to)}`,
);
console.log(`wrote ${sections.length} commands`);
