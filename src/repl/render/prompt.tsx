import { Box, Text } from 'ink';

/** The input line with its cursor, the choices of an ambiguous tab, and the exit reminder. */
export function Prompt({
  keyspace,
  line,
  cursor,
  candidates,
  exitArmed,
  busy,
}: {
  keyspace: string;
  line: string;
  cursor: number;
  candidates: readonly string[];
  exitArmed: boolean;
  busy: boolean;
}) {
  const atCursor = line[cursor] ?? ' ';
  return (
    <Box flexDirection="column">
      <Text>
        <Text color={busy ? 'gray' : 'green'}>ringkv:{keyspace}&gt; </Text>
        {line.slice(0, cursor)}
        <Text inverse>{atCursor}</Text>
        {line.slice(cursor + 1)}
      </Text>
      {candidates.length > 0 && <Text dimColor>{candidates.join('  ')}</Text>}
      {exitArmed && <Text dimColor>press Ctrl-C again or Ctrl-D to exit</Text>}
    </Box>
  );
}
