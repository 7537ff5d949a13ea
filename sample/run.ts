/**
 * The sample end to end: boots `inventory` and `website` (two Nest apps, two databases, talking
 * over HTTP on 127.0.0.1). The website stores three orders; each insert raises an entity event,
 * the event sends a signed `stock.reserve` command, inventory handles it once, and its signed
 * result callback decides whether the order is reserved or refused.
 */
import 'reflect-metadata';
import { ConsoleLogger, type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { getDataSourceToken } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { InventoryModule } from './inventory/inventory.module.js';
import { SAMPLE, resetSampleData } from './shared/sample-environment.js';
import { OrderEntity } from './website/order.entity.js';
import { WebsiteModule } from './website/website.module.js';

/** Only the sample's own story and warnings; Nest's boot chatter would drown it. */
const logger = new ConsoleLogger({ logLevels: ['log', 'warn', 'error'] });
const quiet = new Set([
  'NestFactory',
  'InstanceLoader',
  'RoutesResolver',
  'RouterExplorer',
  'NestApplication',
  'Talkto',
]);
logger.log = (message: unknown, context?: string) => {
  if (!quiet.has(context ?? '')) console.log(`  [${context}] ${String(message)}`);
};

async function boot(module: object, port: number): Promise<INestApplication> {
  // `rawBody: true`: Talkto verifies the exact bytes a peer sent.
  const app = await NestFactory.create(module as never, { rawBody: true, logger });
  await app.listen(port, '127.0.0.1');
  return app;
}

function dataSourceOf(app: INestApplication): DataSource {
  return app.get<DataSource>(getDataSourceToken(app === inventory ? 'inventory' : 'website'));
}

function messages(app: INestApplication, direction: 'incoming' | 'outgoing') {
  return dataSourceOf(app).query(
    `SELECT message_id, command, overall_status, destination_action_status, last_error
       FROM talkto_messages WHERE direction = '${direction}' ORDER BY id`,
  ) as Promise<Array<Record<string, string | null>>>;
}

async function until(check: () => Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`The sample timed out waiting for ${what}.`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

console.log(`nestjs-talkto sample: ${SAMPLE.database} storage, ${SAMPLE.queue} queue\n`);
await resetSampleData(['inventory', 'website']);
const inventory = await boot(InventoryModule, SAMPLE.inventoryPort);
const website = await boot(WebsiteModule, SAMPLE.websitePort);
console.log(
  `inventory listens on 127.0.0.1:${SAMPLE.inventoryPort}, website on 127.0.0.1:${SAMPLE.websitePort}\n`,
);

const orders = dataSourceOf(website).getRepository(OrderEntity);
const placed = [
  { orderId: 'o-1001', sku: 'A-1', quantity: 2 },
  { orderId: 'o-1002', sku: 'A-1', quantity: 3 },
  { orderId: 'o-1003', sku: 'B-2', quantity: 5 },
];
for (const order of placed) {
  await orders.save(orders.create(order));
  console.log(`  [website] order ${order.orderId} placed: ${order.quantity} × ${order.sku}`);
}

await until(
  async () => (await orders.find()).every((order) => order.status !== 'pending'),
  'every order to get inventory’s answer',
);
await until(
  async () => (await messages(inventory, 'outgoing')).every((row) => row.overall_status === 'completed'),
  'every result callback to be delivered',
);

console.log('\nwebsite orders:');
console.table((await orders.find({ order: { orderId: 'ASC' } })).map((order) => ({ ...order })));
console.log('website messages (outgoing commands):');
console.table(await messages(website, 'outgoing'));
console.log('inventory messages (incoming commands, outgoing result callbacks):');
console.table([...(await messages(inventory, 'incoming')), ...(await messages(inventory, 'outgoing'))]);

const final = await orders.find();
const reserved = final.filter((order) => order.status === 'reserved').length;
const received = (await messages(inventory, 'incoming')).length;
const callbacks = (await messages(inventory, 'outgoing')).filter(
  (row) => row.overall_status === 'completed',
).length;
await website.close();
await inventory.close();
console.log(
  `\nsample finished: ${placed.length} orders placed, ${received} commands received and handled once, ` +
    `${callbacks} result callbacks applied: ${reserved} reserved, ${final.length - reserved} refused`,
);
