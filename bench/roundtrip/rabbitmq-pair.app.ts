/**
 * The RabbitMQ pair a Nest team would build instead of Talkto (amqplib): durable queues,
 * persistent messages, publisher confirms and manual acks. The sender writes an outgoing row and
 * publishes the command; the receiver writes its inbox row in the handler's transaction, publishes
 * the result, and acks the command once the broker confirmed the result; the sender stores the
 * result and acks it. Queues are named per run and deleted afterwards.
 */
import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import { Inject, Injectable, Module, type OnModuleDestroy } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { InjectDataSource } from '@nestjs/typeorm';
import { type ChannelModel, type ConfirmChannel, connect, type ConsumeMessage } from 'amqplib';
import type { DataSource } from 'typeorm';
import { createBenchDatabase } from '../support/bench-database.util.js';
import type { BaselinePair } from './baseline-pair.js';
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

const BROKER = Symbol('broker');

interface Broker {
  connection: ChannelModel;
  channel: ConfirmChannel;
  commands: string;
  results: string;
}

/** Publishes persistently and resolves once the broker confirmed the message. */
function publish(channel: ConfirmChannel, queue: string, body: unknown): Promise<void> {
  return new Promise((resolve, reject) => {
    channel.sendToQueue(
      queue,
      Buffer.from(JSON.stringify(body)),
      { persistent: true, contentType: 'application/json' },
      (error) => (error ? reject(error) : resolve()),
    );
  });
}

/** Runs `handle` per delivery; acks after it succeeded, requeues when it threw. */
async function consume<T>(channel: ConfirmChannel, queue: string, handle: (body: T) => Promise<void>) {
  await channel.consume(
    queue,
    (delivery: ConsumeMessage | null) => {
      if (delivery === null) return;
      handle(JSON.parse(delivery.content.toString()) as T).then(
        () => channel.ack(delivery),
        () => channel.nack(delivery, false, true),
      );
    },
    { noAck: false },
  );
}

async function openBroker(url: string, commands: string, results: string, prefetch: number): Promise<Broker> {
  const connection = await connect(url);
  const channel = await connection.createConfirmChannel();
  await channel.assertQueue(commands, { durable: true });
  await channel.assertQueue(results, { durable: true });
  await channel.prefetch(prefetch);
  return { connection, channel, commands, results };
}

@Injectable()
class BrokerCloser implements OnModuleDestroy {
  constructor(@Inject(BROKER) private readonly broker: Broker) {}

  async onModuleDestroy(): Promise<void> {
    await this.broker.channel.close();
    await this.broker.connection.close();
  }
}

export async function startRabbitmqPair(amqpUrl: string, concurrency: number): Promise<BaselinePair> {
  const run = `talkto-bench-${randomBytes(4).toString('hex')}`;
  const [commands, results] = [`${run}.commands`, `${run}.results`];
  const [senderDb, receiverDb] = [
    await createBenchDatabase('postgres'),
    await createBenchDatabase('postgres'),
  ];
  const brokerProvider = {
    provide: BROKER,
    useFactory: () => openBroker(amqpUrl, commands, results, concurrency),
  };

  @Injectable()
  class CommandSender {
    constructor(
      @InjectDataSource() private readonly dataSource: DataSource,
      @Inject(BROKER) private readonly broker: Broker,
      counter: CompletionCounter,
    ) {
      void consume<ResultMessage>(broker.channel, broker.results, async (result) => {
        if (await storeResult(this.dataSource, result)) counter.hit();
      });
    }

    async send(message: CommandMessage): Promise<void> {
      await recordOutgoing(this.dataSource, message);
      await publish(this.broker.channel, this.broker.commands, message);
    }
  }

  @Injectable()
  class CommandConsumer {
    constructor(@InjectDataSource() dataSource: DataSource, @Inject(BROKER) broker: Broker) {
      void consume<CommandMessage>(broker.channel, broker.commands, async (message) => {
        const result = await receiveCommand(dataSource, message, () => ({ ok: true }));
        await publish(broker.channel, broker.results, result);
      });
    }
  }

  @Module({
    imports: [pairDatabase(senderDb, SENDER_ENTITIES)],
    providers: [brokerProvider, BrokerCloser, CommandSender, CompletionCounter],
  })
  class SenderModule {}

  @Module({
    imports: [pairDatabase(receiverDb, RECEIVER_ENTITIES)],
    providers: [brokerProvider, BrokerCloser, CommandConsumer],
  })
  class ReceiverModule {}

  const receiver = await NestFactory.createApplicationContext(ReceiverModule, { logger: false });
  const sender = await NestFactory.createApplicationContext(SenderModule, { logger: false });
  const commandSender = sender.get(CommandSender);
  return {
    send: (message) => commandSender.send(message),
    results: sender.get(CompletionCounter),
    redisPrefixes: [],
    close: async () => {
      await sender.close();
      await receiver.close();
      const cleanup = await connect(amqpUrl);
      const channel = await cleanup.createChannel();
      await channel.deleteQueue(commands);
      await channel.deleteQueue(results);
      await cleanup.close();
      await senderDb.drop();
      await receiverDb.drop();
    },
  };
}
