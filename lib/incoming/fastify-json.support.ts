import { Injectable, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { addFastifyBodyParser } from './add-fastify-body-parser.util.js';

// `application/vnd.example+json` and friends: JSON to a PHP receiver, unknown (415) to Fastify.
const STRUCTURED_JSON = /^application\/[^;\s]+\+json\b/i;

/**
 * Teaches a Fastify host to read `+json` bodies as JSON (keeping the raw bytes), as a PHP receiver
 * does. Express needs nothing: bodies it does not parse stay readable for the route.
 */
@Injectable()
export class FastifyJsonSupport implements OnModuleInit {
  constructor(private readonly adapterHost: HttpAdapterHost) {}

  onModuleInit(): void {
    addFastifyBodyParser(this.adapterHost, STRUCTURED_JSON, (body, done) => {
      try {
        done(null, body.length === 0 ? undefined : JSON.parse(body.toString('utf8')));
      } catch (error) {
        // Same shape as Fastify's own JSON parser failure (the name included: Nest maps only a
        // `FastifyError` to an HttpException), so the body-parse filter recognises it.
        done(
          Object.assign(error as Error, {
            name: 'FastifyError',
            statusCode: 400,
            code: 'FST_ERR_CTP_INVALID_JSON_BODY',
          }),
        );
      }
    });
  }
}
