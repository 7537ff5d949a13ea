import { afterAll, beforeAll } from '@jest/globals';
import type { DynamicModule, LoggerService } from '@nestjs/common';
import type {
  TalktoIncomingSourceOptions,
  TalktoModuleOptions,
  TalktoOutgoingTargetOptions,
} from '../../lib/index.js';
import type { DatabaseKind } from './databases.js';
import { freePort } from './free-port.js';
import {
  type HttpAdapterKind,
  type QueueKind,
  type RunningTalktoApp,
  startTalktoApp,
  type TalktoAppSpec,
} from './talkto-app.js';

/**
 * How the receiver's results travel back:
 * - `allow-listed`: the sender lists `talkto.result` (driver `none`) for the receiver;
 * - `implicit`: the sender gives the receiver only a secret, as docs/getting-started.md shows;
 * - `none`: the receiver has no outgoing peer for the sender, and the sender no incoming one.
 */
export type PairCallbacks = 'allow-listed' | 'implicit' | 'none';

/** What one side adds to the pair's defaults; a peer in `talkto` is merged field by field into the generated one. */
export interface PairSideSpec extends Partial<Omit<TalktoAppSpec, 'port' | 'talkto' | 'talktoModule'>> {
  talkto?: Omit<Partial<TalktoModuleOptions>, 'incoming' | 'outgoing'> & {
    incoming?: Record<string, Partial<TalktoIncomingSourceOptions>>;
    outgoing?: Record<string, Partial<TalktoOutgoingTargetOptions>>;
  };
}

export interface TalktoPairSpec {
  /** Commands the receiver (`website`) takes from the sender (`inventory`). */
  allowedCommands: TalktoIncomingSourceOptions['allowedCommands'];
  /** Secret the sender signs its commands with. */
  commandSecret: string;
  /** Secret the receiver signs its results with (default: `commandSecret`). */
  callbackSecret?: string;
  /** Default `allow-listed`. */
  callbacks?: PairCallbacks;
  /** Both apps' engine (default `postgres`); a side's own `database` wins. */
  database?: DatabaseKind;
  /** Both apps' queue driver (default `in-process`); a side's own `queue` wins. */
  queue?: QueueKind;
  /** Both apps' HTTP platform (default `express`); a side's own `adapter` wins. */
  adapter?: HttpAdapterKind;
  /** Both apps' logger (default none). */
  logger?: LoggerService;
  /** How each app imports Talkto, given its options (default `TalktoModule.forRoot`). */
  talktoModule?: (options: TalktoModuleOptions) => DynamicModule;
  /** The receiving app, `website`: its handlers, options and host set-up. */
  receiver?: PairSideSpec;
  /** The sending app, `inventory`. */
  sender?: PairSideSpec;
}

export interface TalktoPair {
  /** The sender: it sends the commands and takes their results. */
  readonly inventory: RunningTalktoApp;
  /** The receiver: it handles the commands. */
  readonly website: RunningTalktoApp;
}

/**
 * Boots the pair before the enclosing `describe`'s tests (receiver first) and closes it after them.
 * The apps are read from the returned object once the tests run.
 */
export function useTalktoPair(spec: TalktoPairSpec): TalktoPair {
  let running: { inventory: RunningTalktoApp; website: RunningTalktoApp } | undefined;
  const started = () => {
    if (!running) throw new Error('the Talkto pair is read before its beforeAll ran');
    return running;
  };
  beforeAll(async () => {
    running = await startTalktoPair(spec);
  });
  afterAll(async () => {
    // The receiver first: a Fastify sender closed while its receiver still ran waited out the
    // keep-alive timeout (~70 s) for the connection the receiver's callbacks had opened.
    await running?.website.close();
    await running?.inventory.close();
    running = undefined;
  });
  return {
    get inventory() {
      return started().inventory;
    },
    get website() {
      return started().website;
    },
  };
}

/** Boots `website` (the receiver) and `inventory` (the sender) on 127.0.0.1, each with its own database. */
async function startTalktoPair(spec: TalktoPairSpec) {
  const [senderPort, receiverPort] = [await freePort(), await freePort()];
  const callbacks = spec.callbacks ?? 'allow-listed';
  const callbackSecret = spec.callbackSecret ?? spec.commandSecret;
  const urlOf = (port: number) => `http://127.0.0.1:${port}`;

  const receiverOptions: TalktoModuleOptions = {
    service: 'website',
    incoming: { inventory: { secret: spec.commandSecret, allowedCommands: spec.allowedCommands } },
    ...(callbacks === 'none'
      ? {}
      : { outgoing: { inventory: { baseUrl: urlOf(senderPort), secret: callbackSecret } } }),
  };
  const senderOptions: TalktoModuleOptions = {
    service: 'inventory',
    outgoing: { website: { baseUrl: urlOf(receiverPort), secret: spec.commandSecret } },
    ...(callbacks === 'none'
      ? {}
      : {
          incoming: {
            website:
              callbacks === 'implicit'
                ? { secret: callbackSecret }
                : { secret: callbackSecret, allowedCommands: { 'talkto.result': { driver: 'none' } } },
          },
        }),
  };

  const start = (port: number, generated: TalktoModuleOptions, side: PairSideSpec = {}) => {
    const { talkto: extra = {}, ...app } = side;
    const talkto = {
      ...generated,
      ...extra,
      incoming: mergePeers(generated.incoming, extra.incoming),
      outgoing: mergePeers(generated.outgoing, extra.outgoing),
    } as TalktoModuleOptions;
    for (const key of ['incoming', 'outgoing'] as const) {
      if (talkto[key] === undefined) delete talkto[key];
    }
    return startTalktoApp({
      database: spec.database ?? 'postgres',
      queue: spec.queue ?? 'in-process',
      adapter: spec.adapter ?? 'express',
      logger: spec.logger,
      ...app,
      port,
      talkto,
      talktoModule: spec.talktoModule?.(talkto),
    });
  };

  const website = await start(receiverPort, receiverOptions, spec.receiver);
  const inventory = await start(senderPort, senderOptions, spec.sender).catch(async (error: unknown) => {
    await website.close();
    throw error;
  });
  return { inventory, website };
}

function mergePeers<T>(generated?: Record<string, T>, extra?: Record<string, Partial<T>>) {
  if (!generated && !extra) return undefined;
  const merged: Record<string, Partial<T>> = { ...generated };
  for (const [peer, options] of Object.entries(extra ?? {})) merged[peer] = { ...merged[peer], ...options };
  return merged;
}
