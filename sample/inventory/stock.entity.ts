import { Column, Entity, PrimaryColumn } from 'typeorm';

@Entity('sample_stock')
export class StockEntity {
  @PrimaryColumn({ type: 'varchar', length: 40 })
  sku!: string;

  @Column({ type: 'int' })
  available!: number;
}
