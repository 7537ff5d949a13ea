import { Injectable, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';

interface FastifyLike {
  hasContentTypeParser(type: string): boolean;
  addContentTypeParser(
    type: string,
    options: { parseAs: 'buffer' },
    parser: (
      request: { rawBody?: Buffer },
      body: Buffer,
      done: (error: Error | null, value?: unknown) => void,
    ) => void,
  ): void;
}

const FORM = 'application/x-www-form-urlencoded';

/**
 * Fastify answers 415 to a content type it has no parser for, before any route runs. When the host
 * registered no form parser (`bodyParser: false`, no `@fastify/formbody`), this adds one that keeps
 * the bytes for the panel to decode. Express needs nothing: the panel reads an unparsed body itself.
 */
@Injectable()
export class PanelFormSupport implements OnModuleInit {
  constructor(private readonly adapterHost: HttpAdapterHost) {}

  onModuleInit(): void {
    const adapter = this.adapterHost.httpAdapter;
    if (adapter?.getType() !== 'fastify') return;
    const fastify = adapter.getInstance<FastifyLike>();
    if (fastify.hasContentTypeParser(FORM)) return;
    fastify.addContentTypeParser(FORM, { parseAs: 'buffer' }, (request, body, done) => {
      request.rawBody = body;
      done(null, body);
    });
  }
}
