import { Logger } from '@nestjs/common';
import type { DataSource, EntityManager } from 'typeorm';
import { QueryFailedError } from 'typeorm';
import { runLedgerQuery } from './ledger-query.js';
import type { ChainResult } from './row-chain.js';

/** What the batcher needs of a chain (`RowChain`). */
export interface BatchableChain {
  /** The statement for many chains of this shape, or undefined when there is none. */
  batchStatement(manager: EntityManager): string | undefined;
  resultOf(row: Record<string, unknown> | undefined): ChainResult;
}

/** Statements of one shape running at once; the chains arriving meanwhile wait and go together. */
const MAX_IN_FLIGHT_PER_SHAPE = 1;
/** Bounds one statement's size, and so how long its first chain waits. */
const MAX_CHAINS_PER_STATEMENT = 64;
/** The ledger writes a few dozen shapes; beyond this, new shapes run alone. */
const MAX_SHAPES = 500;

/**
 * A batch that failed while each of its chains then ran fine alone points at the batch statement
 * itself, except for these: a unique or foreign-key conflict, a deadlock, a serialization failure
 * or a cancelled statement is a fact of one of the chains, or of the moment.
 */
const CHAIN_OR_MOMENT_ERRORS = new Set(['23505', '23503', '40P01', '40001', '57014']);

interface Waiting {
  chain: BatchableChain;
  parameters: unknown[];
  resolve: (result: ChainResult) => void;
  reject: (error: unknown) => void;
}

interface Shape {
  inFlight: number;
  waiting: Waiting[];
  /** The batch statement, once written; null when the shape has none. */
  batch?: string | null;
}

const batchers = new WeakMap<DataSource, PostgresChainBatcher>();

/**
 * Chains outside any transaction on a PostgreSQL DataSource, gathered by shape. A chain runs at
 * once while no statement of its shape is running; otherwise it waits, and the chains waiting
 * when that one finishes go as one statement (`RowChain.batchStatement`), each still all or
 * nothing: a conditional update that finds its row changed skips only its own chain's later
 * steps. A statement costs a round trip, a commit, and an executor start that opens and locks
 * every index of the tables it writes (26 on `talkto_messages`); a batch pays them once. Under
 * load, chains share statements; when the load is light, nothing waits. If a batch fails, its
 * chains run again one by one, so each gets its own answer (a duplicate's unique violation stays
 * that chain's).
 */
export class PostgresChainBatcher {
  private readonly shapes = new Map<string, Shape>();
  private batching = true;

  private constructor(private readonly dataSource: DataSource) {}

  static of(dataSource: DataSource): PostgresChainBatcher {
    let batcher = batchers.get(dataSource);
    if (!batcher) {
      batcher = new PostgresChainBatcher(dataSource);
      batchers.set(dataSource, batcher);
    }
    return batcher;
  }

  /** Runs `chain`, whose one statement is `text` with `parameters`. */
  run(chain: BatchableChain, text: string, parameters: unknown[]): Promise<ChainResult> {
    const shape = this.shapeOf(text);
    if (shape === undefined) {
      return this.runAlone(chain, text, parameters);
    }
    if (shape.inFlight < MAX_IN_FLIGHT_PER_SHAPE) {
      shape.inFlight++;
      return this.runAlone(chain, text, parameters).finally(() => this.next(text, shape));
    }
    return new Promise((resolve, reject) => shape.waiting.push({ chain, parameters, resolve, reject }));
  }

  private shapeOf(text: string): Shape | undefined {
    if (!this.batching) return undefined;
    let shape = this.shapes.get(text);
    if (shape === undefined && this.shapes.size < MAX_SHAPES) {
      shape = { inFlight: 0, waiting: [] };
      this.shapes.set(text, shape);
    }
    return shape;
  }

  private next(text: string, shape: Shape): void {
    shape.inFlight--;
    if (shape.waiting.length === 0) return;
    const group = shape.waiting.splice(0, MAX_CHAINS_PER_STATEMENT);
    shape.inFlight++;
    void this.runGroup(text, shape, group).finally(() => this.next(text, shape));
  }

  private async runGroup(text: string, shape: Shape, group: Waiting[]): Promise<void> {
    const batch = group.length > 1 && this.batching ? this.batchOf(shape, group[0]!.chain) : null;
    if (batch === null) {
      await this.runEachAlone(text, group);
      return;
    }
    const columns = group[0]!.parameters.map((_, i) => group.map((waiting) => waiting.parameters[i]));
    let rows: Array<Record<string, unknown>>;
    try {
      rows = (await runLedgerQuery(this.dataSource.manager, batch, columns)).records;
    } catch (error) {
      const failedAlone = await this.runEachAlone(text, group);
      if (!failedAlone && !CHAIN_OR_MOMENT_ERRORS.has(sqlState(error) ?? '')) this.stopBatching(error);
      return;
    }
    // One answer row per chain, in order (`RowChain.batchStatement`).
    group.forEach((waiting, i) => waiting.resolve(waiting.chain.resultOf(rows[i])));
  }

  private batchOf(shape: Shape, chain: BatchableChain): string | null {
    shape.batch ??= chain.batchStatement(this.dataSource.manager) ?? null;
    return shape.batch;
  }

  /** Settles each chain of `group` by its own statement; true when any of them failed. */
  private async runEachAlone(text: string, group: Waiting[]): Promise<boolean> {
    const outcomes = await Promise.allSettled(
      group.map((waiting) => this.runAlone(waiting.chain, text, waiting.parameters)),
    );
    outcomes.forEach((outcome, i) =>
      outcome.status === 'fulfilled' ? group[i]!.resolve(outcome.value) : group[i]!.reject(outcome.reason),
    );
    return outcomes.some((outcome) => outcome.status === 'rejected');
  }

  private async runAlone(chain: BatchableChain, text: string, parameters: unknown[]): Promise<ChainResult> {
    const { records } = await runLedgerQuery(this.dataSource.manager, text, parameters);
    return chain.resultOf(records[0]);
  }

  /** Chains already waiting still go in their groups, each by its own statement. */
  private stopBatching(error: unknown): void {
    this.batching = false;
    new Logger('Talkto').warn(
      `A batched Talkto statement failed where its statements alone did not ` +
        `(${error instanceof Error ? error.message : String(error)}); ` +
        'Talkto statements on this data source now run one by one.',
    );
  }
}

function sqlState(error: unknown): string | undefined {
  const code =
    error instanceof QueryFailedError ? (error.driverError as { code?: unknown })?.code : undefined;
  return typeof code === 'string' ? code : undefined;
}
