// The event loop's own turn, not the global a host test's fake timers may replace.
import { setImmediate } from 'node:timers';
import { Logger } from '@nestjs/common';
import type { DataSource, EntityManager } from 'typeorm';
import { runLedgerQuery, sqlStateOf } from './ledger-query.js';
import { postgresArrayText } from './postgres-parameter-text.js';

/** What the batcher needs of a chain (`RowChain`) or a row lookup (`RowLookup`): its answer is `R`. */
export interface BatchableChain<R = unknown> {
  /** The statement for many chains of this shape, or undefined when there is none. */
  batchStatement(manager: EntityManager): string | undefined;
  /** This chain's answer from its row of either statement (undefined: the statement returned none). */
  resultOf(row: Record<string, unknown> | undefined): R;
}

/**
 * Chain statements of one DataSource running at once. One: concurrent writers of the same tables
 * and indexes contend inside the server, and on the bench machine the same work took a third more
 * server CPU per message with a second statement running beside the first.
 */
const LANES = 1;
/** A statement running this long waits for a lock or a busy server: the next one starts anyway. */
const STALLED_MS = 25;
/**
 * Bound one statement: how long its first chain waits, and how much memory its values take (a
 * chain over the text budget still goes, alone).
 */
const MAX_CHAINS_PER_STATEMENT = 64;
const MAX_TEXT_PER_STATEMENT = 1 << 20;
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
  resolve: (result: unknown) => void;
  reject: (error: unknown) => void;
}

interface Shape {
  /** The one statement of a chain of this shape. */
  text: string;
  waiting: Waiting[];
  /** The batch statement, once written; null when the shape has none. */
  batch?: string | null;
}

const batchers = new WeakMap<DataSource, PostgresChainBatcher>();

/**
 * Chains outside any transaction on a PostgreSQL DataSource take turns, gathered by shape (so do
 * row lookups outside a transaction, `RowLookup`: many lookups of one shape are one SELECT). A
 * chain starts at the end of this turn of the event loop when no other chain statement is
 * running; otherwise it waits, and when the running statement ends, the shape whose chain has
 * waited longest goes next: all its waiting chains in one statement (`RowChain.batchStatement`),
 * each still all or nothing (a conditional update that finds its row changed skips only its own
 * chain's later steps). A statement costs a round trip, a commit, and an executor start that opens
 * and locks every index of the tables it writes; a batch pays them once. Under load, chains share
 * statements; when the load is light, nothing waits longer than that turn. A statement stuck
 * behind a lock does not hold up the others for long (`STALLED_MS`). If a batch fails, its chains
 * run again one by one, so each gets its own answer (a duplicate's unique violation stays that
 * chain's).
 */
export class PostgresChainBatcher {
  private readonly shapes = new Map<string, Shape>();
  /** Shapes with waiting chains, the one waiting longest first. */
  private readonly queue: Shape[] = [];
  /** Statements running and not yet stalled. */
  private running = 0;
  private batching = true;
  /** A start is due at the next turn of the event loop. */
  private starting = false;

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
  run<R>(chain: BatchableChain<R>, text: string, parameters: unknown[]): Promise<R> {
    const shape = this.shapeOf(text);
    if (shape === undefined) {
      return this.runAlone(chain, text, parameters);
    }
    return new Promise<R>((resolve, reject) => {
      shape.waiting.push({ chain, parameters, resolve: resolve as (result: unknown) => void, reject });
      if (shape.waiting.length === 1) this.queue.push(shape);
      this.startSoon();
    });
  }

  /**
   * With nothing running, the first chain waits for the rest of this turn of the event loop: the
   * requests and job completions read in one poll start their chains together, and share a
   * statement instead of the first going alone and the rest after it: in the round-trip bench,
   * more commands per second for less CPU each (bench/README.md).
   */
  private startSoon(): void {
    if (this.running >= LANES || this.starting) return;
    this.starting = true;
    setImmediate(() => {
      this.starting = false;
      this.startNext();
    });
  }

  private shapeOf(text: string): Shape | undefined {
    if (!this.batching) return undefined;
    let shape = this.shapes.get(text);
    if (shape === undefined && this.shapes.size < MAX_SHAPES) {
      shape = { text, waiting: [] };
      this.shapes.set(text, shape);
    }
    return shape;
  }

  private startNext(): void {
    while (this.running < LANES && this.queue.length > 0) {
      const shape = this.queue.shift()!;
      const group = shape.waiting.splice(0, groupSize(shape.waiting));
      if (shape.waiting.length > 0) this.queue.push(shape);
      this.running++;
      let stalled = false;
      const timer = setTimeout(() => {
        stalled = true;
        this.running--;
        this.startNext();
      }, STALLED_MS);
      timer.unref();
      void this.runGroup(shape, group).finally(() => {
        clearTimeout(timer);
        if (!stalled) this.running--;
        this.startNext();
      });
    }
  }

  private async runGroup(shape: Shape, group: Waiting[]): Promise<void> {
    const batch = group.length > 1 && this.batching ? this.batchOf(shape, group[0]!.chain) : null;
    if (batch === null) {
      await this.runEachAlone(shape.text, group);
      return;
    }
    const columns = group[0]!.parameters.map((_, i) => {
      const values = group.map((waiting) => waiting.parameters[i]);
      return postgresArrayText(values) ?? values;
    });
    let rows: Array<Record<string, unknown>>;
    try {
      rows = (await runLedgerQuery(this.dataSource.manager, batch, columns)).records;
    } catch (error) {
      const failedAlone = await this.runEachAlone(shape.text, group);
      if (!failedAlone && !CHAIN_OR_MOMENT_ERRORS.has(sqlStateOf(error) ?? '')) this.stopBatching(error);
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

  private async runAlone<R>(chain: BatchableChain<R>, text: string, parameters: unknown[]): Promise<R> {
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

/** How many of the first waiting chains go in one statement: at least one. */
function groupSize(waiting: Waiting[]): number {
  let text = 0;
  for (let i = 0; i < waiting.length && i < MAX_CHAINS_PER_STATEMENT; i++) {
    for (const value of waiting[i]!.parameters) {
      if (typeof value === 'string') text += value.length;
    }
    if (i > 0 && text > MAX_TEXT_PER_STATEMENT) return i;
  }
  return Math.min(waiting.length, MAX_CHAINS_PER_STATEMENT);
}
