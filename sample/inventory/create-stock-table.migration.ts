import { type MigrationInterface, type QueryRunner, Table } from 'typeorm';

/** The sample's own table; the Talkto tables come from the library's migrations. */
export class CreateStockTable1767312000000 implements MigrationInterface {
  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.createTable(
      new Table({
        name: 'sample_stock',
        columns: [
          { name: 'sku', type: 'varchar', length: '40', isPrimary: true },
          { name: 'available', type: 'int' },
        ],
      }),
    );
    await queryRunner.query(`INSERT INTO sample_stock (sku, available) VALUES ('A-1', 10), ('B-2', 1)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('sample_stock');
  }
}
