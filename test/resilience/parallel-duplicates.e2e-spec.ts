import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { TalktoMessageEntity } from '../../lib/persistence/entities/message.entity.js';
import { TalktoNonceEntity } from '../../lib/persistence/entities/nonce.entity.js';
import type { DatabaseKind } from '../support/databases.js';
import { freePort } from '../support/free-port.js';
import {
  type HttpAdapterKind,
  type QueueKind,
  type RunningTalktoApp,
  startTalktoApp,
} from '../support/talkto-app.js';
import { waitFor } from '../support/wait-for.js';
import { createEffectTable, effectCounts, RecordEffectHandler } from './fixtures/effect-table.js';
import { postBytes, signOnce } from './fixtures/signed-bytes.js';

const SECRET = 'resilience-duplicates-secret-0123456789';
const COPIES = 100;

const CASES: Array<[DatabaseKind, HttpAdapterKind, QueueKind]> = [
  ['postgres', 'express', 'in-process'],
  ['mariadb', 'fastify', 'in-process'],
  ['sqlite', 'express', 'in-process'],
  ['postgres', 'fastify', 'bull'],
  ['postgres', 'express', 'bullmq'],
  ['mariadb', 'fastify', 'bullmq'],
];

describe.each(CASES)(
  `${COPIES} identical signed requests at once on %s over %s with the %s queue`,
  (database, adapter, queue) => {
    let receiver: RunningTalktoApp;
    let url: string;

    beforeAll(async () => {
      const port = await freePort();
      url = `http://127.0.0.1:${port}/api/talkto/receive`;
      receiver = await startTalktoApp({
        database,
        queue,
        adapter,
        port,
        providers: [RecordEffectHandler],
        talkto: {
          service: 'website',
          incoming: { inventory: { secret: SECRET, allowedCommands: ['effects.record'] } },
        },
      });
      await createEffectTable(receiver.dataSource);
    });

    afterAll(async () => {
      await receiver?.close();
    });

    it('stores one row and runs the handler once; every other copy is a duplicate or a nonce replay', async () => {
      const request = signOnce({
        secret: SECRET,
        source: 'inventory',
        target: 'website',
        command: 'effects.record',
        payload: { sku: 'race', quantity: 1 },
      });
      const answers = await Promise.all(
        Array.from({ length: COPIES }, () => postBytes(url, request.headers, request.body)),
      );

      // An identical copy racing the first insert either sees the stored row (200 already_received)
      // or loses the nonce it shares with the winner (409): both are safe for a PHP sender.
      const tally = new Map<string, number>();
      for (const answer of answers) {
        const body = JSON.parse(answer.text) as Record<string, unknown>;
        const kind =
          answer.status === 202 && body.status === 'queued'
            ? 'accepted'
            : answer.status === 200 && body.status === 'already_received' && body.duplicate === true
              ? 'already_received'
              : answer.status === 409 && body.error === 'replay_nonce_reused'
                ? 'replay_nonce_reused'
                : `unexpected ${answer.status} ${answer.text}`;
        tally.set(kind, (tally.get(kind) ?? 0) + 1);
        if (kind !== 'replay_nonce_reused') expect(body.message_id).toBe(request.messageId);
      }
      expect([...tally.keys()].filter((kind) => kind.startsWith('unexpected'))).toEqual([]);
      expect(tally.get('accepted')).toBe(1);

      const messages = receiver.dataSource.getRepository(TalktoMessageEntity);
      const row = await waitFor(async () => {
        const found = await messages.findOneBy({ messageId: request.messageId });
        return found?.overallStatus === 'succeeded' ? found : undefined;
      }, 'the single stored message to succeed');
      expect(row.attempts).toBe(1);
      // Result callbacks add outgoing rows; the incoming side must hold exactly the one message.
      expect(await messages.countBy({ direction: 'incoming' })).toBe(1);
      expect(await receiver.dataSource.getRepository(TalktoNonceEntity).count()).toBe(1);
      const effects = await effectCounts(receiver.dataSource);
      expect([...effects.entries()]).toEqual([[request.messageId, 1]]);

      console.log(
        `[resilience] parallel-duplicates ${database}/${adapter}/${queue}: copies=${COPIES} accepted=${tally.get('accepted')} ` +
          `already_received=${tally.get('already_received') ?? 0} replay_409=${tally.get('replay_nonce_reused') ?? 0} ` +
          `stored_rows=1 handler_runs=${effects.get(request.messageId)} lost=0 double_handled=0`,
      );
    });
  },
);
