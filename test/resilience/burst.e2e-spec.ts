import { describe, expect, it } from '@jest/globals';
import { Injectable } from '@nestjs/common';
import { type IncomingMessage, TalktoClient, TalktoHandler } from '../../lib/index.js';
import { TalktoAttemptEntity } from '../../lib/persistence/entities/attempt.entity.js';
import { TalktoDeadLetterEntity } from '../../lib/persistence/entities/dead-letter.entity.js';
import { TalktoMessageEntity } from '../../lib/persistence/entities/message.entity.js';
import type { RunningTalktoApp } from '../support/talkto-app.js';
import { useTalktoPair } from '../support/talkto-pair.js';

/**
 * A burst of commands between two real apps with the default settings on both sides (in-process
 * queue, PostgreSQL): every command must be handled and its result applied, none dead-lettered.
 * The time it took is printed, not asserted (speed is measured in bench/).
 */

const BURST = Number(process.env.TALKTO_BURST_MESSAGES ?? 1000);
const SECRET = 'burst-secret-0123456789abcdef';
/** Bounds the wait only; with the old defaults most of the burst was dead-lettered after ~4 min. */
const SETTLE_MS = 240_000;

@Injectable()
@TalktoHandler('stock.reserve')
class ReserveHandler {
  handle(payload: { n: number }, _message: IncomingMessage) {
    return { reserved: payload.n };
  }
}

describe('a burst of commands with default settings', () => {
  const apps = useTalktoPair({
    commandSecret: SECRET,
    allowedCommands: ['stock.reserve'],
    receiver: { providers: [ReserveHandler] },
  });

  const tally = async (app: RunningTalktoApp, direction: 'incoming' | 'outgoing') => {
    const rows: Array<{ overall_status: string; count: string | number }> = await app.dataSource
      .getRepository(TalktoMessageEntity)
      .createQueryBuilder('m')
      .select('m.overall_status', 'overall_status')
      .addSelect('COUNT(*)', 'count')
      .where('m.direction = :direction', { direction })
      .groupBy('m.overall_status')
      .getRawMany();
    return Object.fromEntries(rows.map((row) => [row.overall_status, Number(row.count)]));
  };

  it(
    'handles every command of a 1000-command burst and applies every result, dead-lettering none',
    async () => {
      const client = apps.inventory.app.get(TalktoClient);
      const started = performance.now();
      for (let first = 0; first < BURST; first += 100) {
        const chunk = Array.from({ length: Math.min(100, BURST - first) }, (_, i) => first + i);
        await Promise.all(chunk.map((n) => client.send('website', 'stock.reserve', { n })));
      }
      const queuedAfterMs = performance.now() - started;
      let sender: Record<string, number> = {};
      const deadline = Date.now() + SETTLE_MS;
      while (Date.now() < deadline) {
        sender = await tally(apps.inventory, 'outgoing');
        if ((sender.completed ?? 0) === BURST || (sender.failed_final ?? 0) > 0) break;
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
      const elapsedMs = performance.now() - started;
      const receiver = await tally(apps.website, 'incoming');
      const deadLetters =
        (await apps.inventory.dataSource.getRepository(TalktoDeadLetterEntity).count()) +
        (await apps.website.dataSource.getRepository(TalktoDeadLetterEntity).count());
      const throttled = await apps.inventory.dataSource
        .getRepository(TalktoAttemptEntity)
        .countBy({ httpStatus: 429 });
      console.log(
        `[resilience] burst postgres in-process defaults: commands=${BURST} queued_in=${Math.round(queuedAfterMs)}ms ` +
          `all_results_applied_in=${Math.round(elapsedMs)}ms attempts_throttled=${throttled} sender=${JSON.stringify(sender)} ` +
          `receiver=${JSON.stringify(receiver)}`,
      );
      expect({ sender, receiver, deadLetters }).toEqual({
        sender: { completed: BURST },
        receiver: { succeeded: BURST },
        deadLetters: 0,
      });
    },
    SETTLE_MS + 60_000,
  );
});
