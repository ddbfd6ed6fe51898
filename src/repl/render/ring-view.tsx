import { Box, Text } from 'ink';
import type { EndpointsResult, RingEntry, StatusResult } from '../../client/api.js';
import { padColumns, ringLegendRow } from '../format.js';
import { layoutRing, type RingLayout } from '../ring-layout.js';

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
      {padColumns(layout.nodes.map(ringLegendRow)).map(
        ([, address, state, location, vnodes, primary, owns], i) => {
          const n = layout.nodes[i];
          if (!n) return null;
          const rank = replicaRank.get(n.hostId);
          return (
            <Text key={n.hostId}>
              <Text backgroundColor={n.colour} color="black">
                {` ${n.letter} `}
              </Text>{' '}
              {address}
              {'  '}
              <Text color={n.state === 'DOWN' ? 'red' : 'green'}>{state}</Text>
              {'  '}
              <Text dimColor>{location}</Text>
              {'  '}
              {vnodes}
              {'  '}
              {primary}
              {'  '}
              {owns}
              {rank !== undefined && (
                // The state column already says DOWN; the colour repeats it where the eye lands.
                <Text color={n.state === 'DOWN' ? 'red' : 'yellow'} bold>
                  {`  replica ${rank}`}
                </Text>
              )}
            </Text>
          );
        },
      )}
    </Box>
  );
}
