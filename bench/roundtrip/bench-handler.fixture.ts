import { Injectable } from '@nestjs/common';
import { OnTalktoResult, TalktoHandler } from '../../lib/index.js';

/** Counts handler completions so the bench can await the last one. */
@Injectable()
export class CompletionCounter {
  private count = 0;
  private waiter: { target: number; resolve: () => void } | null = null;

  /** Completions so far. */
  get completed(): number {
    return this.count;
  }

  hit(): void {
    this.count++;
    if (this.waiter !== null && this.count >= this.waiter.target) {
      this.waiter.resolve();
      this.waiter = null;
    }
  }

  /** Resolves once `more` further completions have happened. */
  expect(more: number): Promise<void> {
    const target = this.count + more;
    return new Promise((resolve) => {
      if (this.count >= target) {
        resolve();
      } else {
        this.waiter = { target, resolve };
      }
    });
  }
}

/** `bench.ping`: the handler does nothing but count. */
@Injectable()
@TalktoHandler('bench.ping')
export class PingHandler {
  constructor(private readonly counter: CompletionCounter) {}

  handle(): void {
    this.counter.hit();
  }
}

/** With `CALLBACKS=1`: counts `bench.ping` results applied on the sender. */
@Injectable()
@OnTalktoResult('bench.ping')
export class PingResults {
  constructor(private readonly counter: CompletionCounter) {}

  handle(): void {
    this.counter.hit();
  }
}
