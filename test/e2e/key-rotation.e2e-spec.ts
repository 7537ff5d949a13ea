import { beforeAll, describe, expect, it } from '@jest/globals';
import { FixedTalktoClock, TalktoClient, TalktoSweeper } from '../../lib/index.js';
import { TalktoAttemptEntity } from '../../lib/persistence/entities/attempt.entity.js';
import { TalktoMessageEntity } from '../../lib/persistence/entities/message.entity.js';
import { ledgersOf } from '../support/ledgers.js';
import { callbackMessageId } from '../../lib/protocol/derived-ids.util.js';
import { decodeEnvelopeBody } from '../../lib/incoming/request-body.decoder.js';
import { HttpTalktoTransport } from '../../lib/outgoing/http.transport.js';
import type { TalktoTransportResponse } from '../../lib/outgoing/talkto.transport.js';
import { type VerifierConfig, verifyEnvelope } from '../../lib/protocol/envelope.verifier.js';
import { freezePayload } from '../../lib/protocol/json/payload-freezer.js';
import type { DatabaseKind } from '../support/databases.js';
import { postSigned } from '../support/signed-request.js';
import type { QueueKind, RunningTalktoApp } from '../support/talkto-app.js';
import { useTalktoPair } from '../support/talkto-pair.js';
import { waitFor } from '../support/wait-for.js';
import { ORDER_PROVIDERS } from './fixtures/order-handlers.js';

const OLD_SECRET = 'inventory-to-website-old-secret-0123456789';
const NEW_SECRET = 'inventory-to-website-new-secret-9876543210';
// Callbacks travel the other way with one secret given the old way, as a plain string.
const CALLBACK_SECRET = 'website-to-inventory-secret-5555555555';

const HOUR = 3_600_000;
const T0 = new Date('2026-06-01T08:00:00.000Z');
/** Step 1: the receiver starts accepting the new secret next to the old one. */
const RECEIVER_ACCEPTS_NEW = new Date(T0.getTime() + HOUR);
/** Step 2: the sender signs with the new secret. */
const SENDER_SWITCHES = new Date(T0.getTime() + 2 * HOUR);
/** Step 3: the receiver retires the old secret. */
const RECEIVER_RETIRES_OLD = new Date(T0.getTime() + 3 * HOUR);

/** Posts over HTTP like the default transport and keeps what it sent, by message id. */
class RecordingTransport extends HttpTalktoTransport {
  readonly sent = new Map<string, { headers: Record<string, string>; body: string }>();

  override post(
    url: string,
    headers: Array<[string, string]>,
    body: string,
    timeoutMs: number,
  ): Promise<TalktoTransportResponse> {
    // Lower-cased, as a Node server hands headers to the receive route.
    const byName = Object.fromEntries(headers.map(([name, value]) => [name.toLowerCase(), value]));
    this.sent.set(byName['x-talkto-message-id']!, { headers: byName, body });
    return super.post(url, headers, body, timeoutMs);
  }
}

/** Which of the two secrets signed a recorded request, checked by the protocol verifier with each alone. */
function signingSecret(request: { headers: Record<string, string>; body: string }, now: Date): string[] {
  return [OLD_SECRET, NEW_SECRET].filter((secret) => {
    const config: VerifierConfig = {
      service: 'website',
      acceptVersions: ['v2'],
      toleranceSeconds: 300,
      requireSignature: true,
      requireTimestamp: true,
      replayProtection: false,
      requireNonceForV2: true,
      nonceHeader: 'X-Talkto-Nonce',
      signatureVersionHeader: 'X-Talkto-Signature-Version',
      source: () => ({ secrets: [secret], isCommandAllowed: () => true, isIdempotencyRequired: () => false }),
    };
    try {
      const body = decodeEnvelopeBody(request.headers, Buffer.from(request.body));
      verifyEnvelope({ body, headers: request.headers }, config, Math.floor(now.getTime() / 1000));
      return true;
    } catch {
      return false;
    }
  });
}

const COMBINATIONS: Array<[DatabaseKind, QueueKind]> = [
  ['sqlite', 'in-process'],
  ['postgres', 'bull'],
];

/**
 * The whole rotation is written into both configurations up front as validity windows, and one
 * controllable clock (the module option `clock`, shared by both apps) walks through it, so no app
 * restarts and no message waits for an operator.
 */
describe.each(COMBINATIONS)('key rotation on %s with the %s queue', (database, queue) => {
  const clock = new FixedTalktoClock(T0);
  const transport = new RecordingTransport();
  const apps = useTalktoPair({
    database,
    queue,
    // Replaced on both sides by the rotation's validity windows below.
    commandSecret: OLD_SECRET,
    callbackSecret: CALLBACK_SECRET,
    allowedCommands: ['orders.reserve'],
    receiver: {
      providers: ORDER_PROVIDERS,
      talkto: {
        clock,
        sweeper: { enabled: false },
        incoming: {
          inventory: {
            secret: [
              { value: OLD_SECRET, notAfter: RECEIVER_RETIRES_OLD },
              { value: NEW_SECRET, notBefore: RECEIVER_ACCEPTS_NEW.toISOString() },
            ],
          },
        },
      },
    },
    sender: {
      talkto: {
        clock,
        transport,
        sweeper: { enabled: false },
        outgoing: {
          website: { secret: [{ value: OLD_SECRET }, { value: NEW_SECRET, notBefore: SENDER_SWITCHES }] },
        },
      },
    },
  });
  let client: TalktoClient;
  const receiveUrl = () => `${apps.website.url}/api/talkto/receive`;
  const sentIds: string[] = [];

  const row = (app: RunningTalktoApp, messageId: string, direction: 'incoming' | 'outgoing') =>
    app.dataSource.getRepository(TalktoMessageEntity).findOneBy({ messageId, direction });
  /** Sent, handled, and its success callback applied back at the sender. */
  const delivered = (messageId: string) =>
    waitFor(async () => {
      const command = await row(apps.inventory, messageId, 'outgoing');
      const callback = await row(apps.website, callbackMessageId(messageId, 'succeeded'), 'outgoing');
      return command?.overallStatus === 'completed' && callback?.overallStatus === 'completed'
        ? command
        : undefined;
    }, `${messageId} to complete its round trip`);
  /** Sends one command now and returns the secret(s) its request verifies with. */
  const sendNow = async (orderId: string): Promise<string[]> => {
    const sent = await client.send('website', 'orders.reserve', { orderId, quantity: 1 });
    sentIds.push(sent.messageId);
    await delivered(sent.messageId);
    return signingSecret(transport.sent.get(sent.messageId)!, clock.now());
  };
  const crafted = (secret: string) =>
    postSigned({
      url: receiveUrl(),
      secret,
      source: 'inventory',
      target: 'website',
      command: 'orders.reserve',
      payload: { orderId: 'crafted', quantity: 1 },
      timestamp: clock.now(),
    });

  beforeAll(() => {
    client = apps.inventory.app.get(TalktoClient);
  });

  it('before the rotation: the old secret works and the new one is not accepted yet', async () => {
    expect(await sendNow('before')).toEqual([OLD_SECRET]);
    expect((await crafted(NEW_SECRET)).status).toBe(401);
  });

  it('while the receiver accepts both: the sender still signs with the old secret', async () => {
    clock.set(new Date(RECEIVER_ACCEPTS_NEW.getTime() + 60_000));
    expect(await sendNow('accepting-both')).toEqual([OLD_SECRET]);
  });

  it('after the sender switched: new messages are signed with the new secret and arrive', async () => {
    clock.set(new Date(SENDER_SWITCHES.getTime() + 60_000));
    expect(await sendNow('switched')).toEqual([NEW_SECRET]);
  });

  it('after the old secret is retired: messages still arrive, one signed with it is rejected 401', async () => {
    // A message stored before the rotation whose job was lost: the sweeper sends it much later.
    const ledger = ledgersOf(apps.inventory.app);
    const frozen = freezePayload({ orderId: 'stored-before', quantity: 1 });
    const lost = await ledger.outbox.createOutgoing({
      messageId: `lost-${database}-${Date.now()}`,
      source: 'inventory',
      target: 'website',
      command: 'orders.reserve',
      payload: frozen.json,
      payloadHash: frozen.hash,
      maxAttempts: 5,
      now: clock.now(),
    });
    clock.set(new Date(RECEIVER_RETIRES_OLD.getTime() + 60_000));

    expect(await sendNow('after')).toEqual([NEW_SECRET]);
    const summary = await apps.inventory.app.get(TalktoSweeper).sweep();
    expect(summary.lostJobs).toBe(1);
    sentIds.push(lost.messageId);
    await delivered(lost.messageId);
    // Signed when it was sent, not when it was stored.
    expect(signingSecret(transport.sent.get(lost.messageId)!, clock.now())).toEqual([NEW_SECRET]);

    const rejected = await crafted(OLD_SECRET);
    expect(rejected.status).toBe(401);
    expect(rejected.body).toEqual({ received: false, status: 'rejected', error: 'invalid_signature' });
    expect(await row(apps.website, rejected.messageId, 'incoming')).toBeNull();
  });

  it('delivered every message on its first attempt, with no failed delivery anywhere', async () => {
    expect(sentIds).toHaveLength(5);
    for (const messageId of sentIds) {
      const command = await row(apps.inventory, messageId, 'outgoing');
      expect(command).toMatchObject({ attempts: 1, retryCount: 0, lastHttpStatus: 202, lastError: null });
      expect((await row(apps.website, messageId, 'incoming'))?.overallStatus).toBe('succeeded');
    }
    for (const app of [apps.inventory, apps.website]) {
      const attempts = await app.dataSource.getRepository(TalktoAttemptEntity).find();
      expect(attempts.filter((attempt) => attempt.status.startsWith('failed'))).toEqual([]);
      const failedRows = await app.dataSource
        .getRepository(TalktoMessageEntity)
        .createQueryBuilder('m')
        .where("m.overall_status LIKE 'failed%'")
        .getCount();
      expect(failedRows).toBe(0);
    }
  });
});
