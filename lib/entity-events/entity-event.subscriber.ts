import { createHash } from 'node:crypto';
import { Inject, Injectable, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import type {
  DataSource,
  EntityMetadata,
  EntitySubscriberInterface,
  InsertEvent,
  ObjectLiteral,
  QueryRunner,
  RemoveEvent,
  UpdateEvent,
} from 'typeorm';
import { TalktoClock } from '../clock/talkto.clock.js';
import { AfterCommitSubscriber } from '../persistence/after-commit.subscriber.js';
import { TalktoEntityEventEntity } from '../persistence/entities/entity-event.entity.js';
import { TalktoDispatcher } from '../queue/talkto.dispatcher.js';
import { TALKTO_DATA_SOURCE } from '../talkto.constants.js';
import { EntityEventCatalog, type WatchedEntity } from './entity-event.catalog.js';
import type { EntityEventOperation } from './interfaces/entity-events-options.interface.js';

const REDACTED = '[redacted]';

/**
 * Turns inserts, updates and removes of watched entities into `talkto_entity_events` rows written
 * through the same query runner, so they commit or roll back with the change. Their ids are queued
 * after the outermost commit. Changes made without an entity (query-builder updates and deletes)
 * carry no primary key and raise no event.
 */
@Injectable()
export class EntityEventSubscriber implements EntitySubscriberInterface, OnModuleInit, OnModuleDestroy {
  constructor(
    @Inject(TALKTO_DATA_SOURCE) private readonly dataSource: DataSource,
    private readonly catalog: EntityEventCatalog,
    private readonly afterCommit: AfterCommitSubscriber,
    private readonly dispatcher: TalktoDispatcher,
    private readonly clock: TalktoClock,
  ) {}

  onModuleInit(): void {
    if (!this.dataSource.subscribers.includes(this)) {
      this.dataSource.subscribers.push(this);
    }
  }

  onModuleDestroy(): void {
    const index = this.dataSource.subscribers.indexOf(this);
    if (index >= 0) this.dataSource.subscribers.splice(index, 1);
  }

  async afterInsert(event: InsertEvent<ObjectLiteral>): Promise<void> {
    const columns = event.metadata.columns
      .filter((column) => column.getEntityValue(event.entity) !== undefined)
      .map((column) => column.propertyPath);
    await this.record(event.queryRunner, event.metadata, 'insert', event.entity, columns, event.entity);
  }

  async afterUpdate(event: UpdateEvent<ObjectLiteral>): Promise<void> {
    const entity = event.entity ? Object.assign({}, event.databaseEntity ?? {}, event.entity) : undefined;
    if (!entity) return;
    const columns = event.updatedColumns.map((column) => column.propertyPath);
    if (columns.length === 0 && event.databaseEntity) return; // save() with nothing changed
    await this.record(event.queryRunner, event.metadata, 'update', entity, columns, entity);
  }

  async afterRemove(event: RemoveEvent<ObjectLiteral>): Promise<void> {
    const entity = event.databaseEntity ?? event.entity;
    const key = entity
      ? Object.assign({}, entity, asObject(event.entityId, event.metadata))
      : asObject(event.entityId, event.metadata);
    await this.record(event.queryRunner, event.metadata, 'remove', key, [], null);
  }

  private async record(
    runner: QueryRunner,
    metadata: EntityMetadata,
    operation: EntityEventOperation,
    keySource: ObjectLiteral | undefined,
    changedColumns: string[],
    data: ObjectLiteral | null,
  ): Promise<void> {
    const watch = this.catalog.watchOf(metadata);
    if (!watch || !watch.operations.has(operation) || !keySource) return;
    const idMap = metadata.getEntityIdMap(keySource);
    if (!idMap) return;
    const entityKey = JSON.stringify(plain(idMap));
    const now = this.clock.now();
    const result = await runner.manager.insert(TalktoEntityEventEntity, {
      entityName: metadata.name,
      operation,
      entityKey,
      stream: createHash('sha256').update(`${metadata.name}|${entityKey}`).digest('hex'),
      changedColumns,
      data: data === null ? null : JSON.stringify(snapshot(metadata, data, watch)),
      status: 'pending',
      attempts: 0,
      createdAt: now,
      updatedAt: now,
    });
    const id = Number(result.identifiers[0]!.id);
    const dispatch = async (): Promise<void> => {
      await this.dispatcher.dispatch('event', id);
    };
    if (runner.isTransactionActive) {
      this.afterCommit.defer(runner, dispatch);
    } else {
      await dispatch();
    }
  }
}

function asObject(entityId: unknown, metadata: EntityMetadata): ObjectLiteral {
  if (entityId !== null && typeof entityId === 'object') return entityId as ObjectLiteral;
  const primary = metadata.primaryColumns[0];
  return primary && entityId !== undefined ? { [primary.propertyPath]: entityId } : {};
}

function snapshot(
  metadata: EntityMetadata,
  entity: ObjectLiteral,
  watch: WatchedEntity,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const column of metadata.columns) {
    const value = column.getEntityValue(entity);
    if (value === undefined) continue;
    out[column.propertyPath] = watch.redact.has(column.propertyPath) ? REDACTED : plain(value);
  }
  return out;
}

/** JSON-safe copy: dates as ISO text, bigints as decimal text, buffers as base64. */
function plain(value: unknown): unknown {
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'bigint') return value.toString();
  if (Buffer.isBuffer(value)) return value.toString('base64');
  if (Array.isArray(value)) return value.map(plain);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, plain(inner)]));
  }
  return value;
}
