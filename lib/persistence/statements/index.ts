/**
 * The statement machinery's one entry point: how the ledger's writes reach each engine (row
 * chains, PostgreSQL's batched statements, SQLite's group commit, prepared ledger queries). The
 * ledger files say what to write; nothing outside this folder imports its files directly.
 */
export { ChainResult, ChainStep } from './chain-result.js';
export { InsertedRowCache } from './inserted-row.cache.js';
export { insertStandalone, RowChain, runChained } from './row-chain.js';
export {
  findRow,
  INCREMENT,
  insertRow,
  type RowChanges,
  type SqlBinder,
  SqlExpression,
  updateRows,
} from './row-statements.js';
export { runInTransaction, runStandaloneWrite } from './run-in-transaction.util.js';
export { isUniqueViolation } from './unique-violation.util.js';
