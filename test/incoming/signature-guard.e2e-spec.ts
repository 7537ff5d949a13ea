import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from '@jest/globals';
import { Controller, HttpCode, Post, UseGuards } from '@nestjs/common';
import {
  TalktoEnvelope,
  TalktoSignatureGuard,
  TalktoSignedRoute,
  type TalktoVerifiedEnvelope,
} from '../../lib/index.js';
import { rawRequestOf } from '../../scripts/conformance/envelopes-http.check.js';
import { sendRaw } from '../../scripts/conformance/http/raw-http.client.js';
import { type ReceiverAdapter, ReceiverApp } from '../../scripts/conformance/http/receiver-app.js';
import { receiverOptionsFor } from '../../scripts/conformance/http/receiver-options.js';
import { HostOrdersController } from '../e2e/fixtures/host-orders.controller.js';

type Json = Record<string, unknown>;

const document = JSON.parse(
  readFileSync(new URL('../../../shared/vectors/envelopes.json', import.meta.url), 'utf8'),
) as Json;
/** Command cases that need no stored state first: the guard's whole job. */
const COMMAND_CASES = (document.cases as Json[]).filter(
  (vector) => String((vector.request as Json).url).endsWith('/receive') && vector.precondition === undefined,
);

/** The same route, narrowed to one source and one command. */
@Controller('host/narrow')
@UseGuards(TalktoSignatureGuard)
@TalktoSignedRoute({ sources: ['inventory-service'], commands: ['only.this'] })
class NarrowController {
  @Post()
  @HttpCode(200)
  take(@TalktoEnvelope() envelope: TalktoVerifiedEnvelope) {
    return { taken: true, message_id: envelope.messageId };
  }
}

async function deliver(
  app: ReceiverApp,
  vector: Json,
  path?: string,
): Promise<{ status: number; body: Json }> {
  await app.reset();
  app.clock.set(new Date(Number(vector.verify_at_unix) * 1000));
  const request = rawRequestOf(vector);
  const response = await sendRaw(app.port, path === undefined ? request : { ...request, path });
  return { status: response.status, body: JSON.parse(response.body) as Json };
}

/**
 * The guard reads the bytes the route receives. A body the host's own parser refuses (not JSON, or
 * no content type on Fastify) never reaches a route: there the receive route answers 422 through
 * Talkto's parse-error handling, and a host route gets its framework's own 400 or 415. Talkto adds
 * no parser to the host's Fastify, so on a host route a JSON type other than `application/json`
 * (e.g. `application/vnd.api+json`) is the host's 415 unless the host registers a parser for it;
 * Talkto's own routes read every body before any parser and take it.
 */
function sameOutcome(
  adapter: ReceiverAdapter,
  route: { status: number; body: Json },
  host: { status: number; body: Json },
): boolean {
  if (adapter === 'fastify' && host.status === 415 && host.body.received === undefined) {
    return route.status === 202 || route.status === 422;
  }
  if (route.status === 202) {
    return host.status === 200 && host.body.taken === true && host.body.message_id === route.body.message_id;
  }
  if (route.status === 422 && (host.status === 400 || host.status === 415)) {
    return host.body.received === undefined;
  }
  return host.status === route.status && JSON.stringify(host.body) === JSON.stringify(route.body);
}

describe.each<ReceiverAdapter>(['express', 'fastify'])(
  'TalktoSignatureGuard on a host route over %s',
  (adapter) => {
    const apps = new Map<string, ReceiverApp>();

    afterAll(async () => {
      for (const app of apps.values()) await app.close();
    });

    async function appFor(vector: Json): Promise<ReceiverApp> {
      const options = receiverOptionsFor(document.receiver_configuration as Json, vector);
      const key = JSON.stringify(options);
      if (!apps.has(key)) {
        apps.set(key, await ReceiverApp.start(options, adapter, [HostOrdersController, NarrowController]));
      }
      return apps.get(key)!;
    }

    it('answers every public command vector as the receive route does: same refusals, and lets the accepted through', async () => {
      const differences: Json[] = [];
      for (const vector of COMMAND_CASES) {
        const app = await appFor(vector);
        const route = await deliver(app, vector);
        const host = await deliver(app, vector, '/host/orders');
        if (!sameOutcome(adapter, route, host)) {
          differences.push({ name: vector.name, route, host });
        }
      }
      expect(differences).toEqual([]);
      expect(COMMAND_CASES.length).toBeGreaterThan(50);
    }, 180_000);

    it('refuses a reused nonce on a host route with 409 replay_nonce_reused', async () => {
      const vector = COMMAND_CASES.find((candidate) => (candidate.expected as Json).outcome === 'accepted')!;
      const app = await appFor(vector);
      const first = await deliver(app, vector, '/host/orders');
      const request = rawRequestOf(vector);
      const again = await sendRaw(app.port, { ...request, path: '/host/orders' });

      expect(first.status).toBe(200);
      expect(again.status).toBe(409);
      expect(JSON.parse(again.body)).toEqual({
        received: false,
        status: 'rejected',
        error: 'replay_nonce_reused',
      });
    });

    it('applies the route own commands: a command the module allows is not allowed there', async () => {
      const vector = COMMAND_CASES.find((candidate) => (candidate.expected as Json).outcome === 'accepted')!;
      const app = await appFor(vector);
      const narrow = await deliver(app, vector, '/host/narrow');

      expect(narrow.status).toBe(403);
      expect(narrow.body.error).toMatch(/^(command_not_allowed|unknown_source)$/);
    });
  },
);
