import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DataSource } from 'typeorm';
import { TalktoMessageEntity } from '../../lib/persistence/entities/message.entity.js';
import { ORDER_PROVIDERS } from '../e2e/fixtures/order-handlers.js';
import { freePort } from '../support/free-port.js';
import { postInventoryCommand } from '../support/signed-request.js';
import { type RunningTalktoApp, startTalktoApp } from '../support/talkto-app.js';
import { waitFor } from '../support/wait-for.js';

const SECRET = 'inventory-to-website-secret-0123456789';
/** Rounds of cuts while commands arrive; each round ends every session of the app's database. */
const CUTS = Number(process.env.TALKTO_SESSION_CUTS ?? 40);

/**
 * A receiver whose PostgreSQL sessions are all terminated, again and again, while commands keep
 * arriving. The pool reconnects meanwhile, and a fresh connection can be ended by the server as
 * soon as it is ready; an `error` event nobody listens to would end the process (here: fail the suite).
 */
describe('a running app whose PostgreSQL sessions are terminated', () => {
  let website: RunningTalktoApp;
  let admin: DataSource;

  beforeAll(async () => {
    website = await startTalktoApp({
      database: 'postgres',
      queue: 'in-process',
      adapter: 'express',
      port: await freePort(),
      providers: ORDER_PROVIDERS,
      talkto: {
        service: 'website',
        callbacks: { enabled: false },
        incoming: { inventory: { secret: SECRET, allowedCommands: ['orders.reserve'] } },
      },
    });
    admin = await new DataSource({
      type: 'postgres',
      host: '127.0.0.1',
      port: 5432,
      username: 'postgres',
      database: 'test',
    }).initialize();
  });

  afterAll(async () => {
    await admin?.destroy();
    await website?.close();
  });

  it('keeps running and takes and handles commands afterwards', async () => {
    let arriving = true;
    const load = (async () => {
      for (let i = 0; arriving; i++) {
        // Refusals and errors while the database is cut are expected; only the process matters here.
        await Promise.allSettled(
          Array.from({ length: 8 }, (_, j) =>
            postInventoryCommand(website.url, SECRET, 'orders.reserve', {
              orderId: `o-${i}-${j}`,
              quantity: 1,
            }),
          ),
        );
      }
    })();
    let terminated = 0;
    for (let round = 0; round < CUTS; round++) {
      const rows: unknown[] = await admin.query(
        'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1',
        [website.dataSource.options.database],
      );
      terminated += rows.length;
      // Let the pool reconnect before the next cut.
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    arriving = false;
    await load;
    expect(terminated).toBeGreaterThan(CUTS);

    const answer = await postInventoryCommand(website.url, SECRET, 'orders.reserve', {
      orderId: 'after-the-cuts',
      quantity: 1,
    });
    expect(answer.status).toBe(202);
    await waitFor(
      async () =>
        (await website.dataSource.manager.findOneBy(TalktoMessageEntity, { messageId: answer.messageId }))
          ?.overallStatus === 'succeeded',
      'the command after the cuts to be handled',
    );
  });
});
