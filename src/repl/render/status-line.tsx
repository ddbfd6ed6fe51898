import { Text } from 'ink';
import type { Session } from '../commands.js';
import { hostPort } from '../format.js';
import type { Topology } from '../session.js';

interface Segment {
  text: string;
  colour?: 'green' | 'red';
  bold?: boolean;
}

const separator = ' · ';

/**
 * The bottom line: where the session points and how much of the cluster is up, kept live. It is
 * always one line: on a narrow terminal the least useful parts (the key reminder, then tracing)
 * are left out before anything wraps.
 */
export function StatusLine({
  contact,
  session,
  topology,
  width,
}: {
  contact: string;
  session: Session;
  topology: Topology | undefined;
  width: number;
}) {
  // Lower `keep` goes first when the line does not fit; undefined is never dropped.
  const segments: (Segment & { keep?: number })[] = [
    { text: hostPort(contact) },
    { text: `CL ${session.cl}`, bold: true },
    { text: `keyspace ${session.keyspace}`, bold: true },
    { text: `tracing ${session.tracing ? 'on' : 'off'}`, keep: 2 },
    ...(topology
      ? [
          { text: `${topology.up} UP`, colour: 'green' as const },
          { text: `${topology.down} DOWN`, ...(topology.down > 0 ? { colour: 'red' as const } : {}) },
        ]
      : [{ text: 'nodes ?' }]),
    { text: 'help, Ctrl-D exits', keep: 1 },
  ];
  const lengthOf = (list: readonly Segment[]) =>
    list.reduce((n, s, i) => n + s.text.length + (i > 0 ? separator.length : 0), 0);
  let shown = segments;
  for (const rank of [1, 2]) {
    if (lengthOf(shown) <= width) break;
    shown = shown.filter((s) => s.keep !== rank);
  }
  return (
    <Text wrap="truncate-end">
      {shown.map((s, i) => (
        <Text key={i}>
          {i > 0 && <Text dimColor>{separator}</Text>}
          <Text {...(s.colour ? { color: s.colour } : { dimColor: true })} bold={s.bold ?? false}>
            {s.text}
          </Text>
        </Text>
      ))}
    </Text>
  );
}
