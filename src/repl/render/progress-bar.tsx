import { Text } from 'ink';
import type { RepairProgress } from '../../client/api.js';
import { barCells, repairProgressText } from '../format.js';

/** Ranges repaired so far as a bar, failed ones in red, with the keys streamed. */
export function ProgressBar({ progress, width }: { progress: RepairProgress | undefined; width: number }) {
  const barWidth = Math.max(10, Math.min(40, width - 40));
  const cells = barCells(progress, barWidth);
  const total = progress?.ranges ?? 0;
  const percent = total > 0 ? Math.floor(((progress?.rangesDone ?? 0) / total) * 100) : 0;
  return (
    <Text>
      [<Text color="green">{'█'.repeat(cells.repaired)}</Text>
      <Text color="red">{'█'.repeat(cells.failed)}</Text>
      <Text dimColor>{'░'.repeat(cells.todo)}</Text>] {String(percent).padStart(3)}%{' '}
      {progress ? repairProgressText(progress) : 'comparing trees'}
    </Text>
  );
}
