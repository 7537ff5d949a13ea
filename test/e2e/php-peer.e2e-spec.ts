import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { TalktoClient } from '../../lib/index.js';
import { TalktoAttemptEntity } from '../../lib/persistence/entities/attempt.entity.js';
import { TalktoEventEntity } from '../../lib/persistence/entities/event.entity.js';
import { TalktoMessageEntity } from '../../lib/persistence/entities/message.entity.js';
import { TalktoNonceEntity } from '../../lib/persistence/entities/nonce.entity.js';
import { callbackMessageId } from '../../lib/protocol/derived-ids.util.js';
import { decodeTalktoJson } from '../../lib/protocol/json/json-reader.js';
import { payloadHash } from '../../lib/protocol/payload-hash.js';
import type { DatabaseKind } from '../support/databases.js';
import { freePort } from '../support/free-port.js';
import { PhpPeer } from '../support/php-peer.js';
import { RecordingProxy, replay, type RecordedRequest } from '../support/recording-proxy.js';
import { postSigned } from '../support/signed-request.js';
import { type QueueKind, type RunningTalktoApp, startTalktoApp } from '../support/talkto-app.js';
import { waitFor } from '../support/wait-for.js';
import { NestEchoHandler, PhpFailureLog, RecordingHttpTransport } from './fixtures/php-interop.fixtures.js';

const NEST_TO_PHP = 'nest-to-php-secret';
const PHP_TO_NEST = 'php-to-nest-secret';
/** PHP boots a framework per request; under load a round trip takes a few seconds. */
const SETTLE_MS = 30_000;

/** Values where PHP and JavaScript JSON differ unless both sides follow the protocol's rules. */
const EDGE_PAYLOAD = {
  max_int: 9223372036854775807n,
  below_safe: -9007199254740993n,
  tenth: 0.1,
  separator: 'a\u2028b',
  '😀': 'emoji key',
  empty_object: {},
  empty_list: [],
  nested: { '🙂': [{}] },
};
const EDGE_PAYLOAD_JSON =
  '{"max_int":9223372036854775807,"below_safe":-9007199254740993,"tenth":0.1,"separator":"a\u2028b",' +
  '"😀":"emoji key","empty_object":{},"empty_list":[],"nested":{"🙂":[{}]}}';

/**
 * Our apps against the unmodified Laravel Talkto package (../shared/php-peer), over real HTTP.
 * PHP's sync queue runs its handler and sends its result callback inside the receive request, so
 * the callback is applied before our sender reads the 202; its database queue (worker.php)
 * answers first. Each side's stored rows are checked, not only the HTTP answers.
 */
describe.each<[DatabaseKind, QueueKind, 'sync' | 'database', 'v1' | 'v2']>([
  ['sqlite', 'in-process', 'sync', 'v2'],
  ['postgres', 'bull', 'database', 'v1'],
])(
  'live interop with Laravel Talkto: Nest on %s with the %s queue, PHP with its %s queue, Nest signing %s',
  (database, queue, phpQueue, nestSignature) => {
    let nest: RunningTalktoApp;
    let php: PhpPeer;
    let proxy: RecordingProxy;
    let client: TalktoClient;
    const transport = new RecordingHttpTransport();
    let counter = 0;

    beforeAll(async () => {
      const nestPort = await freePort();
      // PHP reaches us through a recording proxy, so its exact requests can be replayed.
      proxy = await RecordingProxy.start(`http://127.0.0.1:${nestPort}`);
      php = await PhpPeer.start({ nestUrl: proxy.url, queue: phpQueue, acceptVersions: 'v1,v2' });
      nest = await startTalktoApp({
        database,
        queue,
        adapter: 'express',
        port: nestPort,
        providers: [NestEchoHandler, PhpFailureLog],
        talkto: {
          service: 'nestsvc',
          transport,
          security: { acceptVersions: ['v1', 'v2'] },
          incoming: {
            phpsvc: {
              secret: PHP_TO_NEST,
              allowedCommands: { 'nest.echo': {}, 'talkto.result': { driver: 'none' } },
            },
          },
          outgoing: { phpsvc: { baseUrl: php.url, secret: NEST_TO_PHP, signatureVersion: nestSignature } },
        },
      });
      client = nest.app.get(TalktoClient);
    }, 60_000);

    afterAll(async () => {
      await nest?.close();
      await php?.stop();
      await proxy?.close();
    });

    const rows = () => nest.dataSource.getRepository(TalktoMessageEntity);
    const ours = (messageId: string) => rows().findOneBy({ messageId });
    /** Our row once `done` holds for it. */
    const settled = async (messageId: string, done: (row: TalktoMessageEntity) => boolean) => {
      let last: TalktoMessageEntity | null = null;
      return waitFor(
        async () => {
          last = await ours(messageId);
          return last !== null && done(last) ? last : undefined;
        },
        `our row ${messageId} to settle`,
        SETTLE_MS,
      ).catch(async (error: Error) => {
        const peer = JSON.stringify(await php.inspect(messageId));
        throw new Error(
          `${error.message}: ours ${JSON.stringify(last)}, PHP's ${peer}\n${php.log('server')}`,
        );
      });
    };
    /** A command of ours whose result callback was applied and whose send answer was recorded. */
    const answered = (messageId: string, overall: string) =>
      settled(messageId, (row) => row.overallStatus === overall && row.lockedBy === null);
    /** PHP's row once `done` holds for it. */
    const peerSettled = (messageId: string, done: (row: Record<string, unknown>) => boolean) =>
      waitFor(
        async () => {
          const view = await php.inspect(messageId);
          return view.row !== null && done(view.row) ? view : undefined;
        },
        `PHP's row ${messageId} to settle`,
        SETTLE_MS,
      ).catch((error: Error) => {
        throw new Error(`${error.message}\n${php.log('server')}\n${php.log('worker')}`);
      });
    const attemptsOf = (messageId: string) =>
      nest.dataSource.getRepository(TalktoAttemptEntity).find({ where: { messageId }, order: { id: 'ASC' } });
    const eventTypes = async (messageId: string) =>
      (
        await nest.dataSource
          .getRepository(TalktoEventEntity)
          .find({ where: { messageId }, order: { id: 'ASC' } })
      ).map((event) => event.eventType);
    const versionHeader = (request: RecordedRequest) =>
      request.headers.find(([name]) => name.toLowerCase() === 'x-talkto-signature-version')?.[1] ?? null;
    const ourCount = async () => ({
      messages: await rows().count(),
      nonces: await nest.dataSource.getRepository(TalktoNonceEntity).count(),
    });

    /** Our command, delivered to PHP, its handler run once and its result applied here. */
    const deliverToPhp = async (command: string, payload: unknown, overall: string) => {
      const sent = await client.send('phpsvc', command, payload);
      const row = await answered(sent.messageId, overall);
      const status = overall === 'completed' ? 'succeeded' : overall;
      const peer = await peerSettled(sent.messageId, (peerRow) => peerRow.overall_status === status);
      return { sent, row, peer };
    };
    /** PHP's command, run here once and our result applied on PHP's side. */
    const deliverToNest = async (payloadJson: string, sig: 'v1' | 'v2' = 'v2') => {
      const { message_id: messageId } = await php.send('nest.echo', payloadJson, { sig });
      const row = await settled(messageId, (incoming) => incoming.overallStatus === 'succeeded');
      const peer = await peerSettled(
        messageId,
        (peerRow) =>
          peerRow.overall_status === 'completed' && peerRow.destination_action_status === 'succeeded',
      );
      return { messageId, row, peer };
    };

    it(`delivers a ${nestSignature} command to PHP, whose result callback is applied on both sides`, async () => {
      const { sent, row, peer } = await deliverToPhp('php.echo', { order: `A-${++counter}` }, 'completed');

      expect(versionHeader(transport.find(sent.messageId))).toBe(nestSignature === 'v2' ? 'v2' : null);
      expect(row).toMatchObject({
        destinationActionStatus: 'succeeded',
        transportStatus: 'sent',
        lastHttpStatus: 202,
        destinationReceiveStatus: 'received',
        lockedUntil: null,
      });
      expect(row.sentAt).not.toBeNull();
      expect(await attemptsOf(sent.messageId)).toMatchObject([{ status: 'sent', httpStatus: 202 }]);
      // PHP's sync queue answers the send only after its callback was applied here (BEHAVIOR §3.1).
      const types = await eventTypes(sent.messageId);
      if (phpQueue === 'sync') {
        expect(types).toContain('message_send_response_ignored');
        expect(types).not.toContain('message_sent');
      } else {
        expect(types).toContain('message_sent');
      }
      expect(types).toContain('result_callback_applied');

      expect(peer.row).toMatchObject({
        direction: 'incoming',
        destination_action_status: 'succeeded',
        payload_hash: row.payloadHash,
      });
      expect(peer.runs).toHaveLength(1);
      const callback = await peerSettled(
        callbackMessageId(sent.messageId, 'succeeded'),
        (peerRow) => peerRow.overall_status === 'completed',
      );
      expect(callback.row).toMatchObject({ destination_action_status: 'applied', last_http_status: 200 });
    });

    it.each(['v2', 'v1'] as const)(
      'accepts a %s command from PHP and PHP applies our result callback',
      async (sig) => {
        const { messageId, row, peer } = await deliverToNest(JSON.stringify({ n: ++counter }), sig);

        expect(versionHeader(proxy.find(messageId))).toBe(sig === 'v2' ? 'v2' : null);
        expect(row).toMatchObject({
          direction: 'incoming',
          sourceService: 'phpsvc',
          payloadHash: peer.row!.payload_hash,
        });
        expect(nest.app.get(NestEchoHandler).runs.filter((id) => id === messageId)).toHaveLength(1);
        const callback = await answered(callbackMessageId(messageId, 'succeeded'), 'completed');
        expect(callback).toMatchObject({ destinationActionStatus: 'applied', lastHttpStatus: 200 });
        expect(peer.events).toContain('result_callback_applied');
      },
    );

    it("reports a PHP handler's final failure to our @OnTalktoResult handler", async () => {
      const { sent, row, peer } = await deliverToPhp('php.fail', { sku: `S-${++counter}` }, 'failed_final');

      expect(row).toMatchObject({
        destinationActionStatus: 'failed_final',
        lastError: 'PHP handler refused: out of stock',
      });
      expect(peer.runs).toHaveLength(1);
      const calls = await waitFor(() => {
        const found = nest.app
          .get(PhpFailureLog)
          .calls.filter((call) => call.original.messageId === sent.messageId);
        return found.length > 0 ? found : undefined;
      }, 'the result handler to run');
      expect(calls).toHaveLength(1);
      expect(calls[0]!.result).toMatchObject({
        status: 'failed_final',
        succeeded: false,
        retryable: false,
        errorMessage: 'PHP handler refused: out of stock',
      });
    });

    it('answers exact replays as duplicates on both sides and stores nothing new', async () => {
      const { sent } = await deliverToPhp('php.echo', { order: `R-${++counter}` }, 'completed');
      const peerBefore = await php.count();
      const toPhp = await replay(php.url, transport.find(sent.messageId));
      expect(toPhp.status).toBe(200);
      expect(JSON.parse(toPhp.body)).toMatchObject({ duplicate: true, status: 'already_received' });
      expect(await php.count()).toEqual(peerBefore);
      expect((await php.inspect(sent.messageId)).runs).toHaveLength(1);

      const { messageId } = await deliverToNest(JSON.stringify({ r: counter }));
      const oursBefore = await ourCount();
      const toNest = await replay(nest.url, proxy.find(messageId));
      expect(toNest.status).toBe(200);
      expect(JSON.parse(toNest.body)).toMatchObject({ duplicate: true, status: 'already_received' });
      expect(await ourCount()).toEqual(oursBefore);
      expect(nest.app.get(NestEchoHandler).runs.filter((id) => id === messageId)).toHaveLength(1);
    });

    it('refuses wrong secrets in both directions and stores nothing', async () => {
      const peerBefore = await php.count();
      const refusedByPhp = await postSigned({
        url: `${php.url}/api/talkto/receive`,
        secret: 'not-the-shared-secret',
        source: 'nestsvc',
        target: 'phpsvc',
        command: 'php.echo',
        payload: { n: ++counter },
      });
      expect(refusedByPhp).toMatchObject({ status: 401, body: { error: 'invalid_signature' } });
      expect(await php.count()).toEqual(peerBefore);

      const oursBefore = await ourCount();
      const { message_id: messageId, row } = await php.send('nest.echo', '{"n":1}', {
        env: { PEER_SECRET_TO_NEST: 'not-the-shared-secret' },
      });
      expect(row).toMatchObject({ last_http_status: 401, overall_status: 'failed_final' });
      expect(await ours(messageId)).toBeNull();
      expect(await ourCount()).toEqual(oursBefore);
    });

    it('carries edge values both ways with the same payload hash on both sides', async () => {
      const { row: sentRow, peer: atPhp } = await deliverToPhp('php.echo', EDGE_PAYLOAD, 'completed');
      expect(atPhp.row!.payload_hash).toBe(sentRow.payloadHash);
      expect(atPhp.payload_hash_recomputed).toBe(sentRow.payloadHash);
      expect((await php.canon(sentRow.payload!)).hash).toBe(sentRow.payloadHash);

      const { row: receivedRow, peer: fromPhp } = await deliverToNest(EDGE_PAYLOAD_JSON);
      expect(receivedRow.payloadHash).toBe(fromPhp.row!.payload_hash);
      expect(payloadHash(decodeTalktoJson(receivedRow.payload!))).toBe(receivedRow.payloadHash);
      expect((await php.canon(receivedRow.payload!)).hash).toBe(receivedRow.payloadHash);
      // The same values hash alike whichever side froze them.
      expect(receivedRow.payloadHash).toBe(sentRow.payloadHash);
    });
  },
);
