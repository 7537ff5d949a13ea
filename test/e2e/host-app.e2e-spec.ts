import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Body, Controller, Post, ValidationPipe } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { IsString } from 'class-validator';
import { TalktoMessageEntity } from '../../lib/persistence/entities/message.entity.js';
import { freePort } from '../support/free-port.js';
import { postInventoryCommand } from '../support/signed-request.js';
import { type HttpAdapterKind, type RunningTalktoApp, startTalktoApp } from '../support/talkto-app.js';
import { ORDER_PROVIDERS } from './fixtures/order-handlers.js';
import { HostErrorFormatFilter } from './fixtures/host-error-format.filter.js';

const SECRET = 'inventory-to-website-secret-0123456789';
const RATE_LIMIT = 4;

class CreateNoteDto {
  @IsString()
  text!: string;
}

@Controller('notes')
class NotesController {
  @Post()
  create(@Body() note: CreateNoteDto): CreateNoteDto {
    return note;
  }
}

type FilterRegistration = 'APP_FILTER' | 'useGlobalFilters';

const HOSTS: Array<[HttpAdapterKind, FilterRegistration]> = [
  ['express', 'APP_FILTER'],
  ['express', 'useGlobalFilters'],
  ['fastify', 'APP_FILTER'],
  ['fastify', 'useGlobalFilters'],
];

describe.each(HOSTS)(
  'a %s host with global prefix api, a validation pipe and a catch-all filter via %s',
  (adapter, registration) => {
    let website: RunningTalktoApp;

    beforeAll(async () => {
      const port = await freePort();
      website = await startTalktoApp({
        database: 'sqlite',
        queue: 'in-process',
        adapter,
        port,
        controllers: [NotesController],
        providers: [
          ...ORDER_PROVIDERS,
          ...(registration === 'APP_FILTER'
            ? [{ provide: APP_FILTER, useClass: HostErrorFormatFilter }]
            : []),
        ],
        prepare: (app) => {
          app.setGlobalPrefix('api');
          app.useGlobalPipes(new ValidationPipe());
          if (registration === 'useGlobalFilters') {
            app.useGlobalFilters(new HostErrorFormatFilter());
          }
        },
        talkto: {
          service: 'website',
          incoming: { inventory: { secret: SECRET, allowedCommands: { 'orders.reserve': {} } } },
          rateLimit: { limit: RATE_LIMIT, windowSeconds: 3600 },
        },
      });
    });

    afterAll(async () => {
      await website?.close();
    });

    const post = (path: string, body: string, headers: Record<string, string> = {}) =>
      fetch(`${website.url}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body,
      });

    it('serves the receive route under the host prefix once, where a peer looks for it', async () => {
      const answer = await postInventoryCommand(website.url, SECRET, 'orders.reserve', {
        orderId: 'o-prefix',
        quantity: 1,
      });
      expect(answer.status).toBe(202);
      expect(
        await website.dataSource.manager.countBy(TalktoMessageEntity, { messageId: answer.messageId }),
      ).toBe(1);
      const doubled = await post('/api/api/talkto/receive', '{}');
      expect(doubled.status).toBe(404);
    });

    it('answers malformed JSON on the receive route with 422 invalid_json', async () => {
      const response = await post('/api/talkto/receive', '{"message_id":', { 'x-talkto-source': 'json-1' });
      expect(response.status).toBe(422);
      expect(await response.json()).toEqual({ received: false, status: 'rejected', error: 'invalid_json' });
    });

    it('answers malformed JSON on the callback route in the callback shape', async () => {
      const response = await post('/api/talkto/callback', '{"message_id":', { 'x-talkto-source': 'json-2' });
      expect(response.status).toBe(422);
      expect(await response.json()).toMatchObject({
        accepted: false,
        status: 'rejected',
        error: 'invalid_json',
      });
    });

    it('answers a structured +json body as JSON, not 415', async () => {
      const response = await post('/api/talkto/receive', '{"message_id":', {
        'content-type': 'application/vnd.talkto+json',
        'x-talkto-source': 'json-3',
      });
      expect(response.status).toBe(422);
      expect(await response.json()).toMatchObject({ error: 'invalid_json' });
    });

    it('keeps its rate limit answer in the protocol shape', async () => {
      const statuses: number[] = [];
      let last: unknown = null;
      for (let sent = 0; sent <= RATE_LIMIT; sent++) {
        const response = await post('/api/talkto/receive', '{}', { 'x-talkto-source': 'flooder' });
        statuses.push(response.status);
        last = await response.json();
      }
      expect(statuses.at(-1)).toBe(429);
      expect(last).toEqual({ received: false, status: 'rejected', error: 'rate_limited' });
    });

    it("leaves the host's own routes to the host's filter and pipe", async () => {
      const malformed = await post('/api/notes', '{"text":');
      expect(malformed.status).toBe(400);
      expect(await malformed.json()).toEqual({ hostError: true, status: 400 });
      const invalid = await post('/api/notes', '{"text":1}');
      expect(invalid.status).toBe(400);
      expect(await invalid.json()).toEqual({ hostError: true, status: 400 });
      const missing = await fetch(`${website.url}/api/nowhere`);
      expect(missing.status).toBe(404);
      expect(await missing.json()).toEqual({ hostError: true, status: 404 });
    });
  },
);
