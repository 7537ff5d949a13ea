import type { ModuleRef } from '@nestjs/core';
import type { SchedulerRegistry } from '@nestjs/schedule';

type ScheduleApi = typeof import('@nestjs/schedule');

/**
 * The host's `SchedulerRegistry`, or null when the host has no `ScheduleModule` (or not the
 * package at all). Looked up, never imported as a module: a second `ScheduleModule.forRoot()`
 * would mount every scheduled method of the host twice.
 */
export async function findSchedulerRegistry(moduleRef: ModuleRef): Promise<SchedulerRegistry | null> {
  let schedule: ScheduleApi;
  try {
    const loaded = (await import('@nestjs/schedule')) as ScheduleApi & { default?: ScheduleApi };
    schedule = loaded.default ?? loaded;
  } catch {
    return null;
  }
  try {
    return moduleRef.get(schedule.SchedulerRegistry, { strict: false });
  } catch {
    return null;
  }
}
