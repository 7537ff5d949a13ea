/**
 * CPU time of the servers a bench talks to (database and broker processes on this machine), read
 * from /proc, so a bench can print the whole cost of a message beside Node's own. PostgreSQL counts
 * the processes serving this process's databases (backends and autovacuum name the database in their
 * title) and the server's writers, which flush everyone's WAL and pages; other users' backends stay
 * out. MariaDB, Redis and RabbitMQ are single processes and count whole: take those on a quiet machine.
 */
import { readdirSync, readFileSync } from 'node:fs';

/** Process names (`comm`) of the servers, by what the bench calls them. */
const SERVERS: Record<string, string[]> = {
  database: ['postgres', 'mariadbd', 'mysqld'],
  broker: ['redis-server', 'beam.smp'],
};

/** Clock ticks per second of `utime`/`stime` in /proc/<pid>/stat (USER_HZ, 100 on Linux). */
const TICK_MS = 10;

export type ServerCpu = Record<keyof typeof SERVERS, number>;

/** CPU ms used so far by each database and broker process, by pid. */
export type ServerCpuSnapshot = Map<string, { kind: keyof typeof SERVERS; ms: number }>;

/** A snapshot of the servers' processes, or undefined where /proc is missing. */
export function serverCpuSnapshot(): ServerCpuSnapshot | undefined {
  let pids: string[];
  try {
    pids = readdirSync('/proc').filter((name) => /^\d+$/.test(name));
  } catch {
    return undefined;
  }
  const snapshot: ServerCpuSnapshot = new Map();
  for (const pid of pids) {
    let stat: string;
    try {
      stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    } catch {
      continue; // ended meanwhile
    }
    // `comm` is in parentheses and may hold spaces; the fields after it are space-separated.
    const close = stat.lastIndexOf(')');
    const comm = stat.slice(stat.indexOf('(') + 1, close);
    const kind = Object.keys(SERVERS).find((key) => SERVERS[key]!.includes(comm));
    if (kind === undefined) continue;
    if (comm === 'postgres' && !worksForThisProcess(pid)) continue;
    const fields = stat.slice(close + 2).split(' ');
    snapshot.set(pid, { kind, ms: (Number(fields[11]) + Number(fields[12])) * TICK_MS });
  }
  return snapshot;
}

/**
 * CPU ms the servers used since `before`, per process: one that started meanwhile counts whole, one
 * that ended meanwhile (a closed connection's backend) is not seen, so no figure goes negative.
 */
export function serverCpuSince(before: ServerCpuSnapshot, after: ServerCpuSnapshot): ServerCpu {
  const used: ServerCpu = { database: 0, broker: 0 };
  for (const [pid, { kind, ms }] of after) {
    used[kind] += ms - (before.get(pid)?.ms ?? 0);
  }
  return used;
}

/**
 * Names of the databases this process created: `talkto_test_<pid>_…` (test/support/databases.ts)
 * and `scale_<role>_<pid>_…` (bench/scale/scale-database.util.ts).
 */
const OWN_DATABASE = new RegExp(`\\b(?:talkto_test|scale_[a-z_]+)_${process.pid}_`);
const SHARED_WRITERS = /: (walwriter|checkpointer|background writer)\s*$/;

/** Titles read `postgres: 15/main: <user> <database> <client> <state>`, or the writer's name. */
function worksForThisProcess(pid: string): boolean {
  let title: string;
  try {
    title = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
  } catch {
    return false;
  }
  return OWN_DATABASE.test(title) || SHARED_WRITERS.test(title);
}
