import type { Provider } from '@nestjs/common';
import { EntityEventCatalog } from './entity-event.catalog.js';
import { EntityEventPipeline } from './entity-event.pipeline.js';
import { EntityEventStore } from './entity-event.store.js';
import { EntityEventSubscriber } from './entity-event.subscriber.js';
import { EntityEventWorkers } from './entity-event.workers.js';

/** Everything behind entity lifecycle events; idle when nothing is watched. */
export const ENTITY_EVENT_PROVIDERS: Provider[] = [
  EntityEventCatalog,
  EntityEventStore,
  EntityEventSubscriber,
  EntityEventPipeline,
  EntityEventWorkers,
];
