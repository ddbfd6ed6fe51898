import { Text } from 'ink';
import type { RepairProgress } from '../../client/api.js';
import { repairProgressText } from '../format.js';

/** Ranges repaired so far as a bar, with the keys streamed. */
export function ProgressBar({ progress, width }: { progress: RepairProgress | undefined; width: number }) {
  const barWidth = Math.max(10, Math.min(40, width - 40));
  const done = progress?.rangesDone ?? 0;
  const total = progress?.ranges ?? 0;
  const filled = total > 0 ? Math.round((done / total) * barWidth) : 0;
  const percent = total > 0 ? Math.floor((done / total) * 100) : 0;
  return (
    <Text>
      [<Text color="green">{'█'.repeat(filled)}</Text>
      <Text dimColor>{'░'.repeat(barWidth - filled)}</Text>] {String(percent).padStart(3)}%{' '}
      {progress ? repairProgressText(progress) : 'comparing trees'}
    </Text>
  );
}
