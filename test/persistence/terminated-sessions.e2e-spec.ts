import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DataSource } from 'typeorm';
import { TalktoClient } from '../../lib/index.js';
import { TalktoMessageEntity } from '../../lib/persistence/entities/message.entity.js';
import { ORDER_PROVIDERS } from '../e2e/fixtures/order-handlers.js';
import { useTalktoPair } from '../support/talkto-pair.js';
import { waitFor } from '../support/wait-for.js';

/** Rounds of cuts while commands arrive; each round ends every session of the receiver's database. */
const CUTS = Number(process.env.TALKTO_SESSION_CUTS ?? 60);
/** Enough to keep the receiver busy through the cuts; more only lengthens the wait behind them. */
const COMMANDS = 320;

/**
 * A receiver whose PostgreSQL sessions are all terminated, again and again, while commands keep
 * arriving. Its pool reconnects meanwhile, and a fresh connection can be ended by the server as
 * soon as it is ready; an `error` event nobody listens to would end the process (here: fail the suite).
 */
describe('a running app whose PostgreSQL sessions are terminated', () => {
  const apps = useTalktoPair({
    commandSecret: 'inventory-to-website-secret-0123456789',
    allowedCommands: ['orders.reserve'],
    receiver: { providers: ORDER_PROVIDERS },
  });
  let admin: DataSource;

  beforeAll(async () => {
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
  });

  it('keeps running, and a command sent afterwards completes its round trip', async () => {
    const client = apps.inventory.app.get(TalktoClient);
    let sending = true;
    const load = (async () => {
      for (let i = 0; sending && i < COMMANDS / 8; i++) {
        await Promise.all(
          Array.from({ length: 8 }, (_, j) =>
            client.send('website', 'orders.reserve', { orderId: `o-${i}-${j}`, quantity: 1 }),
          ),
        );
      }
    })();
    const sessions = async (): Promise<number> => {
      const [row] = (await admin.query('SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1', [
        apps.website.dataSource.options.database,
      ])) as Array<{ n: number }>;
      return row!.n;
    };
    let terminated = 0;
    for (let round = 0; round < CUTS; round++) {
      // Cut once the pool has reconnected: new sessions are the ones that may end as they start.
      await waitFor(async () => (await sessions()) > 0, 'the receiver to reconnect');
      const rows: unknown[] = await admin.query(
        'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1',
        [apps.website.dataSource.options.database],
      );
      terminated += rows.length;
    }
    sending = false;
    await load;
    expect(terminated).toBeGreaterThan(CUTS);

    const sent = await client.send('website', 'orders.reserve', { orderId: 'after-the-cuts', quantity: 1 });
    await waitFor(
      async () =>
        (
          await apps.inventory.dataSource.manager.findOneBy(TalktoMessageEntity, {
            messageId: sent.messageId,
          })
        )?.overallStatus === 'completed',
      'the command sent after the cuts to complete',
      60_000,
    );
  });
});
