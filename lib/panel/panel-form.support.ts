import { Injectable, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { addFastifyBodyParser } from '../incoming/add-fastify-body-parser.util.js';

const FORM = 'application/x-www-form-urlencoded';

/**
 * When a Fastify host registered no form parser (`bodyParser: false`, no `@fastify/formbody`), this
 * adds one that keeps the bytes for the panel to decode. Express needs nothing: the panel reads an
 * unparsed body itself.
 */
@Injectable()
export class PanelFormSupport implements OnModuleInit {
  constructor(private readonly adapterHost: HttpAdapterHost) {}

  onModuleInit(): void {
    addFastifyBodyParser(this.adapterHost, FORM, (body, done) => done(null, body));
  }
}
