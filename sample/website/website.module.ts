import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { TALKTO_ENTITIES, TALKTO_MIGRATIONS, TalktoModule } from 'nestjs-talkto';
import { SAMPLE, sampleDatabase, sampleQueue } from '../shared/sample-environment.js';

@Module({
  imports: [
    TypeOrmModule.forRoot({
      ...sampleDatabase('website'),
      entities: TALKTO_ENTITIES,
      migrations: TALKTO_MIGRATIONS,
      migrationsRun: true,
    }),
    TalktoModule.forRoot({
      service: 'website',
      queue: sampleQueue('website'),
      outgoing: {
        inventory: {
          baseUrl: `http://127.0.0.1:${SAMPLE.inventoryPort}`,
          secret: SAMPLE.websiteToInventorySecret,
        },
      },
    }),
  ],
})
export class WebsiteModule {}
