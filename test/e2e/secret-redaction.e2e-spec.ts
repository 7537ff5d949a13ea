import { describe, expect, it } from '@jest/globals';
import { Injectable } from '@nestjs/common';
import { TalktoClient, TalktoHandler } from '../../lib/index.js';
import { TalktoAttemptEntity } from '../../lib/persistence/entities/attempt.entity.js';
import { TalktoDeadLetterEntity } from '../../lib/persistence/entities/dead-letter.entity.js';
import { TalktoEventEntity } from '../../lib/persistence/entities/event.entity.js';
import { TalktoMessageEntity } from '../../lib/persistence/entities/message.entity.js';
import { callbackMessageId } from '../../lib/protocol/derived-ids.util.js';
import type { RunningTalktoApp } from '../support/talkto-app.js';
import { useTalktoPair } from '../support/talkto-pair.js';
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
  const apps = useTalktoPair({
    commandSecret: COMMAND_SECRET,
    callbackSecret: CALLBACK_SECRET,
    allowedCommands: ['vault.unlock'],
    receiver: {
      providers: [LeakingHandler],
      // Retried at once until the budget is spent: the message ends failed_final and dead-lettered.
      talkto: { retry: { incoming: { enabled: true, backoffSeconds: [0] } } },
    },
  });

  it('masks them in last_error, the attempts, the dead letter and the result callback', async () => {
    const sent = await apps.inventory.app.get(TalktoClient).send('website', 'vault.unlock', {});
    const row = (app: RunningTalktoApp, messageId: string, direction: 'incoming' | 'outgoing') =>
      app.dataSource.manager.findOneBy(TalktoMessageEntity, { messageId, direction });

    const received = await waitFor(async () => {
      const found = await row(apps.website, sent.messageId, 'incoming');
      return found?.overallStatus === 'failed_final' ? found : undefined;
    }, 'the command to fail finally');
    expect(received.lastError).toBe(MASKED);
    const attempts = await apps.website.dataSource.manager.findBy(TalktoAttemptEntity, {
      talktoMessageId: received.id,
    });
    expect(attempts.length).toBeGreaterThan(1);
    expect(new Set(attempts.map((attempt) => attempt.errorMessage))).toEqual(new Set([MASKED]));
    const deadLetter = await apps.website.dataSource.manager.findOneByOrFail(TalktoDeadLetterEntity, {
      talktoMessageId: received.id,
    });
    expect(deadLetter).toMatchObject({ failureReason: MASKED, exceptionMessage: MASKED });

    // The callback was delivered and applied: the original now carries its error_message.
    const callback = await waitFor(async () => {
      const found = await row(
        apps.website,
        callbackMessageId(sent.messageId, 'failed_retryable'),
        'outgoing',
      );
      return found?.overallStatus === 'completed' ? found : undefined;
    }, 'the result callback to be delivered');
    expect(JSON.parse(callback.payload!)).toMatchObject({ error_message: MASKED });
    const original = await row(apps.inventory, sent.messageId, 'outgoing');
    expect(original?.lastError).toBe(MASKED);

    // Nowhere else either: no stored row of either service holds a secret.
    const leaks: string[] = [];
    for (const app of [apps.website, apps.inventory]) {
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
