import { describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { TalktoClient, TalktoSweeper } from '../../lib/index.js';
import { TalktoMessageEntity } from '../../lib/persistence/entities/message.entity.js';
import { CapturedLogs } from '../support/captured-logs.js';
import { postInventoryCommand, postSigned } from '../support/signed-request.js';
import { useTalktoPair } from '../support/talkto-pair.js';
import { waitFor } from '../support/wait-for.js';
import { ORDER_PROVIDERS } from './fixtures/order-handlers.js';
import { HostOrdersController } from './fixtures/host-orders.controller.js';

const SECRET = 'inventory-to-website-secret-0123456789';
const WRONG_SECRET = 'a-secret-the-website-does-not-know-000';
const PAYLOAD_MARK = 'customer-address-do-not-log';

describe('failures an operator must see', () => {
  const logs = new CapturedLogs();

  const apps = useTalktoPair({
    database: 'sqlite',
    logger: logs,
    commandSecret: SECRET,
    allowedCommands: { 'orders.reserve': {}, 'orders.reject': {} },
    callbacks: 'none',
    receiver: { providers: ORDER_PROVIDERS, controllers: [HostOrdersController] },
    sender: { talkto: { callbacks: { enabled: false } } },
  });

  const outgoing = (messageId: string) =>
    apps.inventory.dataSource.manager.findOneBy(TalktoMessageEntity, { messageId, direction: 'outgoing' });
  const finalRow = (messageId: string) =>
    waitFor(async () => {
      const row = await outgoing(messageId);
      return row?.overallStatus === 'failed_final' ? row : undefined;
    }, `${messageId} to fail finally`);

  it('logs a refused send once on each side, redacted, and keeps the answer in last_response', async () => {
    const sent = await apps.inventory.app
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
    await apps.inventory.app.get(TalktoSweeper).sweep();
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
    const answer = await postInventoryCommand(apps.website.url, WRONG_SECRET, 'orders.reserve', {
      orderId: PAYLOAD_MARK,
      quantity: 1,
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
    const sent = await apps.inventory.app
      .get(TalktoClient)
      .send('website', 'orders.reject', { orderId: 'o-2' });
    const line = await waitFor(
      () => logs.warnings(sent.messageId).find((l) => l.includes('from inventory')),
      'the receiver to log',
    );
    expect(line).toMatch(/orders\.reject .* from inventory failed finally: out_of_stock; dead-lettered/);
  });

  it('logs the refusals of a host route guarded by TalktoSignatureGuard as the receive route does', async () => {
    const command = (secret: string, nonce: string) =>
      postSigned({
        url: `${apps.website.url}/host/orders`,
        secret,
        source: 'inventory',
        target: 'website',
        command: 'orders.reserve',
        payload: { orderId: PAYLOAD_MARK, quantity: 1 },
        nonce,
      });
    const before = logs.warnings('rejected a command request').length;
    expect((await command(WRONG_SECRET, randomUUID())).status).toBe(401);
    const nonce = randomUUID();
    expect((await command(SECRET, nonce)).status).toBe(200);
    expect((await command(SECRET, nonce)).status).toBe(409);

    expect(logs.warnings('rejected a command request').slice(before)).toEqual([
      'Talkto rejected a command request: 401 invalid_signature (sender not verified).',
      'Talkto rejected a command request: 409 replay_nonce_reused (from inventory).',
    ]);
    for (const line of logs.lines) {
      expect(line.message).not.toContain(SECRET);
      expect(line.message).not.toContain(WRONG_SECRET);
      expect(line.message).not.toContain(PAYLOAD_MARK);
    }
  });
});
