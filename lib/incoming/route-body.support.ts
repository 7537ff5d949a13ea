import { Readable } from 'node:stream';
import { Injectable } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { TalktoRoutes } from './talkto-routes.js';

/** Fastify's own default, when the host sets none. */
const DEFAULT_BODY_LIMIT = 1_048_576;

/** The headers that make Fastify pick a body parser; hidden from it on the Talkto routes. */
const BODY_HEADERS = ['content-type', 'content-length', 'transfer-encoding'] as const;
const HIDDEN_HEADERS = Symbol('talkto.hiddenBodyHeaders');

type Headers = Record<string, string | string[] | undefined>;

interface FastifyRequestLike {
  url: string;
  headers: Headers;
  rawBody?: Buffer;
  [HIDDEN_HEADERS]?: Headers;
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
  addHook(name: 'preValidation', hook: (request: FastifyRequestLike) => Promise<void>): void;
}

interface ExpressRequestLike {
  originalUrl?: string;
  url: string;
  rawBody?: Buffer;
  body?: unknown;
}

type ExpressErrorMiddleware = (
  error: { type?: unknown; body?: unknown },
  request: ExpressRequestLike,
  response: unknown,
  next: (error?: unknown) => void,
) => void;

/**
 * The Talkto routes read the exact bytes of a request and answer every body problem themselves
 * (422 `invalid_json`, in the protocol's shape), whatever parsers and exception filters the host
 * has, and without touching any other route:
 * - Fastify: the body is read before parsing, kept as `rawBody`, and hidden from the host's content
 *   type parsers (no 400 for bad JSON, no 415 for a type Fastify does not know); the headers are
 *   put back before the route runs.
 * - Express: a parse failure of the host's JSON parser on a Talkto route is handed on to the route
 *   instead of to the host's error handling.
 */
@Injectable()
export class RouteBodySupport {
  constructor(
    private readonly adapterHost: HttpAdapterHost,
    private readonly routes: TalktoRoutes,
  ) {}

  /** Called when the app initialises, after the host's parsers and before Nest's error handler. */
  install(): void {
    const adapter = this.adapterHost.httpAdapter;
    if (adapter?.getType() === 'fastify') {
      this.installOnFastify(adapter.getInstance<FastifyLike>());
    } else if (adapter?.getType() === 'express') {
      adapter.use(this.expressParseFailures());
    }
  }

  private expressParseFailures(): ExpressErrorMiddleware {
    return (error, request, _response, next) => {
      if (
        error?.type !== 'entity.parse.failed' ||
        this.routes.routeOf(request.originalUrl ?? request.url) === null
      ) {
        next(error);
        return;
      }
      // The parser keeps the bytes only with `rawBody: true`; its error carries the text either way.
      request.rawBody ??= Buffer.from(typeof error.body === 'string' ? error.body : '', 'utf8');
      request.body = undefined;
      next();
    };
  }

  private installOnFastify(fastify: FastifyLike): void {
    const limit = fastify.initialConfig.bodyLimit ?? DEFAULT_BODY_LIMIT;
    fastify.addHook('preParsing', async (request, reply, payload) => {
      if (this.routes.routeOf(request.url) === null) {
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
      request.rawBody = Buffer.concat(chunks);
      const hidden: Headers = {};
      for (const name of BODY_HEADERS) {
        hidden[name] = request.headers[name];
        delete request.headers[name];
      }
      request[HIDDEN_HEADERS] = hidden;
      return Readable.from([]);
    });
    fastify.addHook('preValidation', async (request) => {
      const hidden = request[HIDDEN_HEADERS];
      if (hidden === undefined) {
        return;
      }
      for (const name of BODY_HEADERS) {
        if (hidden[name] !== undefined) {
          request.headers[name] = hidden[name];
        }
      }
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
