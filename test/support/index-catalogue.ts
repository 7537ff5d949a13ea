import type { DataSource } from 'typeorm';
import { TALKTO_TABLES } from '../../lib/persistence/persistence.constants.js';

/** Index names per Talkto table (unique ones included), sorted. */
export async function indexNames(dataSource: DataSource): Promise<Record<string, string[]>> {
  const runner = dataSource.createQueryRunner();
  try {
    const result: Record<string, string[]> = {};
    for (const table of Object.values(TALKTO_TABLES)) {
      const loaded = await runner.getTable(table);
      result[table] = loaded!.indices.map((index) => index.name!).sort();
    }
    return result;
  } finally {
    await runner.release();
  }
}

export async function indexDefinitions(
  dataSource: DataSource,
  kind: string,
): Promise<Record<string, string>> {
  const rows: Array<{ name: string; definition: string }> =
    kind === 'postgres'
      ? await dataSource.query(
          `SELECT indexname AS name, indexdef AS definition FROM pg_indexes WHERE tablename = $1`,
          [TALKTO_TABLES.messages],
        )
      : await dataSource.query(
          `SELECT name, sql AS definition FROM sqlite_master WHERE type = 'index' AND tbl_name = ?`,
          [TALKTO_TABLES.messages],
        );
  return Object.fromEntries(rows.map((row) => [row.name, row.definition]));
}

/** An index's key columns in key order, from the engine's own catalogue. */
export async function keyColumns(dataSource: DataSource, kind: string, index: string): Promise<string[]> {
  if (kind === 'mariadb') {
    const rows: Array<{ Column_name: string }> = await dataSource.query(
      `SHOW INDEX FROM ${TALKTO_TABLES.messages} WHERE Key_name = ?`,
      [index],
    );
    return rows.map((row) => row.Column_name);
  }
  const definition = (await indexDefinitions(dataSource, kind))[index];
  const keys = /\(([^)]*)\)/.exec(definition)![1];
  return keys.split(',').map((key) => key.trim().replace(/"/g, ''));
}
