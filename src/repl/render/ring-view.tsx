import { Box, Text } from 'ink';
import type { EndpointsResult, RingEntry, StatusResult } from '../../client/api.js';
import { columnsThatFit, padColumns, ringLegendRow } from '../format.js';
import { layoutRing, type RingLayout } from '../ring-layout.js';

/** Columns of ringLegendRow: letter, address, state, dc/rack, vnodes, primary, owns. */
const stateColumn = 2;
const locationColumn = 3;
const legendDropOrder = [[4], [3], [5]];

/** Consecutive columns of one node, drawn as one coloured run. */
function runsOf(layout: RingLayout): { node: number; length: number }[] {
  const runs: { node: number; length: number }[] = [];
  for (const node of layout.band) {
    const last = runs[runs.length - 1];
    if (last?.node === node) last.length++;
    else runs.push({ node, length: 1 });
  }
  return runs;
}

/** A caret under the key's column, its label on whichever side has room. */
function KeyMarker({ column, label, width }: { column: number; label: string; width: number }) {
  if (column + 2 + label.length <= width) {
    return (
      <Text>
        {' '.repeat(column)}
        <Text bold>^</Text> {label}
      </Text>
    );
  }
  return (
    <Text>
      {' '.repeat(Math.max(0, column - label.length - 1))}
      {label} <Text bold>^</Text>
    </Text>
  );
}

/**
 * The token ring as a band from the minimum to the maximum token: each node's vnodes in its own
 * colour and letter, then each node's effective ownership. With a key, a marker at its token and
 * its replicas in order, DOWN ones in red.
 */
export function RingView({
  ring,
  status,
  endpoints,
  width,
}: {
  ring: readonly RingEntry[];
  status: StatusResult | undefined;
  endpoints: EndpointsResult | undefined;
  width: number;
}) {
  const layout = layoutRing(ring, status, Math.max(8, width - 2), endpoints);
  const mark = layout.mark;
  const replicaRank = new Map(mark?.replicas.map((r, i) => [r.hostId, i + 1]));
  // On a narrow terminal the vnode count goes first, then dc/rack, then the primary share, so
  // that a node's line, with its replica rank, stays one line. The letter cell is drawn 3 wide.
  const legend = layout.nodes.map(ringLegendRow);
  const rankWidth = mark ? `  replica ${mark.replicas.length}`.length : 0;
  const kept = columnsThatFit(legend, width, legendDropOrder, 2 + rankWidth);
  return (
    <Box flexDirection="column">
      <Text>
        <Text dimColor>|</Text>
        {runsOf(layout).map((run, i) => {
          const node = layout.nodes[run.node];
          return (
            <Text key={i} {...(node ? { backgroundColor: node.colour } : {})} color="black">
              {(node?.letter ?? ' ').repeat(run.length)}
            </Text>
          );
        })}
        <Text dimColor>|</Text>
      </Text>
      {mark && <KeyMarker column={mark.column + 1} label={`${mark.key} token ${mark.token}`} width={width} />}
      {padColumns(legend.map((row) => kept.map((i) => row[i] ?? ''))).map((cells, i) => {
        const n = layout.nodes[i];
        if (!n) return null;
        const rank = replicaRank.get(n.hostId);
        return (
          <Text key={n.hostId}>
            {cells.map((cell, j) => {
              const column = kept[j];
              if (column === 0) {
                return (
                  <Text key={j} backgroundColor={n.colour} color="black">
                    {` ${n.letter} `}
                  </Text>
                );
              }
              const gap = j === 1 ? ' ' : '  ';
              if (column === stateColumn) {
                return (
                  <Text key={j}>
                    {gap}
                    <Text color={n.state === 'DOWN' ? 'red' : 'green'}>{cell}</Text>
                  </Text>
                );
              }
              return (
                <Text key={j} dimColor={column === locationColumn}>
                  {gap}
                  {cell}
                </Text>
              );
            })}
            {rank !== undefined && (
              // The state column already says DOWN; the colour repeats it where the eye lands.
              <Text color={n.state === 'DOWN' ? 'red' : 'yellow'} bold>
                {`  replica ${rank}`}
              </Text>
            )}
          </Text>
        );
      })}
    </Box>
  );
}
