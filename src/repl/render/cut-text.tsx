import { Text } from 'ink';
import { shortened } from '../long-line.js';

/**
 * A text drawn whole when it is short, otherwise its start, then an ellipsis and its length,
 * dimmed (long-line.ts says why). It goes inside a <Text>, whose colour the start keeps.
 */
export function CutText({ text, maxChars, note }: { text: string; maxChars: number; note?: string }) {
  const head = shortened(text, maxChars);
  if (head === undefined) return <>{text}</>;
  return (
    <>
      {head}
      <Text dimColor>
        … ({text.length} chars{note === undefined ? '' : `; ${note}`})
      </Text>
    </>
  );
}
