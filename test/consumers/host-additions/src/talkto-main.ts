// Boots the host the way a production app is set up: a global prefix, the host's own catch-all
// filter, shutdown hooks, the raw body kept for signatures.
import { NestFactory } from '@nestjs/core';
import { HostExceptionFilter } from './talkto-demo/host-exception.filter.js';
import { TalktoDemoModule } from './talkto-demo/talkto-demo.module.js';

async function bootstrap() {
  const app = await NestFactory.create(TalktoDemoModule, { rawBody: true });
  app.setGlobalPrefix('api');
  app.useGlobalFilters(new HostExceptionFilter());
  app.enableShutdownHooks();
  await app.listen(Number(process.env.PORT), '127.0.0.1');
}
void bootstrap();
