import { QueryFailedError } from 'typeorm';

interface DriverError {
  code?: unknown;
  errno?: unknown;
}

/**
 * True when a query failed on a unique index: SQLSTATE 23505 (pg), ER_DUP_ENTRY 1062
 * (mysql2/mariadb), SQLITE_CONSTRAINT_UNIQUE / _PRIMARYKEY (better-sqlite3). Anything else is a
 * real failure and must propagate.
 */
export function isUniqueViolation(error: unknown): boolean {
  if (!(error instanceof QueryFailedError)) {
    return false;
  }
  const driverError = (error.driverError ?? {}) as DriverError;
  return (
    driverError.code === '23505' ||
    driverError.code === 'ER_DUP_ENTRY' ||
    driverError.errno === 1062 ||
    driverError.code === 'SQLITE_CONSTRAINT_UNIQUE' ||
    driverError.code === 'SQLITE_CONSTRAINT_PRIMARYKEY'
  );
}
