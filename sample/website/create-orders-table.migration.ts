import { type MigrationInterface, type QueryRunner, Table } from 'typeorm';

export class CreateOrdersTable1767312000001 implements MigrationInterface {
  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.createTable(
      new Table({
        name: 'sample_orders',
        columns: [
          { name: 'order_id', type: 'varchar', length: '40', isPrimary: true },
          { name: 'sku', type: 'varchar', length: '40' },
          { name: 'quantity', type: 'int' },
          { name: 'status', type: 'varchar', length: '20', default: "'pending'" },
        ],
      }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('sample_orders');
  }
}
