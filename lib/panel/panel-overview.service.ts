import { Inject, Injectable } from '@nestjs/common';
import { TalktoClock } from '../clock/talkto.clock.js';
import type { ResolvedTalktoOptions } from '../config/resolved-options.interface.js';
import { TALKTO_RESOLVED_OPTIONS } from '../talkto.constants.js';
import {
  type LatencySample,
  OverviewQueries,
  type PeerTraffic,
  type Throughput,
  type Window,
} from './overview.queries.js';
import { type PanelConnection, PanelConnections } from './panel-connections.service.js';

export interface WindowOverview {
  window: Window;
  throughput: Throughput;
  delivery: LatencySample;
  result: LatencySample;
}

export interface Overview {
  peer: string | null;
  peers: string[];
  hour: WindowOverview;
  day: WindowOverview;
  dueRetries: number[];
  openDeadLetters: number[];
  traffic: PeerTraffic[];
  connections: PanelConnection[];
}

/** A window of `buckets` buckets ending with the one that holds `now`. */
function windowEnding(now: Date, bucketSeconds: number, buckets: number): Window {
  const size = bucketSeconds * 1000;
  const end = new Date(Math.floor(now.getTime() / size) * size + size);
  return { start: new Date(end.getTime() - buckets * size), end, bucketSeconds };
}

/** The overview page's figures: traffic, success, latency and backlogs, for all peers or one. */
@Injectable()
export class PanelOverview {
  constructor(
    private readonly queries: OverviewQueries,
    private readonly connections: PanelConnections,
    private readonly clock: TalktoClock,
    @Inject(TALKTO_RESOLVED_OPTIONS) private readonly options: ResolvedTalktoOptions,
  ) {}

  /** `peer` narrows everything to one configured peer; any other value is ignored. */
  async build(peer: unknown): Promise<Overview> {
    const peers = [...new Set([...this.options.outgoing.keys(), ...this.options.incoming.keys()])].sort();
    const only = typeof peer === 'string' && peers.includes(peer) ? peer : undefined;
    const now = this.clock.now();
    const hour = windowEnding(now, 60, 60);
    const day = windowEnding(now, 15 * 60, 96);
    const [hourFigures, dayFigures, dueRetries, openDeadLetters, traffic, connections] = await Promise.all([
      this.figures(hour, only),
      this.figures(day, only),
      this.queries.dueRetryBacklog(day, now, only),
      this.queries.openDeadLetters(day, only),
      this.queries.peers(day, this.options.service),
      this.connections.list(false),
    ]);
    return {
      peer: only ?? null,
      peers,
      hour: hourFigures,
      day: dayFigures,
      dueRetries,
      openDeadLetters,
      traffic,
      connections,
    };
  }

  private async figures(window: Window, peer: string | undefined): Promise<WindowOverview> {
    const command = this.options.callbacks.command;
    const [throughput, delivery, result] = await Promise.all([
      this.queries.throughput(window, peer),
      this.queries.deliveryLatency(window, command, peer),
      this.queries.resultLatency(window, command, peer),
    ]);
    return { window, throughput, delivery, result };
  }
}
