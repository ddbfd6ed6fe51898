import { readFileSync } from 'node:fs';

/** All CPU time and the part of it the hypervisor gave other guests, in ticks since boot. */
interface CpuTicks {
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
  readonly #phases: { name: string; share: number }[] = [];

  async measure<T>(name: string, run: () => Promise<T>): Promise<T> {
    const before = cpuTicks();
    const result = await run();
    const after = cpuTicks();
    if (before && after && after.total > before.total) {
      this.#phases.push({ name, share: (after.steal - before.steal) / (after.total - before.total) });
    }
    return result;
  }

  /** One line for the report, or undefined when nothing could be measured. */
  summary(): string | undefined {
    if (this.#phases.length === 0) return undefined;
    const each = this.#phases.map((p) => `${p.name} ${(p.share * 100).toFixed(0)}%`).join(', ');
    return `CPU taken by the hypervisor for other guests (steal) while each part ran: ${each}.`;
  }
}
