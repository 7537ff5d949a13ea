/**
 * The baseline for the round-trip bench: the least a pair of Nest apps can do to move a signed
 * message — sign with HMAC, POST with fetch, verify on the receiver and insert one row — with no
 * ledger, nonce store, queue or retries. Same HTTP adapter and database engine as the Talkto pair.
 */
import 'reflect-metadata';
import { createHmac, timingSafeEqual } from 'node:crypto';
import {
  Controller,
  HttpCode,
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

@Controller('naive')
class NaiveReceiveController {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  @Post('receive')
  @HttpCode(202)
  async receive(@Req() request: NaiveRequest): Promise<{ status: string }> {
    const raw = request.rawBody ?? Buffer.alloc(0);
    const given = Buffer.from(String(request.headers['x-signature'] ?? ''));
    const expected = Buffer.from(sign(raw));
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      throw new UnauthorizedException();
    }
    const body = request.body as { message_id: string; payload: unknown };
    await this.dataSource
      .getRepository(NaiveMessageSchema)
      .insert({ messageId: body.message_id, payload: JSON.stringify(body.payload) });
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
  async send(url: string, messageId: string, payload: unknown): Promise<void> {
    const body = JSON.stringify({ message_id: messageId, payload });
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'X-Signature': sign(body) },
      body,
    });
    await response.arrayBuffer();
    if (response.status !== 202) {
      throw new Error(`naive receiver answered ${response.status}`);
    }
  }
}

@Module({ providers: [NaiveSender] })
class NaiveSenderModule {}

export interface NaivePair {
  receiveUrl: string;
  bareUrl: string;
  sender: NaiveSender;
  close(): Promise<void>;
}

export async function startNaivePair(database: DatabaseKind, port: number): Promise<NaivePair> {
  const db = await createBenchDatabase(database);

  @Module({
    imports: [
      TypeOrmModule.forRoot({
        ...db.options,
        entities: [NaiveMessageSchema],
        synchronize: true,
        logging: false,
      } as Parameters<typeof TypeOrmModule.forRoot>[0]),
    ],
    controllers: [NaiveReceiveController],
  })
  class NaiveReceiverModule {}

  const receiver: INestApplication = await NestFactory.create(NaiveReceiverModule, {
    rawBody: true,
    logger: false,
  });
  await receiver.listen(port, '127.0.0.1');
  const senderApp = await NestFactory.createApplicationContext(NaiveSenderModule, { logger: false });
  return {
    receiveUrl: `http://127.0.0.1:${port}/naive/receive`,
    bareUrl: `http://127.0.0.1:${port}/naive/bare`,
    sender: senderApp.get(NaiveSender),
    close: async () => {
      await senderApp.close();
      await receiver.close();
      await db.drop();
    },
  };
}
