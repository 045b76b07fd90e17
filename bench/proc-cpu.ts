/**
 * CPU time by process group over a window, from /proc (Linux): where a variant's work went — the bench
 * process (client and, for voice, the producer), the worker child, PostgreSQL's and Redis's processes.
 * A process that started or ended inside the window is not counted (PostgreSQL backends of the pools
 * live through it; a short-lived one is a connection the bench did not keep).
 */
import { readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';

const TICKS_PER_SECOND = 100; // USER_HZ on Linux x86-64 and arm64

export interface CpuGroups {
  /** Named pids, e.g. { bench: process.pid, worker: child.pid }. */
  pids: Record<string, number>;
  /** Groups by the process's name (comm), e.g. { postgres: 'postgres', redis: 'redis-server' }. */
  commands: Record<string, string>;
}

type Sample = Map<number, { group: string; ticks: number }>;

function readStat(pid: number): { comm: string; ticks: number } | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // comm is in parentheses and may hold spaces: the fields after it start at the last ')'.
    const close = stat.lastIndexOf(')');
    const comm = stat.slice(stat.indexOf('(') + 1, close);
    const fields = stat.slice(close + 2).split(' ');
    return { comm, ticks: Number(fields[11]) + Number(fields[12]) }; // utime + stime
  } catch {
    return null;
  }
}

function sample(groups: CpuGroups): Sample {
  const out: Sample = new Map();
  const byPid = new Map(Object.entries(groups.pids).map(([group, pid]) => [pid, group]));
  const byComm = new Map(Object.entries(groups.commands).map(([group, comm]) => [comm, group]));
  for (const entry of readdirSync('/proc')) {
    const pid = Number(entry);
    if (!Number.isInteger(pid)) continue;
    const named = byPid.get(pid);
    const stat = named || byComm.size > 0 ? readStat(pid) : null;
    if (!stat) continue;
    const group = named ?? byComm.get(stat.comm);
    if (group) out.set(pid, { group, ticks: stat.ticks });
  }
  return out;
}

/** Starts a window; `stop()` returns CPU milliseconds per group (and `machine`: all cores' busy time). */
export function startCpuWindow(groups: CpuGroups): { stop: () => Record<string, number> } {
  if (process.platform !== 'linux') return { stop: () => ({}) };
  const before = sample(groups);
  const busyBefore = machineBusyTicks();
  return {
    stop() {
      const after = sample(groups);
      const ms: Record<string, number> = {};
      for (const group of [...Object.keys(groups.pids), ...Object.keys(groups.commands)]) ms[group] = 0;
      for (const [pid, a] of after) {
        const b = before.get(pid);
        if (b) ms[a.group]! += ((a.ticks - b.ticks) * 1000) / TICKS_PER_SECOND;
      }
      ms['machine'] = ((machineBusyTicks() - busyBefore) * 1000) / TICKS_PER_SECOND;
      return ms;
    },
  };
}

/** Busy ticks of all cores together (user, nice, system, irq, softirq, steal) since boot. */
function machineBusyTicks(): number {
  const cpu = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0, steal = 0] = cpu;
  return user + nice + system + irq + softirq + steal;
}

export const CORES = os.cpus().length;
