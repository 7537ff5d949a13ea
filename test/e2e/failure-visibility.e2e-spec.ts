import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { TalktoClient, TalktoSweeper } from '../../lib/index.js';
import { TalktoMessageEntity } from '../../lib/persistence/entities/message.entity.js';
import { CapturedLogs } from '../support/captured-logs.js';
import { freePort } from '../support/free-port.js';
import { postSigned } from '../support/signed-request.js';
import { type RunningTalktoApp, startTalktoApp } from '../support/talkto-app.js';
import { waitFor } from '../support/wait-for.js';
import { ORDER_PROVIDERS } from './fixtures/order-handlers.js';

const SECRET = 'inventory-to-website-secret-0123456789';
const WRONG_SECRET = 'a-secret-the-website-does-not-know-000';
const PAYLOAD_MARK = 'customer-address-do-not-log';

describe('failures an operator must see', () => {
  const logs = new CapturedLogs();
  let inventory: RunningTalktoApp;
  let website: RunningTalktoApp;

  const outgoing = (messageId: string) =>
    inventory.dataSource.manager.findOneBy(TalktoMessageEntity, { messageId, direction: 'outgoing' });
  const finalRow = (messageId: string) =>
    waitFor(async () => {
      const row = await outgoing(messageId);
      return row?.overallStatus === 'failed_final' ? row : undefined;
    }, `${messageId} to fail finally`);

  beforeAll(async () => {
    const [inventoryPort, websitePort] = [await freePort(), await freePort()];
    website = await startTalktoApp({
      database: 'sqlite',
      queue: 'in-process',
      adapter: 'express',
      port: websitePort,
      logger: logs,
      providers: ORDER_PROVIDERS,
      talkto: {
        service: 'website',
        incoming: {
          inventory: { secret: SECRET, allowedCommands: { 'orders.reserve': {}, 'orders.reject': {} } },
        },
      },
    });
    inventory = await startTalktoApp({
      database: 'sqlite',
      queue: 'in-process',
      adapter: 'express',
      port: inventoryPort,
      logger: logs,
      talkto: {
        service: 'inventory',
        outgoing: {
          website: { baseUrl: `http://127.0.0.1:${websitePort}`, secret: SECRET },
        },
        callbacks: { enabled: false },
      },
    });
  });

  afterAll(async () => {
    await inventory?.close();
    await website?.close();
  });

  it('logs a refused send once on each side, redacted, and keeps the answer in last_response', async () => {
    const sent = await inventory.app
      .get(TalktoClient)
      .send('website', 'orders.unknown', { note: PAYLOAD_MARK });
    const row = await finalRow(sent.messageId);
    expect(row.lastHttpStatus).toBe(403);
    expect(row.lastResponse).toContain('command_not_allowed');

    const senderLines = await waitFor(() => {
      const lines = logs.warnings(sent.messageId);
      return lines.length > 0 ? lines : undefined;
    }, 'the sender to log the final failure');
    // One more sweep finds nothing to do and logs nothing.
    await inventory.app.get(TalktoSweeper).sweep();
    expect(logs.warnings(sent.messageId)).toEqual(senderLines);
    expect(senderLines).toHaveLength(1);
    expect(senderLines[0]).toMatch(/website.*HTTP 403, command_not_allowed; failed_final, dead-lettered/);

    const receiverLines = logs.warnings('rejected a command request: 403 command_not_allowed');
    expect(receiverLines).toHaveLength(1);
    for (const line of logs.lines) {
      expect(line.message).not.toContain(SECRET);
      expect(line.message).not.toContain(PAYLOAD_MARK);
    }
  });

  it('logs a request with a wrong signature as rejected, without naming the unverified sender', async () => {
    const answer = await postSigned({
      url: `${website.url}/api/talkto/receive`,
      secret: WRONG_SECRET,
      source: 'inventory',
      target: 'website',
      command: 'orders.reserve',
      payload: { orderId: PAYLOAD_MARK, quantity: 1 },
    });
    expect(answer.status).toBe(401);
    expect(
      logs.warnings('rejected a command request: 401 invalid_signature (sender not verified)'),
    ).toHaveLength(1);
    for (const line of logs.lines) {
      expect(line.message).not.toContain(WRONG_SECRET);
      expect(line.message).not.toContain(PAYLOAD_MARK);
    }
  });

  it("logs a handler's final failure once on the receiving side with its code", async () => {
    const sent = await inventory.app.get(TalktoClient).send('website', 'orders.reject', { orderId: 'o-2' });
    const line = await waitFor(
      () => logs.warnings(sent.messageId).find((l) => l.includes('from inventory')),
      'the receiver to log',
    );
    expect(line).toMatch(/orders\.reject .* from inventory failed finally: out_of_stock; dead-lettered/);
  });
});
