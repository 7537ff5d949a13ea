import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import {
  OnTalktoResult,
  type TalktoCallbackResult,
  type TalktoOriginalMessage,
  type TalktoResultHandler,
} from 'nestjs-talkto';
import { DataSource } from 'typeorm';
import { OrderEntity } from './order.entity.js';

/** Inventory's signed answer decides what the order becomes. */
@Injectable()
@OnTalktoResult('stock.reserve')
export class ReservationResultsHandler implements TalktoResultHandler {
  private readonly logger = new Logger('website');

  constructor(@InjectDataSource('website') private readonly dataSource: DataSource) {}

  async handle(result: TalktoCallbackResult, original: TalktoOriginalMessage): Promise<void> {
    const orderId = (original.businessKey ?? '').replace(/^order:/, '');
    const status = result.succeeded ? 'reserved' : 'refused';
    await this.dataSource.getRepository(OrderEntity).update({ orderId }, { status });
    this.logger.log(
      `result of ${original.command} for ${orderId}: ${result.status}${result.errorMessage ? ` (${result.errorMessage})` : ''} → order ${status}`,
    );
  }
}
