import { Box, Text } from 'ink';
import type { RingkvError } from '../../protocol/errors.js';
import { describeError } from '../format.js';
import { maxShownChars } from '../long-line.js';
import { CutText } from './cut-text.js';

/** An expected failure: its stable code, what happened, and what to try. */
export function ErrorView({ error }: { error: RingkvError }) {
  const view = describeError(error);
  return (
    <Box flexDirection="column">
      <Text>
        <Text color="red" bold>
          {view.code}
        </Text>
        : <CutText text={view.message} maxChars={maxShownChars} />
      </Text>
      {view.hint && <Text color="yellow">try: {view.hint}</Text>}
    </Box>
  );
}
