import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { TalktoClient } from '../../lib/index.js';
import { TalktoMessageEntity } from '../../lib/persistence/entities/message.entity.js';
import { ORDER_PROVIDERS } from '../e2e/fixtures/order-handlers.js';
import { freePort } from '../support/free-port.js';
import { postSigned } from '../support/signed-request.js';
import { type RunningTalktoApp, startTalktoApp } from '../support/talkto-app.js';
import { useTalktoPair } from '../support/talkto-pair.js';
import { waitFor } from '../support/wait-for.js';

const SECRET = 'inventory-to-website-secret-0123456789';
const CALLBACK_SECRET = 'website-to-inventory-secret-9876543210';

/** The value of one sample line of a Prometheus text exposition, or undefined when absent. */
function sample(text: string, name: string, labels: Record<string, string>): number | undefined {
  const wanted = Object.entries(labels).map(([key, value]) => `${key}="${value}"`);
  for (const line of text.split('\n')) {
    const match = /^([a-z_]+)\{([^}]*)\} (\S+)$/.exec(line);
    if (match && match[1] === name && wanted.every((pair) => match[2].split(',').includes(pair))) {
      return Number(match[3]);
    }
  }
  return undefined;
}

describe('Prometheus metrics over HTTP', () => {
  const apps = useTalktoPair({
    database: 'sqlite',
    commandSecret: SECRET,
    callbackSecret: CALLBACK_SECRET,
    allowedCommands: ['orders.reserve', 'orders.reject'],
    receiver: { adapter: 'fastify', providers: ORDER_PROVIDERS, talkto: { metrics: { enabled: true } } },
    sender: { talkto: { metrics: { enabled: true, commands: ['orders.reserve'] } } },
  });
  let plain: RunningTalktoApp;

  const scrape = async (app: RunningTalktoApp) => {
    const response = await fetch(`${app.url}/metrics`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('text/plain');
    return response.text();
  };

  beforeAll(async () => {
    plain = await startTalktoApp({
      database: 'sqlite',
      queue: 'in-process',
      adapter: 'express',
      port: await freePort(),
      talkto: { service: 'plain' },
    });
  });

  afterAll(async () => {
    await plain?.close();
  });

  it('counts sends, receipts, handler results and send latency with bounded labels and no message ids', async () => {
    const client = apps.inventory.app.get(TalktoClient);
    const reserve = await client.send('website', 'orders.reserve', { orderId: 'o-1', quantity: 1 });
    const reject = await client.send('website', 'orders.reject', {});
    const incoming = apps.website.dataSource.getRepository(TalktoMessageEntity);
    await waitFor(async () => {
      const rows = await incoming.findBy({ direction: 'incoming' });
      return rows.length === 2 &&
        rows.every((row) => row.overallStatus.startsWith('succeeded') || row.overallStatus === 'failed_final')
        ? rows
        : undefined;
    }, 'both commands handled');

    const sender = await waitFor(async () => {
      const text = await scrape(apps.inventory);
      return (sample(text, 'talkto_messages_sent_total', { status: 'sent', command: 'orders.reserve' }) ??
        0) >= 1 &&
        (sample(text, 'talkto_messages_sent_total', { status: 'sent', command: 'other' }) ?? 0) >= 1
        ? text
        : undefined;
    }, 'sender counters');
    const base = { service: 'inventory', peer: 'website' };
    expect(
      sample(sender, 'talkto_messages_sent_total', { ...base, command: 'orders.reserve', status: 'sent' }),
    ).toBe(1);
    // orders.reject is not among the configured commands, so it is counted as `other`.
    expect(sample(sender, 'talkto_messages_sent_total', { ...base, command: 'other', status: 'sent' })).toBe(
      1,
    );
    expect(
      sample(sender, 'talkto_send_duration_seconds_count', {
        ...base,
        command: 'orders.reserve',
        status: '202',
      }),
    ).toBe(1);
    expect(sample(sender, 'talkto_queue_depth', { service: 'inventory', queue: 'send' })).toBe(0);
    expect(sender).toMatch(/^talkto_oldest_due_retry_age_seconds\{service="inventory"\} 0$/m);

    const receiver = await scrape(apps.website);
    const from = { service: 'website', peer: 'inventory' };
    expect(
      sample(receiver, 'talkto_messages_received_total', {
        ...from,
        command: 'orders.reserve',
        status: 'queued',
      }),
    ).toBe(1);
    expect(
      sample(receiver, 'talkto_messages_handled_total', {
        ...from,
        command: 'orders.reserve',
        status: 'succeeded',
      }),
    ).toBe(1);
    expect(
      sample(receiver, 'talkto_messages_handled_total', {
        ...from,
        command: 'orders.reject',
        status: 'failed_final',
      }),
    ).toBe(1);
    expect(
      sample(receiver, 'talkto_messages_failed_total', {
        ...from,
        command: 'orders.reject',
        status: 'failed_final',
      }),
    ).toBe(1);
    expect(
      sample(receiver, 'talkto_messages_dead_lettered_total', { ...from, command: 'orders.reject' }),
    ).toBe(1);

    // Both outcomes were reported back and applied on the sender.
    const callbacks = await waitFor(async () => {
      const text = await scrape(apps.inventory);
      return sample(text, 'talkto_callbacks_total', {
        peer: 'website',
        command: 'talkto.result',
        status: 'applied',
      }) === 2
        ? text
        : undefined;
    }, 'both result callbacks counted');
    // The receiver counts a callback once the sender's answer is recorded, just after it applied it.
    const receiverAfter = await waitFor(async () => {
      const text = await scrape(apps.website);
      return sample(text, 'talkto_messages_sent_total', {
        ...from,
        command: 'talkto.result',
        status: 'sent',
      }) === 2
        ? text
        : undefined;
    }, 'both result callbacks counted as sent');
    expect(
      sample(receiverAfter, 'talkto_send_duration_seconds_count', {
        ...from,
        command: 'talkto.result',
        status: '200',
      }),
    ).toBe(2);

    for (const text of [sender, receiver, callbacks, receiverAfter]) {
      expect(text).not.toContain(reserve.messageId);
      expect(text).not.toContain(reject.messageId);
    }
  });

  it('counts an unverified request under fixed labels, whatever source and command it claims', async () => {
    const answer = await postSigned({
      url: `${apps.website.url}/api/talkto/receive`,
      secret: 'not-the-secret-0000000000000000000000',
      source: 'attacker-chosen-source',
      target: 'website',
      command: 'attacker.chosen.command',
    });
    expect(answer.status).toBeGreaterThanOrEqual(400);
    const text = await scrape(apps.website);
    expect(text).not.toContain('attacker');
    expect(
      sample(text, 'talkto_messages_received_total', {
        peer: 'other',
        command: 'other',
        status: answer.body.error as string,
      }),
    ).toBe(1);
  });

  it('mounts no metrics route when metrics are disabled', async () => {
    const response = await fetch(`${plain.url}/metrics`);
    expect(response.status).toBe(404);
  });
});
