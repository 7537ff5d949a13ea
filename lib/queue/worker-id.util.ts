import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';

/** Who holds a claim: role, host and process, plus a random part so two pipelines never look alike. */
export function createWorkerId(role: string): string {
  return `${role}:${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
}
