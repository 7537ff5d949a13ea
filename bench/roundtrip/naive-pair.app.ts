/**
 * The baseline for the round-trip bench: the least a pair of Nest apps can do to move a signed
 * message — sign with HMAC, POST with fetch, verify on the receiver and insert one row — with no
 * ledger, nonce store, queue or retries. Same HTTP adapter and database engine as the Talkto pair.
 * With results on (the bench's `CALLBACKS=1`), the receiver also signs and POSTs a result back
 * after answering, and the sender, now an app with its own database, verifies and stores it.
 */
import 'reflect-metadata';
import { createHmac, timingSafeEqual } from 'node:crypto';
import {
  Controller,
  HttpCode,
  Inject,
  Injectable,
  Module,
  Post,
  Req,
  UnauthorizedException,
  type INestApplication,
} from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { InjectDataSource, TypeOrmModule } from '@nestjs/typeorm';
import { DataSource, EntitySchema } from 'typeorm';
import type { DatabaseKind } from '../../test/support/databases.js';
import { createBenchDatabase } from '../support/bench-database.util.js';
import { CompletionCounter } from './bench-handler.fixture.js';

interface NaiveMessage {
  id: number;
  messageId: string;
  payload: string;
}

const NaiveMessageSchema = new EntitySchema<NaiveMessage>({
  name: 'NaiveMessage',
  tableName: 'naive_messages',
  columns: {
    id: { type: Number, primary: true, generated: 'increment' },
    messageId: { type: String, length: 100, unique: true },
    payload: { type: 'text' },
  },
});

interface NaiveResult {
  id: number;
  messageId: string;
  result: string;
}

const NaiveResultSchema = new EntitySchema<NaiveResult>({
  name: 'NaiveResult',
  tableName: 'naive_results',
  columns: {
    id: { type: Number, primary: true, generated: 'increment' },
    messageId: { type: String, length: 100, unique: true },
    result: { type: 'text' },
  },
});

/** Where the receiver POSTs results; null when results are off. */
const RESULT_URL = Symbol('naive-result-url');

/** What the controller reads from Express's request (`rawBody` comes from `{ rawBody: true }`). */
interface NaiveRequest {
  rawBody?: Buffer;
  headers: Record<string, string | string[] | undefined>;
  body: unknown;
}

export const NAIVE_SECRET = 'naive-bench-secret-0123456789';

function sign(body: string | Buffer): string {
  return createHmac('sha256', NAIVE_SECRET).update(body).digest('hex');
}

function verified(request: NaiveRequest): boolean {
  const given = Buffer.from(String(request.headers['x-signature'] ?? ''));
  const expected = Buffer.from(sign(request.rawBody ?? Buffer.alloc(0)));
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/** Signs and POSTs a JSON body; throws unless the answer is `expected`. */
async function postSigned(url: string, message: unknown, expected: number): Promise<void> {
  const body = JSON.stringify(message);
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'X-Signature': sign(body) },
    body,
  });
  await response.arrayBuffer();
  if (response.status !== expected) {
    throw new Error(`${url} answered ${response.status}`);
  }
}

@Controller('naive')
class NaiveReceiveController {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(RESULT_URL) private readonly resultUrl: string | null,
  ) {}

  @Post('receive')
  @HttpCode(202)
  async receive(@Req() request: NaiveRequest): Promise<{ status: string }> {
    if (!verified(request)) {
      throw new UnauthorizedException();
    }
    const body = request.body as { message_id: string; payload: unknown };
    await this.dataSource
      .getRepository(NaiveMessageSchema)
      .insert({ messageId: body.message_id, payload: JSON.stringify(body.payload) });
    if (this.resultUrl !== null) {
      // After the answer, as a callback would go; a lost result shows as a bench that never ends.
      const url = this.resultUrl;
      setImmediate(() => {
        postSigned(url, { message_id: body.message_id, result: { ok: true } }, 200).catch((error: unknown) =>
          console.error('naive result POST failed', error),
        );
      });
    }
    return { status: 'received' };
  }

  /** The bare endpoint of the receive-route comparison: parse JSON, answer 200. */
  @Post('bare')
  @HttpCode(200)
  bare(): { status: string } {
    return { status: 'ok' };
  }
}

/** The naive sender: sign the body and POST it, nothing stored. */
@Injectable()
export class NaiveSender {
  send(url: string, messageId: string, payload: unknown): Promise<void> {
    return postSigned(url, { message_id: messageId, payload }, 202);
  }
}

/** With results on: the sender's endpoint that verifies a result and stores it. */
@Controller('naive')
class NaiveResultController {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly counter: CompletionCounter,
  ) {}

  @Post('result')
  @HttpCode(200)
  async result(@Req() request: NaiveRequest): Promise<{ status: string }> {
    if (!verified(request)) {
      throw new UnauthorizedException();
    }
    const body = request.body as { message_id: string; result: unknown };
    await this.dataSource
      .getRepository(NaiveResultSchema)
      .insert({ messageId: body.message_id, result: JSON.stringify(body.result) });
    this.counter.hit();
    return { status: 'stored' };
  }
}

export interface NaivePair {
  receiveUrl: string;
  bareUrl: string;
  sender: NaiveSender;
  /** With results on: hit once per result stored on the sender. */
  results: CompletionCounter | null;
  close(): Promise<void>;
}

/** `resultPort`: the sender listens there for results (results on); omitted, no result is sent. */
export async function startNaivePair(
  database: DatabaseKind,
  port: number,
  resultPort?: number,
): Promise<NaivePair> {
  const db = await createBenchDatabase(database);
  const senderDb = resultPort === undefined ? null : await createBenchDatabase(database);
  const typeorm = (options: typeof db.options, entities: EntitySchema[]) =>
    TypeOrmModule.forRoot({ ...options, entities, synchronize: true, logging: false } as Parameters<
      typeof TypeOrmModule.forRoot
    >[0]);

  @Module({
    imports: [typeorm(db.options, [NaiveMessageSchema])],
    controllers: [NaiveReceiveController],
    providers: [
      {
        provide: RESULT_URL,
        useValue: resultPort === undefined ? null : `http://127.0.0.1:${resultPort}/naive/result`,
      },
    ],
  })
  class NaiveReceiverModule {}

  @Module({
    imports: senderDb === null ? [] : [typeorm(senderDb.options, [NaiveResultSchema])],
    controllers: senderDb === null ? [] : [NaiveResultController],
    providers: [NaiveSender, CompletionCounter],
  })
  class NaiveSenderModule {}

  const receiver: INestApplication = await NestFactory.create(NaiveReceiverModule, {
    rawBody: true,
    logger: false,
  });
  await receiver.listen(port, '127.0.0.1');
  // Without results the sender needs no server: an application context, as before.
  const senderApp =
    resultPort === undefined
      ? await NestFactory.createApplicationContext(NaiveSenderModule, { logger: false })
      : await NestFactory.create(NaiveSenderModule, { rawBody: true, logger: false });
  if (resultPort !== undefined) {
    await (senderApp as INestApplication).listen(resultPort, '127.0.0.1');
  }
  return {
    receiveUrl: `http://127.0.0.1:${port}/naive/receive`,
    bareUrl: `http://127.0.0.1:${port}/naive/bare`,
    sender: senderApp.get(NaiveSender),
    results: resultPort === undefined ? null : senderApp.get(CompletionCounter),
    close: async () => {
      await senderApp.close();
      await receiver.close();
      await db.drop();
      await senderDb?.drop();
    },
  };
}
