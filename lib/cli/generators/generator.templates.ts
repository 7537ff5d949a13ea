import type { HostProject } from '../host-project.util.js';
import type { CommandName, ServiceName } from './generator-names.util.js';
import { kebab, pascal, upperSnake } from './generator-names.util.js';

export interface GeneratedFile {
  /** Relative to the target directory. */
  path: string;
  content: string;
}

export interface GeneratorPlan {
  files: GeneratedFile[];
  /** Module configuration to add by hand; the generator never edits host files. */
  snippet: string;
}

/** A relative import of a generated file, written the way the host's module format resolves it. */
function local(host: HostProject, file: string): string {
  return `'./${file}${host.moduleFormat === 'esm' ? '.js' : ''}'`;
}

/** The spec's test API: vitest's, jest's typed globals, or jest's from `@jest/globals`. */
function testApiImport(host: HostProject): string {
  if (host.testRunner === 'vitest') {
    return "import { describe, expect, it } from 'vitest';\n";
  }
  return host.jestTypes === 'globals' ? '' : "import { describe, expect, it } from '@jest/globals';\n";
}

function payloadClass(className: string, purpose: string): string {
  return `import { IsNotEmpty, IsString } from 'class-validator';

/** Payload of ${purpose}. Add the fields both services agree on. */
export class ${className} {
  /** Id of the record this command is about; part of the business and idempotency keys. */
  @IsString()
  @IsNotEmpty()
  sourceId!: string;
}
`;
}

export function outgoingPlan(
  service: ServiceName,
  command: CommandName,
  transactional: boolean,
  host: HostProject,
): GeneratorPlan {
  const target = kebab(service.words);
  const base = `${target}-${kebab(command.words)}`;
  const payload = `${pascal(command.words)}Payload`;
  const sender = `${pascal(service.words)}${pascal(command.words)}Sender`;
  const dir = `outgoing/${target}`;
  const transactionalMethod = transactional
    ? `

  /**
   * Sends as part of the caller's transaction: the message row is written with \`manager\` and
   * dispatched only after that transaction commits, so a rollback sends nothing.
   */
  sendInTransaction(
    manager: EntityManager,
    payload: ${payload},
    options: TalktoSendOptions = {},
  ): Promise<TalktoSentMessage> {
    return this.send(payload, { ...options, manager });
  }`
    : '';
  const senderSource = `import { Injectable } from '@nestjs/common';
import { validate } from 'class-validator';
import { TalktoClient, type TalktoSendOptions, type TalktoSentMessage } from 'nestjs-talkto';
${transactional ? "import type { EntityManager } from 'typeorm';\n" : ''}import { ${payload} } from ${local(host, `${kebab(command.words)}.payload`)};

/** Sends \`${command.value}\` to ${service.raw}. */
@Injectable()
export class ${sender} {
  static readonly target = '${service.raw}';
  static readonly command = '${command.value}';

  constructor(private readonly talkto: TalktoClient) {}

  /** Validates the payload, then stores the message for delivery (sending happens in the background). */
  async send(payload: ${payload}, options: TalktoSendOptions = {}): Promise<TalktoSentMessage> {
    const errors = await validate(Object.assign(new ${payload}(), payload));
    if (errors.length > 0) {
      throw new Error(\`Invalid ${command.value} payload: \${errors.map((error) => error.property).join(', ')}\`);
    }
    return this.talkto.send(${sender}.target, ${sender}.command, { ...payload }, {
      businessKey: \`${kebab(command.words)}:\${payload.sourceId}\`,
      idempotencyKey: \`${command.value}:\${payload.sourceId}:v1\`,
      ...options,
    });
  }${transactionalMethod}
}
`;
  const specSource = `${testApiImport(host)}import type { TalktoClient } from 'nestjs-talkto';
import { ${sender} } from ${local(host, `${base}.sender`)};

describe('${sender}', () => {
  function senderWithRecorder() {
    const calls: unknown[][] = [];
    const client = {
      send: async (...args: unknown[]) => {
        calls.push(args);
        return { id: 1, messageId: 'm-1', correlationId: null, payloadHash: 'h', status: 'waiting_to_send', duplicate: false };
      },
    } as unknown as TalktoClient;
    return { sender: new ${sender}(client), calls };
  }

  it('sends ${command.value} to ${service.raw} with business and idempotency keys', async () => {
    const { sender, calls } = senderWithRecorder();
    await sender.send({ sourceId: '42' });
    expect(calls).toEqual([
      [
        '${service.raw}',
        '${command.value}',
        { sourceId: '42' },
        { businessKey: '${kebab(command.words)}:42', idempotencyKey: '${command.value}:42:v1' },
      ],
    ]);
  });

  it('refuses an invalid payload before anything is stored', async () => {
    const { sender, calls } = senderWithRecorder();
    await expect(sender.send({ sourceId: '' })).rejects.toThrow('sourceId');
    expect(calls).toEqual([]);
  });
});
`;
  const env = upperSnake(service.words);
  return {
    files: [
      {
        path: `${dir}/${kebab(command.words)}.payload.ts`,
        content: payloadClass(payload, `\`${command.value}\``),
      },
      { path: `${dir}/${base}.sender.ts`, content: senderSource },
      { path: `${dir}/${base}.sender.spec.ts`, content: specSource },
    ],
    snippet: `// TalktoModule.forRoot({ ... })
outgoing: {
  '${service.raw}': {
    baseUrl: process.env.TALKTO_${env}_URL!,
    secret: process.env.TALKTO_TO_${env}_SECRET!,
  },
},
// and add ${sender} to your module's providers`,
  };
}

export function incomingPlan(service: ServiceName, command: CommandName, host: HostProject): GeneratorPlan {
  const source = kebab(service.words);
  const name = kebab(command.words);
  const payload = `${pascal(command.words)}Payload`;
  const handler = `${pascal(command.words)}Handler`;
  const dir = `incoming/${source}`;
  const handlerSource = `import { Injectable } from '@nestjs/common';
import {
  type IncomingMessage,
  type TalktoCommandHandler,
  TalktoHandler,
  TalktoResult,
} from 'nestjs-talkto';
import { ${payload} } from ${local(host, `${name}.payload`)};

/**
 * Handles \`${command.value}\` from ${service.raw}. The payload arrives validated against ${payload}
 * (an invalid one fails finally with \`validation_error\`); a thrown error is retried.
 */
@Injectable()
@TalktoHandler('${command.value}', { payload: ${payload} })
export class ${handler} implements TalktoCommandHandler<${payload}> {
  async handle(payload: ${payload}, message: IncomingMessage<${payload}>): Promise<TalktoResult> {
    // Put the business action here; return TalktoResult.skipped() when there is nothing to do.
    return TalktoResult.succeeded({ sourceId: payload.sourceId }, { messageId: message.messageId });
  }
}
`;
  const specSource = `${testApiImport(host)}import type { IncomingMessage } from 'nestjs-talkto';
import { ${handler} } from ${local(host, `${name}.handler`)};
import { ${payload} } from ${local(host, `${name}.payload`)};

describe('${handler}', () => {
  it('handles ${command.value} from ${service.raw}', async () => {
    const payload = Object.assign(new ${payload}(), { sourceId: '42' });
    const message = {
      id: 1,
      messageId: 'm-1',
      correlationId: null,
      parentMessageId: null,
      source: '${service.raw}',
      target: 'this-service',
      command: '${command.value}',
      businessKey: null,
      idempotencyKey: null,
      schemaVersion: 1,
      attempt: 1,
      payload,
    } satisfies IncomingMessage<${payload}>;
    const result = await new ${handler}().handle(payload, message);
    expect(result.status).toBe('succeeded');
    expect(result.result).toEqual({ sourceId: '42' });
  });
});
`;
  return {
    files: [
      { path: `${dir}/${name}.payload.ts`, content: payloadClass(payload, `\`${command.value}\``) },
      { path: `${dir}/${name}.handler.ts`, content: handlerSource },
      { path: `${dir}/${name}.handler.spec.ts`, content: specSource },
    ],
    snippet: `// TalktoModule.forRoot({ ... })
incoming: {
  '${service.raw}': {
    secret: process.env.TALKTO_FROM_${upperSnake(service.words)}_SECRET!,
    allowedCommands: { '${command.value}': { idempotency: 'required' } },
  },
},
// and add ${handler} to your module's providers`,
  };
}
