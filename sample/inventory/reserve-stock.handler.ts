import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { type IncomingMessage, TalktoHandler, TalktoResult } from 'nestjs-talkto';
import { DataSource, MoreThanOrEqual } from 'typeorm';
import { ReserveStockDto } from './reserve-stock.dto.js';
import { StockEntity } from './stock.entity.js';

@Injectable()
@TalktoHandler('stock.reserve', { payload: ReserveStockDto })
export class ReserveStockHandler {
  private readonly logger = new Logger('inventory');

  constructor(@InjectDataSource('inventory') private readonly dataSource: DataSource) {}

  async handle(payload: ReserveStockDto, message: IncomingMessage<ReserveStockDto>) {
    const stock = this.dataSource.getRepository(StockEntity);
    // One conditional update: two reservations can never both take the last unit.
    const { affected } = await stock.decrement(
      { sku: payload.sku, available: MoreThanOrEqual(payload.quantity) },
      'available',
      payload.quantity,
    );
    if (!affected) {
      this.logger.log(
        `${message.command} from ${message.source}: not enough ${payload.sku} for ${payload.orderId}`,
      );
      return TalktoResult.finalFailure(`Not enough stock of ${payload.sku}.`, 'insufficient_stock');
    }
    const { available } = await stock.findOneByOrFail({ sku: payload.sku });
    this.logger.log(
      `${message.command} from ${message.source}: reserved ${payload.quantity} × ${payload.sku} for ${payload.orderId}, ${available} left`,
    );
    return { reserved: true, sku: payload.sku, remaining: available };
  }
}
