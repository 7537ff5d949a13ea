import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { TALKTO_ENTITIES, TALKTO_MIGRATIONS, TalktoModule } from 'nestjs-talkto';
import { SAMPLE, sampleDatabase, sampleQueue } from '../shared/sample-environment.js';
import { CreateOrdersTable1767312000001 } from './create-orders-table.migration.js';
import { OrderPlacedListener } from './order-placed.listener.js';
import { OrderEntity } from './order.entity.js';
import { ReservationResultsHandler } from './reservation-results.handler.js';

@Module({
  imports: [
    TypeOrmModule.forRoot({
      // Named, so both services can run in one process (the sample runner does that).
      name: 'website',
      ...sampleDatabase('website'),
      entities: [...TALKTO_ENTITIES, OrderEntity],
      migrations: [...TALKTO_MIGRATIONS, CreateOrdersTable1767312000001],
      migrationsRun: true,
    }),
    TalktoModule.forRoot({
      service: 'website',
      queue: sampleQueue('website'),
      dataSource: 'website',
      outgoing: {
        inventory: {
          baseUrl: `http://127.0.0.1:${SAMPLE.inventoryPort}`,
          secret: SAMPLE.websiteToInventorySecret,
        },
      },
      incoming: {
        // Result callbacks come back signed by inventory with its own secret.
        inventory: {
          secret: SAMPLE.inventoryToWebsiteSecret,
          allowedCommands: { 'talkto.result': { driver: 'none' } },
        },
      },
    }),
  ],
  providers: [OrderPlacedListener, ReservationResultsHandler],
})
export class WebsiteModule {}
