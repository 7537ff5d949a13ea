import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { SAMPLE } from '../shared/sample-environment.js';
import { InventoryModule } from './inventory.module.js';

// `rawBody: true` lets Talkto hash and verify the exact bytes a peer sent.
const app = await NestFactory.create(InventoryModule, { rawBody: true });
app.enableShutdownHooks();
await app.listen(SAMPLE.inventoryPort, '127.0.0.1');
