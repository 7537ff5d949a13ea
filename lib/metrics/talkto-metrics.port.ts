/** What happened to a message, as counted by `TalktoMetrics`. */
export type TalktoMetricEvent =
  'sent' | 'received' | 'handled' | 'failed' | 'retried' | 'dead_lettered' | 'callback';

/**
 * Bounded labels only: a message id would give every message its own time series. `peer` is the
 * other service, `status` the outcome (e.g. `queued`, `succeeded`, `failed_final`, a rejection code).
 */
export interface TalktoMetricLabels {
  peer: string;
  command: string;
  status: string;
}

/**
 * The port the pipelines report to. The default does nothing, so a host without metrics pays
 * nothing and needs no metrics library.
 */
export abstract class TalktoMetrics {
  abstract count(event: TalktoMetricEvent, labels: TalktoMetricLabels): void;
  /** Time from handing a request to the transport until its answer (or failure). */
  abstract observeSendLatency(labels: TalktoMetricLabels, seconds: number): void;
}

export class NoopTalktoMetrics extends TalktoMetrics {
  count(): void {}
  observeSendLatency(): void {}
}
