import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { TalktoClient } from '../../lib/index.js';
import { TalktoMessageEntity } from '../../lib/persistence/entities/message.entity.js';
import { freePort } from '../support/free-port.js';
import { underFakeTimers } from '../support/fake-timers.js';
import { type RunningTalktoApp, startTalktoApp } from '../support/talkto-app.js';

/**
 * A host's test that fakes timers the way vitest does by default: `Date` included. TypeORM knows a
 * `type: Date` column by comparing it with the global `Date`, which the fake replaces.
 */
describe.each(['sqlite', 'postgres', 'mariadb'] as const)(
  'a host test that fakes Date, on %s',
  (database) => {
    let running: RunningTalktoApp;

    beforeAll(async () => {
      running = await startTalktoApp({
        database,
        queue: 'in-process',
        adapter: 'express',
        port: await freePort(),
        talkto: {
          service: 'shop',
          // Nothing listens there; the test only reads the row send() stored.
          outgoing: {
            warehouse: { baseUrl: `http://127.0.0.1:${await freePort()}`, secret: 'x'.repeat(32) },
          },
        },
      });
    });

    afterAll(async () => {
      await running?.close();
    });

    it('stores a sent message and reads its instants back as dates', async () => {
      const row = await underFakeTimers(
        async () => {
          const { messageId } = await running.app
            .get(TalktoClient)
            .send('warehouse', 'stock.count', { sku: 'A-1' });
          return running.dataSource.getRepository(TalktoMessageEntity).findOneByOrFail({ messageId });
        },
        { now: new Date('2031-05-04T03:02:01.500Z') },
      );
      expect(row.createdAt).toBeInstanceOf(Date);
      expect(row.createdAt?.toISOString()).toBe('2031-05-04T03:02:01.500Z');
    });
  },
);
