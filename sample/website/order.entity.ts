import { TalktoEntityEvents } from 'nestjs-talkto';
import { Column, Entity, PrimaryColumn } from 'typeorm';

/** Every insert raises a Talkto entity event, written in the same transaction as the order. */
@TalktoEntityEvents({ on: ['insert'] })
@Entity('sample_orders')
export class OrderEntity {
  @PrimaryColumn({ name: 'order_id', type: 'varchar', length: 40 })
  orderId!: string;

  @Column({ type: 'varchar', length: 40 })
  sku!: string;

  @Column({ type: 'int' })
  quantity!: number;

  /** `pending` until inventory answers, then `reserved` or `refused`. */
  @Column({ type: 'varchar', length: 20, default: 'pending' })
  status!: string;
}
