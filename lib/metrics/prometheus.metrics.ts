import type { Counter, Histogram, Registry, RegistryContentType } from 'prom-client';
import type { TalktoQueueDriver } from '../queue/talkto-queue.port.js';
import { TALKTO_QUEUE_NAMES } from '../queue/talkto-queue.port.js';
import { type TalktoMetricEvent, type TalktoMetricLabels, TalktoMetrics } from './talkto-metrics.port.js';
import type { PromClient } from './prom-client.loader.js';

/** Label value for anything outside the configured peers and commands: keeps cardinality bounded. */
export const OTHER_LABEL = 'other';

const COUNTERS: Record<TalktoMetricEvent, { name: string; help: string }> = {
  sent: { name: 'talkto_messages_sent_total', help: 'Outgoing delivery attempts by outcome.' },
  received: { name: 'talkto_messages_received_total', help: 'Requests answered on the receive route.' },
  handled: { name: 'talkto_messages_handled_total', help: 'Handler runs by result.' },
  failed: { name: 'talkto_messages_failed_total', help: 'Sends and handler runs that failed.' },
  retried: { name: 'talkto_messages_retried_total', help: 'Retries scheduled.' },
  dead_lettered: { name: 'talkto_messages_dead_lettered_total', help: 'Messages moved to dead letters.' },
  callback: { name: 'talkto_callbacks_total', help: 'Result callbacks sent or received, by outcome.' },
};

const LABELS = ['service', 'peer', 'command', 'status'] as const;

export interface PrometheusMetricsSetup {
  registry: Registry<RegistryContentType>;
  service: string;
  /** Peers and commands allowed as label values; anything else is counted as `other`. */
  peers: ReadonlySet<string>;
  commands: ReadonlySet<string>;
  queue: TalktoQueueDriver;
  /** Seconds the oldest due retry has waited, or 0. */
  oldestDueRetryAgeSeconds: () => Promise<number>;
}

/** `TalktoMetrics` on prom-client: counters, a send-latency histogram and two scrape-time gauges. */
export class PrometheusTalktoMetrics extends TalktoMetrics {
  private readonly counters = new Map<TalktoMetricEvent, Counter<(typeof LABELS)[number]>>();
  private readonly latency: Histogram<(typeof LABELS)[number]>;

  constructor(
    prom: PromClient,
    private readonly setup: PrometheusMetricsSetup,
  ) {
    super();
    const { registry } = setup;
    const register = <T>(name: string, create: () => T): T => {
      // A registry shared across app restarts (tests, hot reload) would refuse a second registration.
      registry.removeSingleMetric(name);
      return create();
    };
    for (const [event, { name, help }] of Object.entries(COUNTERS) as Array<
      [TalktoMetricEvent, { name: string; help: string }]
    >) {
      this.counters.set(
        event,
        register(name, () => new prom.Counter({ name, help, labelNames: LABELS, registers: [registry] })),
      );
    }
    this.latency = register(
      'talkto_send_duration_seconds',
      () =>
        new prom.Histogram({
          name: 'talkto_send_duration_seconds',
          help: 'Time from posting a request to its answer.',
          labelNames: LABELS,
          buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20],
          registers: [registry],
        }),
    );
    register(
      'talkto_queue_depth',
      () =>
        new prom.Gauge({
          name: 'talkto_queue_depth',
          help: 'Jobs waiting, delayed or running per queue.',
          labelNames: ['service', 'queue'],
          registers: [registry],
          async collect() {
            for (const queue of TALKTO_QUEUE_NAMES) {
              this.set({ service: setup.service, queue }, await setup.queue.depth(queue));
            }
          },
        }),
    );
    register(
      'talkto_oldest_due_retry_age_seconds',
      () =>
        new prom.Gauge({
          name: 'talkto_oldest_due_retry_age_seconds',
          help: 'How long the oldest due retry has been waiting (0 when none).',
          labelNames: ['service'],
          registers: [registry],
          async collect() {
            this.set({ service: setup.service }, await setup.oldestDueRetryAgeSeconds());
          },
        }),
    );
  }

  count(event: TalktoMetricEvent, labels: TalktoMetricLabels): void {
    this.counters.get(event)?.inc(this.bounded(labels));
  }

  observeSendLatency(labels: TalktoMetricLabels, seconds: number): void {
    this.latency.observe(this.bounded(labels), seconds);
  }

  private bounded(labels: TalktoMetricLabels) {
    return {
      service: this.setup.service,
      peer: this.setup.peers.has(labels.peer) ? labels.peer : OTHER_LABEL,
      command: this.setup.commands.has(labels.command) ? labels.command : OTHER_LABEL,
      status: labels.status,
    };
  }
}
