import { Readable } from 'node:stream';
import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { ResolvedTalktoOptions } from '../config/resolved-options.interface.js';
import { TALKTO_RESOLVED_OPTIONS } from '../talkto.constants.js';

/** Fastify's own default, when the host sets none. */
const DEFAULT_BODY_LIMIT = 1_048_576;

interface FastifyRequestLike {
  url: string;
  headers: Record<string, string | string[] | undefined>;
  rawBody?: Buffer;
}

interface FastifyReplyLike {
  header(name: string, value: string): unknown;
}

interface FastifyLike {
  initialConfig: { bodyLimit?: number };
  addHook(
    name: 'preParsing',
    hook: (request: FastifyRequestLike, reply: FastifyReplyLike, payload: Readable) => Promise<Readable>,
  ): void;
}

/**
 * Keeps the bytes of requests to the Talkto routes on a Fastify host, whichever parser reads them
 * afterwards: Fastify's own JSON parser (an app created with `bodyParser: false`) keeps none. The
 * body is read before parsing, within the host's body limit, kept as `rawBody` and handed to the
 * parser unchanged. With Nest's `rawBody: true` this costs one more copy on these routes only.
 */
@Injectable()
export class FastifyRawBodySupport implements OnModuleInit {
  constructor(
    private readonly adapterHost: HttpAdapterHost,
    @Inject(TALKTO_RESOLVED_OPTIONS) private readonly options: ResolvedTalktoOptions,
  ) {}

  onModuleInit(): void {
    const adapter = this.adapterHost.httpAdapter;
    if (adapter?.getType() !== 'fastify' || !this.options.routes.enabled) {
      return;
    }
    const paths = [this.options.routes.receivePath, this.options.routes.callbackPath].map(
      (path) => `/${path.replace(/^\/+|\/+$/g, '')}`,
    );
    const isTalktoRoute = (url: string) => {
      const path = url.split('?', 1)[0]!.replace(/\/+$/, '');
      return paths.some((talkto) => path.endsWith(talkto));
    };
    const fastify = adapter.getInstance<FastifyLike>();
    const limit = fastify.initialConfig.bodyLimit ?? DEFAULT_BODY_LIMIT;
    fastify.addHook('preParsing', async (request, reply, payload) => {
      if (!isTalktoRoute(request.url)) {
        return payload;
      }
      // Like Fastify's own parser: refuse, and close the connection the rest would arrive on.
      const refuse = () => {
        reply.header('connection', 'close');
        return tooLarge();
      };
      if (Number(request.headers['content-length'] ?? 0) > limit) {
        throw refuse();
      }
      const chunks: Buffer[] = [];
      let size = 0;
      for await (const chunk of payload) {
        size += (chunk as Buffer).length;
        if (size > limit) {
          throw refuse();
        }
        chunks.push(chunk as Buffer);
      }
      const raw = Buffer.concat(chunks);
      request.rawBody = raw;
      // Fastify checks what it parses against the length it was told it would receive.
      const replay = Readable.from(raw.length === 0 ? [] : [raw], { objectMode: false });
      return Object.assign(replay, { receivedEncodedLength: raw.length });
    });
  }
}

/** The error Fastify's own parser raises over the limit (by name too: Nest answers a `FastifyError` with its status). */
function tooLarge(): Error {
  return Object.assign(new Error('Request body is too large'), {
    name: 'FastifyError',
    statusCode: 413,
    code: 'FST_ERR_CTP_BODY_TOO_LARGE',
  });
}
