import { Box, Text } from 'ink';
import type { Session } from '../commands.js';
import type { Topology } from '../session.js';

/** The bottom line: where the session points and how much of the cluster is up, kept live. */
export function StatusLine({
  contact,
  session,
  topology,
}: {
  contact: string;
  session: Session;
  topology: Topology | undefined;
}) {
  return (
    <Box>
      <Text dimColor>
        {contact} · CL <Text bold>{session.cl}</Text> · keyspace <Text bold>{session.keyspace}</Text> ·
        tracing {session.tracing ? 'on' : 'off'} ·{' '}
      </Text>
      {topology ? (
        <Text>
          <Text color="green">{topology.up} UP</Text>
          <Text dimColor> · </Text>
          <Text {...(topology.down > 0 ? { color: 'red' } : { dimColor: true })}>{topology.down} DOWN</Text>
        </Text>
      ) : (
        <Text dimColor>nodes ?</Text>
      )}
      <Text dimColor> · help, Ctrl-D exits</Text>
    </Box>
  );
}
