/**
 * CPU time and memory of a process, read from outside through /proc (Linux): utime + stime of
 * /proc/<pid>/stat in clock ticks, and VmRSS / VmHWM (peak resident set) of /proc/<pid>/status.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

let ticksPerSecond: number | undefined;

/** Clock ticks per second of /proc/<pid>/stat (`getconf CLK_TCK`, nearly always 100). */
function clkTck(): number {
  if (ticksPerSecond === undefined) {
    try {
      ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;
    } catch {
      ticksPerSecond = 100;
    }
  }
  return ticksPerSecond;
}

/** CPU seconds (user + system) the process has used so far. */
export function cpuSeconds(pid: number): number {
  const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // the command name may contain spaces: fields start after the last ')'
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  // fields[0] is field 3 (state); utime is field 14, stime field 15
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  return (utime + stime) / clkTck();
}

/** Resident set now and at its peak, MB. */
export function memoryMb(pid: number): { rss: number; peak: number } {
  const text = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? Number.NaN);
  return { rss: kb('VmRSS') / 1024, peak: kb('VmHWM') / 1024 };
}

/** A CPU meter over a window: start(), then stop() gives % of one core over the window. */
export class CpuWindow {
  private readonly startCpu: number[];
  private readonly startAt = performance.now();

  constructor(private readonly pids: number[]) {
    this.startCpu = pids.map(cpuSeconds);
  }

  /** % of one core each process used since construction. */
  stop(): number[] {
    const seconds = (performance.now() - this.startAt) / 1000;
    return this.pids.map((pid, i) => ((cpuSeconds(pid) - this.startCpu[i]!) / seconds) * 100);
  }
}
