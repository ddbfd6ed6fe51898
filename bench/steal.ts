import { readFileSync } from 'node:fs';

/** All CPU time and the part of it the hypervisor gave other guests, in ticks since boot. */
export interface CpuTicks {
  steal: number;
  total: number;
}

/** The machine's CPU ticks from /proc/stat; undefined where there is none (not Linux). */
function cpuTicks(): CpuTicks | undefined {
  try {
    return parseCpuTicks(readFileSync('/proc/stat', 'utf8'));
  } catch {
    return undefined;
  }
}

/** The first line of /proc/stat: cpu user nice system idle iowait irq softirq steal guest guest_nice. */
export function parseCpuTicks(stat: string): CpuTicks | undefined {
  const [label, ...rest] = stat.split('\n')[0]?.trim().split(/\s+/) ?? [];
  // guest and guest_nice are already counted in user and nice.
  const fields = rest.slice(0, 8).map(Number);
  if (label !== 'cpu' || fields.length < 8 || fields.some((n) => !Number.isFinite(n))) return undefined;
  return { steal: fields[7] as number, total: fields.reduce((a, b) => a + b, 0) };
}

/**
 * How much CPU the hypervisor took away while each part of a benchmark ran. On a shared virtual
 * machine a part that ran while other guests were busy had less machine than the others, and a
 * ratio between it and them says less; this says when that happened.
 */
export class StealLog {
  /** Ticks summed by part, in the order parts first ran; a part may run in several turns. */
  readonly #parts = new Map<string, CpuTicks>();
  readonly #read: () => CpuTicks | undefined;

  constructor(read: () => CpuTicks | undefined = cpuTicks) {
    this.#read = read;
  }

  async measure<T>(part: string, run: () => Promise<T>): Promise<T> {
    const before = this.#read();
    const result = await run();
    const after = this.#read();
    if (before && after) {
      const sum = this.#parts.get(part) ?? { steal: 0, total: 0 };
      this.#parts.set(part, {
        steal: sum.steal + after.steal - before.steal,
        total: sum.total + after.total - before.total,
      });
    }
    return result;
  }

  /** One line for the report, or undefined when nothing could be measured. */
  summary(): string | undefined {
    const each = [...this.#parts]
      .filter(([, t]) => t.total > 0)
      .map(([part, t]) => `${part} ${((t.steal / t.total) * 100).toFixed(0)}%`);
    if (each.length === 0) return undefined;
    return `CPU taken by the hypervisor for other guests (steal) while each part ran: ${each.join(', ')}.`;
  }
}
