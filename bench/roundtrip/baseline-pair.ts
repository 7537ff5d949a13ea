import type { CompletionCounter } from './bench-handler.fixture.js';
import type { CommandMessage } from './broker-pair.tables.js';

/** A pair the round-trip bench measures Talkto against: send commands, count stored results. */
export interface BaselinePair {
  send(message: CommandMessage): Promise<void>;
  /** Hit once per result stored on the sender. */
  results: CompletionCounter;
  /** Redis key prefixes the bench removes afterwards. */
  redisPrefixes: string[];
  close(): Promise<void>;
}
