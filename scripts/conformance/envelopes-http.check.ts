import { isDeepStrictEqual } from 'node:util';
import type { CaseFailure, CheckResult } from './check-result.js';
import { parsePrecondition, storeSentMessage } from './http/preconditions.js';
import { type RawRequest, sendRaw } from './http/raw-http.client.js';
import { type ReceiverAdapter, ReceiverApp } from './http/receiver-app.js';
import { receiverOptionsFor } from './http/receiver-options.js';

type Json = Record<string, unknown>;

/** Headers the HTTP library adds; the connection's own Host and Content-Length are sent instead. */
const CONNECTION_HEADERS = new Set(['host', 'content-length']);

/**
 * The case's request as wire bytes. A header given as a list is sent as separate header lines
 * when the case says they reached the receiver separately (`multi_value_headers`), else as one
 * comma-joined line — what a PHP web server hands over.
 */
export function rawRequestOf(vector: Json): RawRequest {
  const request = vector.request as Json;
  const separate = new Set(
    ((vector.multi_value_headers ?? []) as string[]).map((name) => name.toLowerCase()),
  );
  const headers: Array<[string, string]> = [];
  for (const [name, value] of Object.entries(request.headers as Json)) {
    if (Array.isArray(value) && separate.has(name.toLowerCase())) {
      value.forEach((item) => headers.push([name, String(item)]));
    } else {
      headers.push([name, Array.isArray(value) ? value.join(', ') : String(value)]);
    }
  }
  for (const [name, value] of Object.entries((vector.transport_headers ?? {}) as Json)) {
    if (!CONNECTION_HEADERS.has(name.toLowerCase())) {
      headers.push([name, String(value)]);
    }
  }
  const url = new URL(request.url as string);
  return {
    method: String(request.method ?? 'POST'),
    path: url.pathname + url.search,
    headers,
    body:
      typeof request.body_hex === 'string'
        ? Buffer.from(request.body_hex, 'hex')
        : Buffer.from(String(request.body ?? ''), 'utf8'),
  };
}

function outcomeOf(body: Json): string {
  if (body.accepted === true) {
    return body.status === 'applied' ? 'accepted' : String(body.status);
  }
  if (body.received === true) {
    return body.duplicate === true ? 'duplicate' : 'accepted';
  }
  return 'rejected';
}

/** field → rule keys, order-free. */
function ruleSets(details: unknown): Json | null {
  if (details === null || typeof details !== 'object') {
    return null;
  }
  return Object.fromEntries(
    Object.entries(details as Json)
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([field, rules]) => [field, Array.isArray(rules) ? [...rules].map(String).sort() : rules]),
  );
}

/** The comparable view of an answer; `details` is compared as rule sets only when the case lists them. */
function view(status: number, body: Json, outcome: string, withRules: boolean, rules: unknown): Json {
  const { details: _details, ...rest } = body;
  return {
    http_status: status,
    outcome,
    error: body.error ?? null,
    field: body.field ?? null,
    response_body: withRules ? rest : body,
    ...(withRules ? { validation_failed_fields: ruleSets(rules) } : {}),
  };
}

/**
 * Where the PHP receiver crashed (outcome `exception`: an uncaught error, its status only what a
 * framework would answer, see `http_status_source`), we answer a documented rejection instead of a
 * 5xx that the sender would retry for nothing. Such a case passes when the request is refused with
 * a 4xx and a protocol error code.
 */
function crashedCase(vector: Json, answer: { status: number; body: Json }): CaseFailure | null {
  const refused = answer.status >= 400 && answer.status < 500 && outcomeOf(answer.body) === 'rejected';
  return refused && typeof answer.body.error === 'string'
    ? null
    : {
        name: vector.name as string,
        expected: { outcome: 'rejected with a 4xx protocol error (PHP crashed here)' },
        got: { http_status: answer.status, body: answer.body },
      };
}

class HttpConformanceRun {
  private readonly apps = new Map<string, ReceiverApp>();
  private readonly cases: Map<string, Json>;

  constructor(
    private readonly configuration: Json,
    cases: Json[],
    private readonly adapter: ReceiverAdapter,
    known: ReadonlyMap<string, Json>,
  ) {
    // A precondition may name a case of another vectors folder; this document's own win.
    this.cases = new Map([
      ...known,
      ...cases.map((vector): [string, Json] => [vector.name as string, vector]),
    ]);
  }

  async check(vector: Json): Promise<CaseFailure | null> {
    const expected = vector.expected as Json;
    const withRules = expected.validation_failed_fields !== undefined;
    let got: Json;
    try {
      const app = await this.appFor(vector);
      await app.reset();
      await this.prepare(app, vector, 0);
      const answer = await this.deliver(app, vector);
      if (expected.outcome === 'exception') {
        return crashedCase(vector, answer);
      }
      got = view(answer.status, answer.body, outcomeOf(answer.body), withRules, answer.body.details);
    } catch (error) {
      got = { thrown: String(error) };
    }
    const want = view(
      expected.http_status as number,
      (expected.response_body ?? {}) as Json,
      expected.outcome as string,
      withRules,
      expected.validation_failed_fields,
    );
    // The receiver's field is the expectation's own `field` key, not only the one in the body.
    want.field = expected.field ?? null;
    return isDeepStrictEqual(got, want) ? null : { name: vector.name as string, expected: want, got };
  }

  async close(): Promise<void> {
    for (const app of this.apps.values()) {
      await app.close();
    }
  }

  private async appFor(vector: Json): Promise<ReceiverApp> {
    const options = receiverOptionsFor(this.configuration, vector);
    const key = JSON.stringify(options);
    let app = this.apps.get(key);
    if (!app) {
      app = await ReceiverApp.start(options, this.adapter);
      this.apps.set(key, app);
    }
    return app;
  }

  /** Builds the state a case's precondition describes, recursively for chained preconditions. */
  private async prepare(app: ReceiverApp, vector: Json, depth: number): Promise<void> {
    if (typeof vector.precondition !== 'string') {
      return;
    }
    if (depth > 5) {
      throw new Error('precondition chain too deep');
    }
    const precondition = parsePrecondition(vector.precondition, this.cases.keys());
    const reference = this.cases.get(precondition.caseName)!;
    if (precondition.kind === 'outgoing_message') {
      await storeSentMessage(app, reference, precondition.status);
      return;
    }
    await this.prepare(app, reference, depth + 1);
    const answer = await this.deliver(app, reference);
    if (answer.status < 200 || answer.status > 299) {
      throw new Error(`precondition ${precondition.caseName} answered ${answer.status}`);
    }
  }

  private async deliver(app: ReceiverApp, vector: Json): Promise<{ status: number; body: Json }> {
    app.clock.set(new Date(Number(vector.verify_at_unix) * 1000));
    const response = await sendRaw(app.port, rawRequestOf(vector));
    let body: Json;
    try {
      body = JSON.parse(response.body) as Json;
    } catch {
      body = { unparsed: response.body };
    }
    return { status: response.status, body };
  }
}

/**
 * envelopes.json over real HTTP: every case's exact request bytes posted to a Nest app running the
 * library as the case's receiver, answers compared by status, error, field, body and outcome.
 * `known` holds the cases of every vectors folder of the run, which preconditions may name.
 */
export async function checkEnvelopesOverHttp(
  doc: unknown,
  adapter: ReceiverAdapter = 'express',
  known: ReadonlyMap<string, Json> = new Map(),
): Promise<CheckResult> {
  const document = doc as Json;
  const cases = document.cases as Json[];
  const run = new HttpConformanceRun(document.receiver_configuration as Json, cases, adapter, known);
  const failures: CaseFailure[] = [];
  try {
    for (const vector of cases) {
      const failure = await run.check(vector);
      if (failure) {
        failures.push(failure);
      }
    }
  } finally {
    await run.close();
  }
  return {
    file: adapter === 'express' ? 'envelopes (http)' : `envelopes (http, ${adapter})`,
    passed: cases.length - failures.length,
    failures,
  };
}
