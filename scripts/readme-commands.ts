/**
 * Regenerates the command reference in README.md (between the commands markers) from the
 * commands' own oclif definitions, so the reference cannot drift from --help.
 * Run with: npx tsx scripts/readme-commands.ts (after npm run build).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Config } from '@oclif/core';

const START = '<!-- commands -->';
const END = '<!-- commandsstop -->';

const config = await Config.load({ root: fileURLToPath(new URL('..', import.meta.url)) });
const commands = [...config.commands].filter((c) => !c.hidden).sort((a, b) => a.id.localeCompare(b.id));
const sections = commands.map((c) => {
  const id = c.id.replaceAll(':', ' ');
  const args = Object.values(c.args ?? {}).map((a) =>
    a.required ? a.name.toUpperCase() : `[${a.name.toUpperCase()}]`,
  );
  const flags = Object.entries(c.flags ?? {})
    .filter(([, f]) => !f.hidden)
    .map(([name, f]) => {
      const value = f.type === 'option' ? ` ${(f.options ?? []).join('|') || 'VALUE'}` : '';
      const def =
        f.default !== undefined && f.default !== false && !Array.isArray(f.default)
          ? ` (default: ${String(f.default)})`
          : Array.isArray(f.default)
            ? ` (default: ${f.default.join(',')})`
            : '';
      const env = 'env' in f && typeof f.env === 'string' ? ` (env: ${f.env})` : '';
      return `  --${name}${value}  ${f.summary ?? f.description ?? ''}${def}${env}`;
    });
  return [
    `### \`ringkv ${id}\``,
    '',
    c.summary ?? c.description ?? '',
    '',
    '```',
    `ringkv ${id} ${args.join(' ')}`.trimEnd(),
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
console.log(`wrote ${commands.length} commands`);
