import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Injectable } from '@nestjs/common';
import { TalktoClient, TalktoHandler } from '../../lib/index.js';
import { TalktoAttemptEntity } from '../../lib/persistence/entities/attempt.entity.js';
import { TalktoDeadLetterEntity } from '../../lib/persistence/entities/dead-letter.entity.js';
import { TalktoEventEntity } from '../../lib/persistence/entities/event.entity.js';
import { TalktoMessageEntity } from '../../lib/persistence/entities/message.entity.js';
import { callbackMessageId } from '../../lib/protocol/derived-ids.util.js';
import { freePort } from '../support/free-port.js';
import { type RunningTalktoApp, startTalktoApp } from '../support/talkto-app.js';
import { waitFor } from '../support/wait-for.js';

const COMMAND_SECRET = 'inventory-to-website-secret-redact-0123';
const CALLBACK_SECRET = 'website-to-inventory-secret-redact-4567';
const MASKED = 'vault refused [redacted] (fallback [redacted])';

/** A handler whose error text carries both secrets configured for its peer. */
@Injectable()
@TalktoHandler('vault.unlock')
class LeakingHandler {
  handle(): never {
    throw new Error(`vault refused ${COMMAND_SECRET} (fallback ${CALLBACK_SECRET})`);
  }
}

describe('secrets in handler errors', () => {
  let inventory: RunningTalktoApp;
  let website: RunningTalktoApp;

  beforeAll(async () => {
    const [inventoryPort, websitePort] = [await freePort(), await freePort()];
    website = await startTalktoApp({
      database: 'postgres',
      queue: 'in-process',
      adapter: 'express',
      port: websitePort,
      providers: [LeakingHandler],
      talkto: {
        service: 'website',
        incoming: { inventory: { secret: COMMAND_SECRET, allowedCommands: ['vault.unlock'] } },
        outgoing: { inventory: { baseUrl: `http://127.0.0.1:${inventoryPort}`, secret: CALLBACK_SECRET } },
        // Retried at once until the budget is spent: the message ends failed_final and dead-lettered.
        retry: { incoming: { enabled: true, backoffSeconds: [0] } },
      },
    });
    inventory = await startTalktoApp({
      database: 'postgres',
      queue: 'in-process',
      adapter: 'express',
      port: inventoryPort,
      talkto: {
        service: 'inventory',
        outgoing: { website: { baseUrl: `http://127.0.0.1:${websitePort}`, secret: COMMAND_SECRET } },
        incoming: {
          website: { secret: CALLBACK_SECRET, allowedCommands: { 'talkto.result': { driver: 'none' } } },
        },
      },
    });
  });

  afterAll(async () => {
    await inventory?.close();
    await website?.close();
  });

  it('masks them in last_error, the attempts, the dead letter and the result callback', async () => {
    const sent = await inventory.app.get(TalktoClient).send('website', 'vault.unlock', {});
    const row = (app: RunningTalktoApp, messageId: string, direction: 'incoming' | 'outgoing') =>
      app.dataSource.manager.findOneBy(TalktoMessageEntity, { messageId, direction });

    const received = await waitFor(async () => {
      const found = await row(website, sent.messageId, 'incoming');
      return found?.overallStatus === 'failed_final' ? found : undefined;
    }, 'the command to fail finally');
    expect(received.lastError).toBe(MASKED);
    const attempts = await website.dataSource.manager.findBy(TalktoAttemptEntity, {
      talktoMessageId: received.id,
    });
    expect(attempts.length).toBeGreaterThan(1);
    expect(new Set(attempts.map((attempt) => attempt.errorMessage))).toEqual(new Set([MASKED]));
    const deadLetter = await website.dataSource.manager.findOneByOrFail(TalktoDeadLetterEntity, {
      talktoMessageId: received.id,
    });
    expect(deadLetter).toMatchObject({ failureReason: MASKED, exceptionMessage: MASKED });

    // The callback was delivered and applied: the original now carries its error_message.
    const callback = await waitFor(async () => {
      const found = await row(website, callbackMessageId(sent.messageId, 'failed_retryable'), 'outgoing');
      return found?.overallStatus === 'completed' ? found : undefined;
    }, 'the result callback to be delivered');
    expect(JSON.parse(callback.payload!)).toMatchObject({ error_message: MASKED });
    const original = await row(inventory, sent.messageId, 'outgoing');
    expect(original?.lastError).toBe(MASKED);

    // Nowhere else either: no stored row of either service holds a secret.
    const leaks: string[] = [];
    for (const app of [website, inventory]) {
      for (const entity of [
        TalktoMessageEntity,
        TalktoAttemptEntity,
        TalktoEventEntity,
        TalktoDeadLetterEntity,
      ]) {
        for (const stored of await app.dataSource.manager.find(entity)) {
          const text = JSON.stringify(stored);
          if (text.includes(COMMAND_SECRET) || text.includes(CALLBACK_SECRET)) {
            leaks.push(`${entity.name} ${stored.id}`);
          }
        }
      }
    }
    expect(leaks).toEqual([]);
  });
});
