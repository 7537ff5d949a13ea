import type { ModuleRef } from '@nestjs/core';
import type { SchedulerRegistry } from '@nestjs/schedule';
import { loadPeerIfInstalled } from '../config/load-optional-peer.util.js';

/**
 * The host's `SchedulerRegistry`, or null when the host has no `ScheduleModule` (or not the
 * package at all). Looked up, never imported as a module: a second `ScheduleModule.forRoot()`
 * would mount every scheduled method of the host twice.
 */
export async function findSchedulerRegistry(moduleRef: ModuleRef): Promise<SchedulerRegistry | null> {
  const schedule = await loadPeerIfInstalled('@nestjs/schedule', () => import('@nestjs/schedule'));
  if (schedule === null) {
    return null;
  }
  try {
    return moduleRef.get(schedule.SchedulerRegistry, { strict: false });
  } catch {
    return null; // installed, but the host has no ScheduleModule
  }
}
