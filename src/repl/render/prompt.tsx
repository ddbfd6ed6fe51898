import { Box, Text } from 'ink';
import type { PromptView } from '../long-line.js';

/**
 * The input line with its cursor, the choices of an ambiguous tab, and the exit reminder. A line
 * longer than a few rows is shown around the cursor, with its length (long-line.ts says why).
 */
export function Prompt({
  prompt,
  view,
  candidates,
  exitArmed,
  busy,
}: {
  /** e.g. ringkv:default> */
  prompt: string;
  view: PromptView;
  candidates: readonly string[];
  exitArmed: boolean;
  busy: boolean;
}) {
  return (
    <Box flexDirection="column">
      <Text>
        <Text color={busy ? 'gray' : 'green'}>{prompt}</Text>
        {view.cutStart && <Text dimColor>…</Text>}
        {view.before}
        <Text inverse>{view.atCursor}</Text>
        {view.after}
        {view.cutEnd && <Text dimColor>…</Text>}
        {(view.cutStart || view.cutEnd) && <Text dimColor> ({view.length} chars)</Text>}
      </Text>
      {candidates.length > 0 && <Text dimColor>{candidates.join('  ')}</Text>}
      {exitArmed && <Text dimColor>press Ctrl-C again or Ctrl-D to exit</Text>}
    </Box>
  );
}
