import { Box, Text } from 'ink';
import type { HintSummary, UnansweredNode } from '../../client/api.js';
import { hintHeader, hintRow, table, unansweredHintsLine } from '../format.js';

/**
 * Hints per holder and target; a target down past the hint window is flagged, since only repair
 * heals it, and a node whose hints could not be counted is named below.
 */
export function HintsTable({
  hints,
  unanswered,
  asOfMs,
}: {
  hints: readonly HintSummary[];
  unanswered: readonly UnansweredNode[];
  asOfMs: number;
}) {
  const [header, ...rows] = table([hintHeader, ...hints.map((h) => hintRow(h, asOfMs))]);
  return (
    <Box flexDirection="column">
      {hints.length === 0 ? (
        <Text dimColor>no hints</Text>
      ) : (
        <>
          <Text bold>{header}</Text>
          {rows.map((row, i) => (
            <Text key={i} {...(hints[i]?.pastWindow ? { color: 'red' } : {})}>
              {row}
            </Text>
          ))}
        </>
      )}
      {unanswered.map((u) => (
        <Text key={u.hostId} color="yellow">
          note: {unansweredHintsLine(u)}
        </Text>
      ))}
    </Box>
  );
}
