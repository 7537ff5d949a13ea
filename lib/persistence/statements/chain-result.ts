// Apart from row-chain.ts so the PostgreSQL batcher can name a chain's result without importing the chain.

/** A write of a chain; as a value, the id of the row it wrote (an insert's new id). */
export class ChainStep {
  constructor(readonly index: number) {}
}

/** Per step: an insert's new id, an update's count of rows; null when the step did not run. */
export class ChainResult {
  constructor(private readonly outcomes: Array<number | null>) {}

  /** The id an insert wrote; null when it did not run. */
  id(step: ChainStep): number | null {
    return this.outcomes[step.index] ?? null;
  }

  /** Whether the step wrote or changed a row. */
  wrote(step: ChainStep): boolean {
    return (this.outcomes[step.index] ?? 0) > 0;
  }
}
