import type { HttpAdapterHost } from '@nestjs/core';

type ParserDone = (error: Error | null, value?: unknown) => void;

interface FastifyLike {
  hasContentTypeParser(type: string | RegExp): boolean;
  addContentTypeParser(
    type: string | RegExp,
    options: { parseAs: 'buffer' },
    parser: (request: { rawBody?: Buffer }, body: Buffer, done: ParserDone) => void,
  ): void;
}

/**
 * Fastify answers 415 to a content type it has no parser for, before any route runs. On a Fastify
 * host that has none for `type`, this adds one that keeps the exact bytes as `rawBody` and lets
 * `parse` decide the parsed body. The host's own parser wins; other adapters are left alone.
 */
export function addFastifyBodyParser(
  adapterHost: HttpAdapterHost,
  type: string | RegExp,
  parse: (body: Buffer, done: ParserDone) => void,
): void {
  const adapter = adapterHost.httpAdapter;
  if (adapter?.getType() !== 'fastify') {
    return;
  }
  const fastify = adapter.getInstance<FastifyLike>();
  if (fastify.hasContentTypeParser(type)) {
    return;
  }
  fastify.addContentTypeParser(type, { parseAs: 'buffer' }, (request, body, done) => {
    request.rawBody = body;
    parse(body, done);
  });
}
