import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { TalktoClient } from '../../lib/index.js';
import { TalktoMessageEntity } from '../../lib/persistence/entities/message.entity.js';
import type { DatabaseKind } from '../support/databases.js';
import { freePort } from '../support/free-port.js';
import { byTransaction, StatementLog, UNCOUNTED } from '../support/statement-log.js';
import { type RunningTalktoApp, startTalktoApp } from '../support/talkto-app.js';
import { waitFor } from '../support/wait-for.js';
import { ORDER_PROVIDERS } from './fixtures/order-handlers.js';

const SECRET = 'inventory-to-website-secret-0123456789';
const BACK = 'website-to-inventory-secret-0123456789';

/**
 * What one command costs the database: every statement each side sends, named by what it writes,
 * for a command sent, handled and (with callbacks on) answered, one command at a time (so nothing
 * is batched or shares a commit with another command). The lists are the breakdown
 * docs/performance.md gives; a change that adds a statement fails here.
 */
const EXPECTED: Record<DatabaseKind, Record<'off' | 'on', { sender: string[]; receiver: string[] }>> = {
  // One statement per step; a success also closes a reprocessed dead letter, if any, in it.
  postgres: {
    off: {
      sender: [
        'insert messages+events', // send(): the row and message_created
        'update messages, insert attempts+events', // the claim for the send
        'update messages+attempts, insert events, update dead_letters, insert events', // markSent
      ],
      receiver: [
        'insert nonces+messages+events', // the receive route
        'update messages, insert attempts+events', // the claim for the handler
        // the outcome and result_callback_skipped
        'update messages+attempts, insert events, update dead_letters, insert events+events',
      ],
    },
    on: {
      sender: [
        'insert messages+events',
        'update messages, insert attempts+events',
        'update messages+attempts, insert events, update dead_letters, insert events',
        // the callback route: its nonce and the result applied to the row markSent left
        'insert nonces, update messages, insert events+events',
      ],
      receiver: [
        'insert nonces+messages+events',
        'update messages, insert attempts+events',
        // the outcome, the callback row with its message_created, and result_callback_queued
        'update messages+attempts, insert events, update dead_letters, insert events+messages+events+events',
        'update messages, insert attempts+events', // the callback's claim
        'update messages+attempts, insert events, update dead_letters, insert events', // delivered
      ],
    },
  },
  // The same steps, each a transaction (on SQLite a savepoint of a shared one).
  sqlite: {
    off: {
      sender: [
        'begin · savepoint · insert messages · insert events · release · commit',
        'begin · savepoint · update messages · insert attempts · insert events · release · commit',
        'begin · savepoint · update messages · update attempts · insert events · update dead_letters · release · commit',
      ],
      receiver: [
        'begin · savepoint · insert nonces · insert messages · insert events · release · commit',
        'begin · savepoint · update messages · insert attempts · insert events · release · commit',
        'begin · savepoint · update messages · update attempts · insert events · update dead_letters · insert events · release · commit',
      ],
    },
    on: {
      sender: [
        'begin · savepoint · insert messages · insert events · release · commit',
        'begin · savepoint · update messages · insert attempts · insert events · release · commit',
        'begin · savepoint · update messages · update attempts · insert events · update dead_letters · release · commit',
        'begin · savepoint · insert nonces · update messages · insert events · insert events · release · commit',
      ],
      receiver: [
        'begin · savepoint · insert nonces · insert messages · insert events · release · commit',
        'begin · savepoint · update messages · insert attempts · insert events · release · commit',
        'begin · savepoint · update messages · update attempts · insert events · update dead_letters · insert messages · insert events · insert events · release · commit',
        'begin · savepoint · update messages · insert attempts · insert events · release · commit',
        'begin · savepoint · update messages · update attempts · insert events · update dead_letters · release · commit',
      ],
    },
  },
  mariadb: {
    off: {
      sender: [
        'begin · insert messages · insert events · commit',
        'begin · update messages · insert attempts · insert events · commit',
        'begin · update messages · update attempts · insert events · update dead_letters · commit',
      ],
      receiver: [
        'begin · insert nonces · insert messages · insert events · commit',
        'begin · update messages · insert attempts · insert events · commit',
        'begin · update messages · update attempts · insert events · update dead_letters · insert events · commit',
      ],
    },
    on: {
      sender: [
        'begin · insert messages · insert events · commit',
        'begin · update messages · insert attempts · insert events · commit',
        'begin · update messages · update attempts · insert events · update dead_letters · commit',
        'begin · insert nonces · update messages · insert events · insert events · commit',
      ],
      receiver: [
        'begin · insert nonces · insert messages · insert events · commit',
        'begin · update messages · insert attempts · insert events · commit',
        'begin · update messages · update attempts · insert events · update dead_letters · insert messages · insert events · insert events · commit',
        'begin · update messages · insert attempts · insert events · commit',
        'begin · update messages · update attempts · insert events · update dead_letters · commit',
      ],
    },
  },
};

describe.each(['postgres', 'sqlite', 'mariadb'] as DatabaseKind[])(
  'statements per command on %s',
  (database) => {
    describe.each(['off', 'on'] as const)('with result callbacks %s', (callbacks) => {
      let inventory: RunningTalktoApp;
      let website: RunningTalktoApp;
      let client: TalktoClient;
      let sender: StatementLog;
      let receiver: StatementLog;

      const row = (app: RunningTalktoApp, messageId: string, direction: string) =>
        app.dataSource
          .getRepository(TalktoMessageEntity)
          .createQueryBuilder('m')
          .comment(UNCOUNTED)
          .where('m.message_id = :messageId AND m.direction = :direction', { messageId, direction })
          .getOne();

      /** On SQLite a read sees the group commit's open transaction: wait for its COMMIT too. */
      const committed = (app: RunningTalktoApp) =>
        (app.dataSource.driver as unknown as { databaseConnection?: { inTransaction?: boolean } })
          .databaseConnection?.inTransaction !== true;

      /** Sends one command and waits until both sides have written all they write for it. */
      async function roundTrip(): Promise<void> {
        const sent = await client.send('website', 'orders.reserve', { orderId: 'o-1', quantity: 1 });
        const done = callbacks === 'on' ? 'completed' : 'destination_received';
        await waitFor(
          async () => (await row(inventory, sent.messageId, 'outgoing'))?.overallStatus === done,
          done,
        );
        await waitFor(
          async () => (await row(website, sent.messageId, 'incoming'))?.overallStatus === 'succeeded',
          'handled',
        );
        if (callbacks === 'on') {
          await waitFor(async () => {
            const rows = await website.dataSource
              .getRepository(TalktoMessageEntity)
              .createQueryBuilder('m')
              .comment(UNCOUNTED)
              .where('m.parent_message_id = :id', { id: sent.messageId })
              .getMany();
            return rows.length === 1 && rows[0]!.overallStatus === 'completed';
          }, 'callback delivered');
        }
        await waitFor(() => committed(inventory) && committed(website), 'commits');
      }

      beforeAll(async () => {
        const [inventoryPort, websitePort] = [await freePort(), await freePort()];
        const quiet = { sweeper: { enabled: false } };
        website = await startTalktoApp({
          database,
          queue: 'in-process',
          adapter: 'express',
          port: websitePort,
          providers: ORDER_PROVIDERS,
          talkto: {
            ...quiet,
            service: 'website',
            incoming: { inventory: { secret: SECRET, allowedCommands: { 'orders.reserve': {} } } },
            outgoing: { inventory: { baseUrl: `http://127.0.0.1:${inventoryPort}`, secret: BACK } },
            callbacks: { enabled: callbacks === 'on' },
          },
        });
        inventory = await startTalktoApp({
          database,
          queue: 'in-process',
          adapter: 'express',
          port: inventoryPort,
          talkto: {
            ...quiet,
            service: 'inventory',
            outgoing: { website: { baseUrl: `http://127.0.0.1:${websitePort}`, secret: SECRET } },
            incoming: { website: { secret: BACK } },
          },
        });
        client = inventory.app.get(TalktoClient);
        sender = StatementLog.of(inventory.dataSource);
        receiver = StatementLog.of(website.dataSource);
        // Statements prepared, caches warm.
        await roundTrip();
      });

      afterAll(async () => {
        await inventory?.close();
        await website?.close();
      });

      it('sends the statements the breakdown lists on each side', async () => {
        sender.recording = receiver.recording = true;
        await roundTrip();
        sender.recording = receiver.recording = false;
        const seen = {
          sender: byTransaction(sender.statements),
          receiver: byTransaction(receiver.statements),
        };
        expect(seen).toEqual(EXPECTED[database][callbacks]);
      });
    });
  },
);
