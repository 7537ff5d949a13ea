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
      ...sampleDatabase('inventory'),
      entities: [...TALKTO_ENTITIES, StockEntity],
      migrations: [...TALKTO_MIGRATIONS, CreateStockTable1767312000000],
      migrationsRun: true,
    }),
    TalktoModule.forRoot({
      service: 'inventory',
      queue: sampleQueue('inventory'),
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
