import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freezePayload } from '../../lib/protocol/json/payload-freezer.js';
import { buildOutgoingRequest } from '../../lib/protocol/outgoing-request.builder.js';
import { formatTalktoTimestamp } from '../../lib/protocol/talkto.timestamp.js';
import type { CheckResult } from '../../scripts/conformance/check-result.js';
import { runConformance, runHttpConformance } from '../../scripts/conformance/run.js';

const AT = new Date('2026-03-01T08:00:00.000Z');
const BETA_TO_ALPHA = 'beta-to-alpha-secret';

/** Two services of our own in the vectors' `receiver_configuration` format: beta sends to alpha. */
const CONFIGURATION = {
  clock: { verify_at_unix: AT.getTime() / 1000 },
  alpha: {
    role: 'receives jobs from beta',
    'talkto.service': 'alpha',
    'talkto.incoming.beta': {
      secret: BETA_TO_ALPHA,
      allowed_commands: { 'jobs.run': { handler: '(none)' }, 'talkto.result': { driver: 'none' } },
    },
    'talkto.outgoing.beta': { base_url: 'https://beta.example', secret: 'alpha-to-beta-secret' },
  },
  beta: {
    'talkto.service': 'beta',
    'talkto.outgoing.alpha': { base_url: 'https://alpha.example', secret: BETA_TO_ALPHA },
  },
};

let sequence = 0;

/** One case as the vectors README documents it, signed the way beta would sign it. */
function signedCase(
  name: string,
  options: {
    route?: 'receive' | 'callback';
    command?: string;
    payload?: unknown;
    idempotencyKey?: string;
    version?: 'v1' | 'v2';
    expected: Record<string, unknown>;
    precondition?: string;
    overrides?: Record<string, unknown>;
  },
) {
  const version = options.version ?? 'v2';
  const frozen = freezePayload(options.payload ?? { n: sequence });
  const messageId = `runner-${name}-${++sequence}`;
  const request = buildOutgoingRequest({
    messageId,
    correlationId: `corr-${sequence}`,
    parentMessageId: null,
    source: 'beta',
    target: 'alpha',
    command: options.command ?? 'jobs.run',
    idempotencyKey: options.idempotencyKey ?? null,
    payload: frozen.value,
    payloadHash: frozen.hash,
    secret: BETA_TO_ALPHA,
    signatureVersion: version,
    timestamp: formatTalktoTimestamp(AT),
    nonce: version === 'v2' ? `nonce-${sequence}` : null,
  });
  return {
    messageId,
    vector: {
      name,
      group: options.route === 'callback' ? 'result_callback' : 'command',
      signature_version: version,
      provenance: 'crafted for the runner test',
      request: {
        method: 'POST',
        url: `https://alpha.example/api/talkto/${options.route ?? 'receive'}`,
        headers: Object.fromEntries(request.headers),
        body: request.body,
      },
      secret: BETA_TO_ALPHA,
      verify_at_unix: AT.getTime() / 1000,
      verify_at_iso: AT.toISOString(),
      ...(options.precondition ? { precondition: options.precondition } : {}),
      ...(options.overrides ? { receiver_config_overrides: options.overrides } : {}),
      expected_verification: options.expected.http_status === 401 ? 'rejected' : 'ok',
      expected: { error: null, ...options.expected },
    },
  };
}

const queued = (messageId: string) => ({
  outcome: 'accepted',
  http_status: 202,
  response_body: { received: true, status: 'queued', message_id: messageId },
});

async function writeFolder(root: string, name: string, cases: unknown[]): Promise<string> {
  const dir = join(root, name);
  await mkdir(dir);
  const doc = {
    description: `runner test vectors (${name})`,
    generated_by: 'nestjs-talkto test',
    receiver_configuration: CONFIGURATION,
    cases,
  };
  await writeFile(join(dir, 'envelopes.json'), JSON.stringify(doc, null, 1));
  return dir;
}

const failureNames = (result: CheckResult) => result.failures.map((failure) => failure.name).sort();
const failureOf = (result: CheckResult, name: string) =>
  JSON.stringify(result.failures.find((failure) => failure.name === name)?.got);

describe('the conformance runner on vector folders it has never seen', () => {
  let root: string;
  let first: string;
  let second: string;
  let firstJob: string;

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'talkto-runner-vectors-'));
    const job = signedCase('first_job', { idempotencyKey: 'job-7', expected: {} });
    firstJob = job.messageId;
    job.vector.expected = { error: null, ...queued(firstJob) };
    first = await writeFolder(root, 'first', [job.vector]);

    const again = signedCase('same_key_again', {
      idempotencyKey: 'job-7',
      precondition: 'first_job was already accepted by this receiver',
      expected: {
        outcome: 'duplicate',
        http_status: 200,
        response_body: { received: true, duplicate: true, status: 'already_accepted', message_id: firstJob },
      },
    });
    const v1 = signedCase('v1_accepted_by_override', { version: 'v1', expected: {} });
    v1.vector.expected = { error: null, ...queued(v1.messageId) };
    (v1.vector as Record<string, unknown>).receiver_config_overrides = {
      'talkto.security': { accept_versions: ['v1', 'v2'] },
    };
    const callbacksOff = signedCase('callback_with_callbacks_off', {
      route: 'callback',
      command: 'talkto.result',
      payload: {
        original_message_id: firstJob,
        original_command: 'jobs.run',
        status: 'succeeded',
        succeeded: true,
        retryable: false,
        skipped: false,
        error_class: null,
        error_message: null,
        result: {},
        meta: {},
      },
      overrides: { 'talkto.callbacks.enabled': false },
      expected: {
        outcome: 'rejected',
        http_status: 403,
        error: 'callbacks_disabled',
        response_body: { accepted: false, status: 'rejected', duplicate: false, error: 'callbacks_disabled' },
      },
    });
    const unsigned = signedCase('unsigned_receiver', {
      overrides: { 'talkto.security.require_signature': false },
      expected: {},
    });
    unsigned.vector.expected = { error: null, ...queued(unsigned.messageId) };
    const unknownKey = signedCase('unknown_setting', {
      overrides: { 'talkto.security.tolerance': 5 },
      expected: {},
    });
    unknownKey.vector.expected = { error: null, ...queued(unknownKey.messageId) };
    const vague = signedCase('vague_precondition', {
      precondition: 'first_job happened somewhere',
      expected: {},
    });
    vague.vector.expected = { error: null, ...queued(vague.messageId) };
    second = await writeFolder(root, 'second', [
      again.vector,
      v1.vector,
      callbacksOff.vector,
      unsigned.vector,
      unknownKey.vector,
      vague.vector,
    ]);
  });

  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('checks the protocol core of every folder given, each result named after its folder', () => {
    const results = runConformance([first, second]);
    expect(results.map((result) => result.file)).toEqual(['first/envelopes.json', 'second/envelopes.json']);
    expect(results.map((result) => result.failures)).toEqual([[], []]);
  });

  it('maps overrides, builds cross-folder preconditions unprocessed, and fails what it cannot map', async () => {
    const results = await runHttpConformance([first, second]);
    expect(results.map((result) => result.file)).toEqual([
      'first/envelopes (http)',
      'first/envelopes (http, fastify)',
      'second/envelopes (http)',
      'second/envelopes (http, fastify)',
    ]);
    const [express, fastify] = [results[0]!, results[1]!];
    expect([express.failures, fastify.failures]).toEqual([[], []]);
    for (const result of results.slice(2)) {
      // same_key_again: the precondition came from the other folder and was stored and queued only.
      expect(result.passed).toBe(3);
      expect(failureNames(result)).toEqual(['unknown_setting', 'unsigned_receiver', 'vague_precondition']);
      expect(failureOf(result, 'unsigned_receiver')).toContain('talkto.security.require_signature');
      expect(failureOf(result, 'unknown_setting')).toContain('talkto.security.tolerance');
      expect(failureOf(result, 'vague_precondition')).toContain('precondition not understood');
    }
  }, 120_000);

  it('fails a precondition naming a case of a folder that was not given', async () => {
    const results = await runHttpConformance([second]);
    expect(failureOf(results[0]!, 'same_key_again')).toContain('precondition names no known case');
  }, 120_000);
});
