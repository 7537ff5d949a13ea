import { Inject, Injectable } from '@nestjs/common';
import { TalktoClock } from '../clock/talkto.clock.js';
import type { TalktoModuleOptions } from '../interfaces/talkto-module-options.interface.js';
import { TalktoClient } from '../outgoing/talkto.client.js';
import type { TalktoEntityEventDeliveryEntity } from '../persistence/entities/entity-event-delivery.entity.js';
import type { TalktoEntityEventEntity } from '../persistence/entities/entity-event.entity.js';
import { TalktoDispatcher } from '../queue/talkto.dispatcher.js';
import { TALKTO_MODULE_OPTIONS } from '../talkto.constants.js';
import { EntityEventCatalog, type EntityEventRecipient } from './entity-event.catalog.js';
import type { TalktoEntityEvent } from './entity-event.interface.js';
import { EntityEventStore } from './entity-event.store.js';
import { createWorkerId } from '../queue/worker-id.util.js';

const DEFAULT_BACKOFF_SECONDS = [10, 30, 60, 120, 300];
const DEFAULT_MAX_ATTEMPTS = 5;
const LEASE_MS = 300_000;

/**
 * Delivers one entity event: waits its turn behind earlier events of the same row, runs every
 * recipient that is due (each failure is retried or dead-lettered on its own row and never stops
 * the others), then either finishes the event and wakes the next one, or schedules the next round.
 */
@Injectable()
export class EntityEventPipeline {
  private readonly workerId = createWorkerId('events');

  constructor(
    @Inject(TALKTO_MODULE_OPTIONS) private readonly options: TalktoModuleOptions,
    private readonly store: EntityEventStore,
    private readonly catalog: EntityEventCatalog,
    private readonly client: TalktoClient,
    private readonly dispatcher: TalktoDispatcher,
    private readonly clock: TalktoClock,
  ) {}

  async run(id: number): Promise<void> {
    const event = await this.store.claim(id, this.workerId, LEASE_MS, this.clock.now());
    if (!event) return;
    if (await this.store.hasEarlierUnfinished(event)) {
      await this.store.release(event.id, this.workerId, this.clock.now());
      // The blocker may have finished between our check and the release, looking for us in vain.
      if (!(await this.store.hasEarlierUnfinished(event))) {
        await this.dispatcher.dispatch('event', event.id);
      }
      return;
    }
    const recipients = this.catalog.recipientsOf(event.entityName, event.operation);
    const deliveries = await this.store.deliveriesFor(
      event.id,
      recipients.map((recipient) => recipient.key),
      this.clock.now(),
    );
    const payload = toHandlerEvent(event);
    let nextRound = null as Date | null;
    let failed = false;
    let lastError: string | null = null;
    for (const delivery of deliveries) {
      const outcome = await this.deliver(delivery, recipients, payload, event);
      if (outcome.kind === 'later') {
        nextRound = nextRound === null || outcome.at < nextRound ? outcome.at : nextRound;
        lastError = outcome.error ?? lastError;
      }
      failed ||= outcome.kind === 'dead';
    }
    const now = this.clock.now();
    if (nextRound !== null) {
      await this.store.reschedule(event.id, this.workerId, nextRound, lastError, now);
      await this.dispatcher.dispatch('event', event.id, {
        delayMs: Math.max(0, nextRound.getTime() - now.getTime()),
      });
      return;
    }
    await this.store.finish(event.id, this.workerId, failed ? 'failed' : 'delivered', now);
    const next = await this.store.nextInStream(event);
    if (next !== null) await this.dispatcher.dispatch('event', next);
  }

  private async deliver(
    delivery: TalktoEntityEventDeliveryEntity,
    recipients: EntityEventRecipient[],
    payload: TalktoEntityEvent,
    event: TalktoEntityEventEntity,
  ): Promise<{ kind: 'done' } | { kind: 'dead' } | { kind: 'later'; at: Date; error?: string }> {
    if (delivery.status === 'succeeded') return { kind: 'done' };
    if (delivery.status === 'dead_lettered') return { kind: 'dead' };
    const now = this.clock.now();
    if (delivery.status === 'retry_scheduled' && delivery.nextAttemptAt && delivery.nextAttemptAt > now) {
      return { kind: 'later', at: delivery.nextAttemptAt };
    }
    const attempts = delivery.attempts + 1;
    const recipient = recipients.find((candidate) => candidate.key === delivery.handler);
    if (!recipient) {
      const error = 'No handler or forward with this key is registered any more.';
      await this.store.markDelivery(delivery.id, 'dead_lettered', { attempts, lastError: error }, now);
      return { kind: 'dead' };
    }
    try {
      if (recipient.kind === 'local') {
        await recipient.run(payload);
      } else {
        await this.client.send(recipient.target, recipient.command, forwardPayload(payload), {
          idempotencyKey: `talkto-entity-event:${event.id}`,
          businessKey: `${event.entityName}:${event.entityKey}`.slice(0, 191),
        });
      }
      await this.store.markDelivery(delivery.id, 'succeeded', { attempts }, this.clock.now());
      return { kind: 'done' };
    } catch (caught) {
      const error = caught instanceof Error ? caught.message : String(caught);
      const failedAt = this.clock.now();
      const max = this.options.entityEventDelivery?.maxAttempts ?? DEFAULT_MAX_ATTEMPTS;
      if (attempts >= max) {
        await this.store.markDelivery(delivery.id, 'dead_lettered', { attempts, lastError: error }, failedAt);
        return { kind: 'dead' };
      }
      const backoff = this.options.entityEventDelivery?.backoffSeconds ?? DEFAULT_BACKOFF_SECONDS;
      const seconds = backoff[Math.min(attempts - 1, backoff.length - 1)] ?? 0;
      const at = new Date(failedAt.getTime() + seconds * 1000);
      await this.store.markDelivery(
        delivery.id,
        'retry_scheduled',
        { attempts, nextAttemptAt: at, lastError: error },
        failedAt,
      );
      return { kind: 'later', at, error };
    }
  }
}

function toHandlerEvent(event: TalktoEntityEventEntity): TalktoEntityEvent {
  return {
    id: event.id,
    entity: event.entityName,
    operation: event.operation,
    key: JSON.parse(event.entityKey) as Record<string, unknown>,
    changedColumns: event.changedColumns ?? [],
    data: event.data === null ? null : (JSON.parse(event.data) as Record<string, unknown>),
    occurredAt: event.createdAt ?? new Date(0),
  };
}

/** The remote command's payload: snake_case like the rest of the wire. */
function forwardPayload(event: TalktoEntityEvent): Record<string, unknown> {
  return {
    event_id: event.id,
    entity: event.entity,
    operation: event.operation,
    key: event.key,
    changed_columns: event.changedColumns,
    data: event.data,
    occurred_at: event.occurredAt.toISOString(),
  };
}
