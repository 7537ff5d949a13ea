import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { getQueueToken as bullQueueToken } from '@nestjs/bull';
import { getQueueToken as bullMqQueueToken } from '@nestjs/bullmq';
import type Bull from 'bull';
import type { Queue as BullMqQueue } from 'bullmq';
import { Redis } from 'ioredis';
import { TalktoClient } from '../../lib/index.js';
import { TalktoMessageEntity } from '../../lib/persistence/entities/message.entity.js';
import { callbackMessageId } from '../../lib/protocol/derived-ids.util.js';
import { TALKTO_REGISTERED_QUEUES } from '../../lib/queue/queue.constants.js';
import type { TalktoQueueName } from '../../lib/queue/talkto-queue.port.js';
import { freePort } from '../support/free-port.js';
import { type RunningTalktoApp, startTalktoApp } from '../support/talkto-app.js';
import { waitFor } from '../support/wait-for.js';
import { ORDER_PROVIDERS } from './fixtures/order-handlers.js';

const SECRET = 'inventory-website-jobs-secret-0123456789';
const COMMANDS = 3;

type RedisQueueKind = 'bull' | 'bullmq';

const redis = new Redis('redis://127.0.0.1:6379', { lazyConnect: true });
afterAll(() => redis.quit());

/** Jobs ever added to one of an app's queues: the queue's job id counter in Redis. */
async function jobsAdded(app: RunningTalktoApp, kind: RedisQueueKind, queue: TalktoQueueName) {
  const name = TALKTO_REGISTERED_QUEUES[queue];
  const key =
    kind === 'bull'
      ? app.app.get<Bull.Queue>(bullQueueToken(name)).toKey('id')
      : app.app.get<BullMqQueue>(bullMqQueueToken(name)).toKey('id');
  return Number((await redis.get(key)) ?? 0);
}

/**
 * With result callbacks on, one command costs two queue jobs: the sender's send and the
 * receiver's handler run, which also sends the result callback it committed.
 */
describe.each<RedisQueueKind>(['bull', 'bullmq'])('queue jobs per command on %s', (queue) => {
  let inventory: RunningTalktoApp;
  let website: RunningTalktoApp;

  beforeAll(async () => {
    const [inventoryPort, websitePort] = [await freePort(), await freePort()];
    website = await startTalktoApp({
      database: 'postgres',
      queue,
      adapter: 'express',
      port: websitePort,
      providers: ORDER_PROVIDERS,
      talkto: {
        service: 'website',
        incoming: { inventory: { secret: SECRET, allowedCommands: ['orders.reserve'] } },
        outgoing: { inventory: { baseUrl: `http://127.0.0.1:${inventoryPort}`, secret: SECRET } },
      },
    });
    inventory = await startTalktoApp({
      database: 'postgres',
      queue,
      adapter: 'express',
      port: inventoryPort,
      talkto: {
        service: 'inventory',
        outgoing: { website: { baseUrl: `http://127.0.0.1:${websitePort}`, secret: SECRET } },
        incoming: {
          website: { secret: SECRET, allowedCommands: { 'talkto.result': { driver: 'none' } } },
        },
      },
    });
  });

  afterAll(async () => {
    await inventory?.close();
    await website?.close();
  });

  it('sends the result callback from the handler’s job: two jobs per command, none on the callback queue', async () => {
    const client = inventory.app.get(TalktoClient);
    const sent = await Promise.all(
      Array.from({ length: COMMANDS }, (_, n) =>
        client.send('website', 'orders.reserve', { orderId: `jobs-${n}`, quantity: 1 }),
      ),
    );
    for (const { messageId } of sent) {
      await waitFor(async () => {
        const row = await website.dataSource
          .getRepository(TalktoMessageEntity)
          .findOneBy({ messageId: callbackMessageId(messageId, 'succeeded'), direction: 'outgoing' });
        return row?.overallStatus === 'completed' ? row : undefined;
      }, `the callback of ${messageId} to be delivered`);
      await waitFor(async () => {
        const row = await inventory.dataSource
          .getRepository(TalktoMessageEntity)
          .findOneBy({ messageId, direction: 'outgoing' });
        return row?.overallStatus === 'completed' ? row : undefined;
      }, `${messageId} to be completed`);
    }

    expect({
      send: await jobsAdded(inventory, queue, 'send'),
      process: await jobsAdded(website, queue, 'process'),
      callback: await jobsAdded(website, queue, 'callback'),
    }).toEqual({ send: COMMANDS, process: COMMANDS, callback: 0 });
  });
});
