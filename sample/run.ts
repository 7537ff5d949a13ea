/**
 * The sample end to end: boots `inventory` and `website` (two Nest apps, two databases, talking
 * over HTTP on 127.0.0.1), sends a few commands from the website and prints what each side did.
 */
import 'reflect-metadata';
import { ConsoleLogger, type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { TalktoClient } from 'nestjs-talkto';
import { DataSource } from 'typeorm';
import { InventoryModule } from './inventory/inventory.module.js';
import { SAMPLE, resetSampleData } from './shared/sample-environment.js';
import { WebsiteModule } from './website/website.module.js';

interface MessageRow {
  message_id: string;
  command: string;
  overall_status: string;
  destination_action_status: string | null;
  last_error: string | null;
}

/** Only the sample's own story and warnings; Nest's boot chatter would drown it. */
const logger = new ConsoleLogger({ logLevels: ['log', 'warn', 'error'] });
const quietContexts = new Set([
  'NestFactory',
  'InstanceLoader',
  'RoutesResolver',
  'RouterExplorer',
  'NestApplication',
]);
logger.log = (message: unknown, context?: string) => {
  if (!quietContexts.has(context ?? '')) console.log(`  [${context}] ${String(message)}`);
};

async function boot(module: object, port: number): Promise<INestApplication> {
  const app = await NestFactory.create(module as never, { rawBody: true, logger });
  await app.listen(port, '127.0.0.1');
  return app;
}

async function rows(app: INestApplication, direction: string): Promise<MessageRow[]> {
  return app
    .get(DataSource)
    .query(
      `SELECT message_id, command, overall_status, destination_action_status, last_error FROM talkto_messages WHERE direction = '${direction}' ORDER BY id`,
    );
}

async function until(check: () => Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`The sample timed out waiting for ${what}.`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

console.log(`nestjs-talkto sample: ${SAMPLE.database} storage, ${SAMPLE.queue} queue\n`);
await resetSampleData(['inventory', 'website']);
const inventory = await boot(InventoryModule, SAMPLE.inventoryPort);
const website = await boot(WebsiteModule, SAMPLE.websitePort);
console.log(`inventory listens on :${SAMPLE.inventoryPort}, website on :${SAMPLE.websitePort}\n`);

const talkto = website.get(TalktoClient);
const orders = [
  { orderId: 'o-1001', sku: 'A-1', quantity: 2 },
  { orderId: 'o-1002', sku: 'A-1', quantity: 3 },
  { orderId: 'o-1003', sku: 'B-2', quantity: 5 },
];
for (const order of orders) {
  const sent = await talkto.send('inventory', 'stock.reserve', order, {
    idempotencyKey: `reserve:${order.orderId}`,
    businessKey: `order:${order.orderId}`,
  });
  console.log(`  [website] sent stock.reserve for ${order.orderId} as message ${sent.messageId}`);
}

const final = new Set(['succeeded', 'failed_final', 'failed_retryable', 'skipped']);
await until(async () => {
  const received = await rows(inventory, 'incoming');
  return received.length === orders.length && received.every((row) => final.has(row.overall_status));
}, 'inventory to handle every command');
await until(
  async () => (await rows(website, 'outgoing')).every((row) => row.overall_status === 'destination_received'),
  'website to record every delivery',
);

console.log('\nwebsite (outgoing):');
console.table(
  (await rows(website, 'outgoing')).map(
    ({ message_id, command, overall_status, destination_action_status }) => ({
      message_id,
      command,
      overall_status,
      destination_action_status,
    }),
  ),
);
console.log('inventory (incoming):');
console.table(
  (await rows(inventory, 'incoming')).map(({ message_id, command, overall_status, last_error }) => ({
    message_id,
    command,
    overall_status,
    last_error,
  })),
);

await website.close();
await inventory.close();
console.log('sample finished: 3 commands sent, 3 received, 2 reserved, 1 refused for lack of stock');
