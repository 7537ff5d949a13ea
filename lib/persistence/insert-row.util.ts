import type { EntityManager, EntityTarget, ObjectLiteral } from 'typeorm';
import type { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity.js';

/** Engines whose INSERT result carries the new id, read below without another query. */
const ID_FROM_RESULT = new Set(['postgres', 'mysql', 'mariadb', 'better-sqlite3']);

/**
 * Inserts one row with an auto-increment `id` and returns that id. TypeORM's `insert` re-selects
 * every column that has a default on engines without RETURNING (SQLite, MySQL), although the
 * ledger always writes those columns itself: one more query per insert, skipped here.
 */
export async function insertRow<T extends ObjectLiteral>(
  manager: EntityManager,
  target: EntityTarget<T>,
  values: QueryDeepPartialEntity<T>,
): Promise<number> {
  const type = manager.connection.options.type;
  if (!ID_FROM_RESULT.has(type)) {
    const result = await manager.insert(target, values);
    return Number(result.identifiers[0]!.id);
  }
  const insert = manager.createQueryBuilder().insert().into(target).values(values).updateEntity(false);
  if (type === 'postgres') insert.returning(['id']);
  const { raw } = (await insert.execute()) as { raw: unknown };
  const id = Array.isArray(raw)
    ? (raw[0] as { id: unknown }).id
    : typeof raw === 'object' && raw !== null
      ? (raw as { insertId: unknown }).insertId
      : raw;
  return Number(id);
}
