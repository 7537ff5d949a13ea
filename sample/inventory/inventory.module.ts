import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { TALKTO_ENTITIES, TALKTO_MIGRATIONS, TalktoModule } from 'nestjs-talkto';
import { SAMPLE, sampleDatabase, sampleQueue } from '../shared/sample-environment.js';
import { CreateStockTable1767312000000 } from './create-stock-table.migration.js';
import { ReserveStockHandler } from './reserve-stock.handler.js';
import { StockEntity } from './stock.entity.js';

@Module({
  imports: [
    TypeOrmModule.forRoot({
      // Named, so both services can run in one process (the sample runner does that).
      name: 'inventory',
      ...sampleDatabase('inventory'),
      entities: [...TALKTO_ENTITIES, StockEntity],
      migrations: [...TALKTO_MIGRATIONS, CreateStockTable1767312000000],
      migrationsRun: true,
    }),
    TalktoModule.forRoot({
      service: 'inventory',
      queue: sampleQueue('inventory'),
      dataSource: 'inventory',
      outgoing: {
        // Where inventory signs its result callbacks to.
        website: {
          baseUrl: `http://127.0.0.1:${SAMPLE.websitePort}`,
          secret: SAMPLE.inventoryToWebsiteSecret,
        },
      },
      incoming: {
        website: {
          secret: SAMPLE.websiteToInventorySecret,
          allowedCommands: { 'stock.reserve': { idempotency: 'required' } },
        },
      },
    }),
  ],
  providers: [ReserveStockHandler],
})
export class InventoryModule {}
