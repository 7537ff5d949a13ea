/**
 * The BullMQ pair a Nest team would build instead of Talkto (`@nestjs/bullmq`, Redis): the sender
 * writes an outgoing row and adds a job the receiver consumes; the receiver writes its inbox row in
 * the handler's transaction and adds a result job, which the sender consumes and stores. Jobs are
 * removed on completion (kept on failure), as production settings usually have it.
 */
import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import { Injectable, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { BullModule, InjectQueue, Processor, WorkerHost } from '@nestjs/bullmq';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Job, Queue } from 'bullmq';
import type { DataSource } from 'typeorm';
import { createBenchDatabase } from '../support/bench-database.util.js';
import { CompletionCounter } from './bench-handler.fixture.js';
import {
  type CommandMessage,
  pairDatabase,
  receiveCommand,
  RECEIVER_ENTITIES,
  recordOutgoing,
  type ResultMessage,
  SENDER_ENTITIES,
  storeResult,
} from './broker-pair.tables.js';
import type { BaselinePair } from './baseline-pair.js';

const COMMANDS = 'commands';
const RESULTS = 'results';
const JOB_OPTIONS = { removeOnComplete: true, removeOnFail: 1000 };

export async function startBullmqPair(redisUrl: string, concurrency: number): Promise<BaselinePair> {
  const url = new URL(redisUrl);
  const prefix = `talkto-bench-bullmq-${randomBytes(4).toString('hex')}`;
  const bull = BullModule.forRoot({
    connection: { host: url.hostname, port: Number(url.port || 6379) },
    prefix,
  });
  const [senderDb, receiverDb] = [
    await createBenchDatabase('postgres'),
    await createBenchDatabase('postgres'),
  ];

  @Injectable()
  class CommandSender {
    constructor(
      @InjectDataSource() private readonly dataSource: DataSource,
      @InjectQueue(COMMANDS) private readonly commands: Queue,
    ) {}

    async send(message: CommandMessage): Promise<void> {
      await recordOutgoing(this.dataSource, message);
      await this.commands.add('command', message, JOB_OPTIONS);
    }
  }

  @Processor(RESULTS, { concurrency })
  class ResultConsumer extends WorkerHost {
    constructor(
      @InjectDataSource() private readonly dataSource: DataSource,
      private readonly counter: CompletionCounter,
    ) {
      super();
    }

    async process(job: Job<ResultMessage>): Promise<void> {
      if (await storeResult(this.dataSource, job.data)) this.counter.hit();
    }
  }

  @Processor(COMMANDS, { concurrency })
  class CommandConsumer extends WorkerHost {
    constructor(
      @InjectDataSource() private readonly dataSource: DataSource,
      @InjectQueue(RESULTS) private readonly results: Queue,
    ) {
      super();
    }

    async process(job: Job<CommandMessage>): Promise<void> {
      const result = await receiveCommand(this.dataSource, job.data, () => ({ ok: true }));
      await this.results.add('result', result, JOB_OPTIONS);
    }
  }

  @Module({
    imports: [
      pairDatabase(senderDb, SENDER_ENTITIES),
      bull,
      BullModule.registerQueue({ name: COMMANDS }, { name: RESULTS }),
    ],
    providers: [CommandSender, ResultConsumer, CompletionCounter],
  })
  class SenderModule {}

  @Module({
    imports: [
      pairDatabase(receiverDb, RECEIVER_ENTITIES),
      bull,
      BullModule.registerQueue({ name: COMMANDS }, { name: RESULTS }),
    ],
    providers: [CommandConsumer],
  })
  class ReceiverModule {}

  const receiver = await NestFactory.createApplicationContext(ReceiverModule, { logger: false });
  const sender = await NestFactory.createApplicationContext(SenderModule, { logger: false });
  const commandSender = sender.get(CommandSender);
  return {
    send: (message) => commandSender.send(message),
    results: sender.get(CompletionCounter),
    redisPrefixes: [prefix],
    close: async () => {
      await sender.close();
      await receiver.close();
      await senderDb.drop();
      await receiverDb.drop();
    },
  };
}
