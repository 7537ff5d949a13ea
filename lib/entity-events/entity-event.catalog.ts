import { Inject, Injectable, Logger, type OnModuleInit, type Type } from '@nestjs/common';
import { DiscoveryService, MetadataScanner } from '@nestjs/core';
import type { DataSource, EntityMetadata } from 'typeorm';
import type { OnEntityEventMetadata } from '../decorators/on-entity-event.decorator.js';
import { TalktoConfigurationError } from '../errors/talkto-configuration.error.js';
import type { TalktoModuleOptions } from '../interfaces/talkto-module-options.interface.js';
import {
  TALKTO_DATA_SOURCE,
  TALKTO_ENTITY_EVENTS_METADATA,
  TALKTO_MODULE_OPTIONS,
  TALKTO_ON_ENTITY_EVENT_METADATA,
} from '../talkto.constants.js';
import type { TalktoEntityEvent } from './entity-event.interface.js';
import type {
  EntityEventOperation,
  TalktoEntityEventForward,
  TalktoEntityEventsWatch,
} from './interfaces/entity-events-options.interface.js';

const ALL_OPERATIONS: EntityEventOperation[] = ['insert', 'update', 'remove'];

export interface WatchedEntity {
  name: string;
  operations: ReadonlySet<EntityEventOperation>;
  forwards: TalktoEntityEventForward[];
  redact: ReadonlySet<string>;
}

/** A delivery target of an event: a local handler method or a forward to a peer. */
export type EntityEventRecipient =
  | { key: string; kind: 'local'; run: (event: TalktoEntityEvent) => Promise<unknown> }
  | { key: string; kind: 'forward'; target: string; command: string };

/**
 * What is watched (module options merged with `@TalktoEntityEvents` on entity classes) and who
 * listens (`@OnEntityEvent` methods on providers), settled once at boot.
 */
@Injectable()
export class EntityEventCatalog implements OnModuleInit {
  private readonly logger = new Logger('Talkto');
  private readonly watched = new Map<string, WatchedEntity>();
  private readonly handlers = new Map<
    string,
    Array<{
      key: string;
      operations: Set<EntityEventOperation>;
      run: (event: TalktoEntityEvent) => Promise<unknown>;
    }>
  >();

  constructor(
    @Inject(TALKTO_MODULE_OPTIONS) private readonly options: TalktoModuleOptions,
    @Inject(TALKTO_DATA_SOURCE) private readonly dataSource: DataSource,
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
  ) {}

  onModuleInit(): void {
    for (const metadata of this.dataSource.entityMetadatas) {
      const watch = Reflect.getMetadata(TALKTO_ENTITY_EVENTS_METADATA, metadata.target) as
        TalktoEntityEventsWatch | undefined;
      if (watch) this.addWatch(metadata, watch);
    }
    for (const entry of this.options.entityEvents ?? []) {
      this.addWatch(this.metadataOf(entry.entity, 'entityEvents'), entry);
    }
    this.discoverHandlers();
  }

  watchOf(metadata: EntityMetadata): WatchedEntity | undefined {
    return this.watched.get(metadata.name);
  }

  hasWatches(): boolean {
    return this.watched.size > 0;
  }

  /** Everyone an event of this entity and operation goes to, in a stable order. */
  recipientsOf(entity: string, operation: EntityEventOperation): EntityEventRecipient[] {
    const local: EntityEventRecipient[] = (this.handlers.get(entity) ?? [])
      .filter((handler) => handler.operations.has(operation))
      .map((handler) => ({ key: handler.key, kind: 'local', run: handler.run }));
    const forwards: EntityEventRecipient[] = [];
    for (const forward of this.watched.get(entity)?.forwards ?? []) {
      const command = typeof forward.command === 'string' ? forward.command : forward.command[operation];
      if (command) {
        forwards.push({
          key: `forward:${forward.target}:${command}`,
          kind: 'forward',
          target: forward.target,
          command,
        });
      }
    }
    return [...local, ...forwards];
  }

  private addWatch(metadata: EntityMetadata, watch: TalktoEntityEventsWatch): void {
    const previous = this.watched.get(metadata.name);
    const forwards =
      watch.forward === undefined ? [] : Array.isArray(watch.forward) ? watch.forward : [watch.forward];
    for (const forward of forwards) {
      if (!this.options.outgoing?.[forward.target]) {
        throw new TalktoConfigurationError(
          `entityEvents.${metadata.name}.forward`,
          `target [${forward.target}] is not configured in outgoing`,
        );
      }
    }
    this.watched.set(metadata.name, {
      name: metadata.name,
      operations: new Set([...(previous?.operations ?? []), ...(watch.on ?? ALL_OPERATIONS)]),
      forwards: [...(previous?.forwards ?? []), ...forwards],
      redact: new Set([...(previous?.redact ?? []), ...(watch.redact ?? [])]),
    });
  }

  // eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
  private metadataOf(entity: Function | string, key: string): EntityMetadata {
    const found = this.dataSource.entityMetadatas.find((metadata) =>
      typeof entity === 'string' ? metadata.name === entity : metadata.target === entity,
    );
    if (!found) {
      const name = typeof entity === 'string' ? entity : entity.name;
      throw new TalktoConfigurationError(key, `entity [${name}] is not registered in the Talkto DataSource`);
    }
    return found;
  }

  private discoverHandlers(): void {
    for (const wrapper of this.discovery.getProviders()) {
      const instance = wrapper.instance as Record<string, unknown> | undefined;
      const metatype = wrapper.metatype as Type<unknown> | undefined;
      if (!instance || typeof instance !== 'object' || !metatype || !wrapper.isDependencyTreeStatic()) {
        continue;
      }
      const prototype = Object.getPrototypeOf(instance) as object;
      for (const method of this.scanner.getAllMethodNames(prototype)) {
        const marks = Reflect.getMetadata(TALKTO_ON_ENTITY_EVENT_METADATA, prototype, method) as
          OnEntityEventMetadata[] | undefined;
        for (const mark of marks ?? []) {
          const metadata = this.metadataOf(mark.entity, `@OnEntityEvent() on ${metatype.name}.${method}`);
          // A handler widens the watch to its operations; forwards and redaction stay as configured.
          this.addWatch(metadata, { on: mark.operations });
          const list = this.handlers.get(metadata.name) ?? [];
          const key = `${metatype.name}.${method}`;
          const fn = instance[method] as (event: TalktoEntityEvent) => Promise<unknown>;
          const existing = list.find((handler) => handler.key === key);
          if (existing) {
            mark.operations.forEach((operation) => existing.operations.add(operation));
          } else {
            list.push({
              key,
              operations: new Set(mark.operations),
              run: (event) => Promise.resolve(fn.call(instance, event)),
            });
          }
          this.handlers.set(metadata.name, list);
        }
      }
    }
    if (this.watched.size > 0) {
      this.logger.log(`Talkto entity events: ${[...this.watched.keys()].join(', ')}`);
    }
  }
}
