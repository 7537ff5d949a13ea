import type { QueryRunner } from 'typeorm';
import type { DatabaseFlavor } from './table-columns.util.js';

/** The SQL dialect family behind a query runner; the migrations support exactly these. */
export function databaseFlavor(queryRunner: QueryRunner): DatabaseFlavor {
  const type = queryRunner.connection.options.type;
  switch (type) {
    case 'better-sqlite3':
    case 'sqljs':
    case 'capacitor':
    case 'cordova':
    case 'expo':
    case 'nativescript':
    case 'react-native':
      return 'sqlite';
    case 'postgres':
    case 'aurora-postgres':
      return 'postgres';
    case 'mysql':
    case 'mariadb':
    case 'aurora-mysql':
      return 'mysql';
    default:
      throw new Error(`Talkto migrations do not support the "${type}" database type.`);
  }
}
