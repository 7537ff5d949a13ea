import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { SAMPLE } from '../shared/sample-environment.js';
import { WebsiteModule } from './website.module.js';

const app = await NestFactory.create(WebsiteModule, { rawBody: true });
app.enableShutdownHooks();
await app.listen(SAMPLE.websitePort, '127.0.0.1');
