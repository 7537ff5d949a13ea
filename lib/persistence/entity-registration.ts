import type { DynamicModule } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { type ColumnType, DataSource } from 'typeorm';
import { TalktoConfigurationError } from '../errors/talkto-configuration.error.js';
import { TALKTO_ENTITIES } from './entities/talkto.entities.js';
import { TIMESTAMP_TYPE } from './entities/timestamp-column.util.js';

/**
 * Registers the Talkto entities on the host's `TypeOrmModule` connection the Nest way, so a host
 * using `autoLoadEntities: true` needs no entity list. Only the registration is kept: Talkto uses
 * no repository providers, and leaving them out lets a missing connection fail with our message.
 */
export function talktoEntityRegistration(dataSource: DataSource | string | undefined): DynamicModule[] {
  if (dataSource instanceof DataSource) {
    return []; // a DataSource of the host's own making lists its entities itself
  }
  const feature = TypeOrmModule.forFeature(TALKTO_ENTITIES, dataSource);
  return [Object.assign({}, feature, { providers: [], exports: [] })];
}

/** Fails the boot, once, when the connection lacks the Talkto entities, instead of every query later. */
export function assertTalktoEntitiesRegistered(dataSource: DataSource, described: string): void {
  if (!dataSource.isInitialized) {
    return; // its metadata is built on initialize(); the first query says what is missing then
  }
  const missing = TALKTO_ENTITIES.filter((entity) => !dataSource.hasMetadata(entity));
  if (missing.length > 0) {
    throw new TalktoConfigurationError(
      'dataSource',
      `${described} has no metadata for ` +
        `${missing.map((entity) => entity.name).join(', ')}: set autoLoadEntities: true in its ` +
        'TypeOrmModule options, or add ...TALKTO_ENTITIES to its entities',
    );
  }
}

/**
 * TypeORM's drivers recognise a `type: Date` column by comparing it with the global `Date` on every
 * write and read. A host test that fakes timers (vitest's and jest's defaults fake `Date` too)
 * replaces that global, and SQLite is then handed Date objects it cannot bind. Once the DataSource
 * is initialised, Talkto's timestamp columns carry the type name the driver gives `Date` instead
 * (`datetime`, `timestamp without time zone`), which every driver recognises just as well.
 */
export function nameTimestampTypes(dataSource: DataSource): void {
  if (!dataSource.isInitialized) {
    return;
  }
  for (const entity of TALKTO_ENTITIES) {
    for (const column of dataSource.getMetadata(entity).columns) {
      if (column.type !== TIMESTAMP_TYPE) continue;
      const name: unknown = dataSource.driver.normalizeType(column);
      if (typeof name === 'string') column.type = name as ColumnType;
    }
  }
}
