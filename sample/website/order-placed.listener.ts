import { Injectable } from '@nestjs/common';
import { OnEntityEvent, TalktoClient, type TalktoEntityEvent } from 'nestjs-talkto';
import { OrderEntity } from './order.entity.js';

/** A new order asks inventory to reserve its stock. The business mapping stays in host code. */
@Injectable()
export class OrderPlacedListener {
  constructor(private readonly talkto: TalktoClient) {}

  @OnEntityEvent(OrderEntity, 'insert')
  async reserveStock(event: TalktoEntityEvent): Promise<void> {
    const order = event.data as { orderId: string; sku: string; quantity: number };
    await this.talkto.send(
      'inventory',
      'stock.reserve',
      { orderId: order.orderId, sku: order.sku, quantity: order.quantity },
      { idempotencyKey: `reserve:${order.orderId}`, businessKey: `order:${order.orderId}` },
    );
  }
}
