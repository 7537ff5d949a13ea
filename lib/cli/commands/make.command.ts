import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, relative, resolve } from 'node:path';
import { TalktoUsageError } from '../../errors/talkto-usage.error.js';
import { stringOption } from '../cli-args.util.js';
import type { CliArguments, CliCommand, CliContext, CliOptionSpec } from '../cli-command.interface.js';
import { CliExitCode } from '../cli.constants.js';
import { incomingCommandName, outgoingCommandName, serviceName } from '../generators/generator-names.util.js';
import { type GeneratorPlan, incomingPlan, outgoingPlan } from '../generators/generator.templates.js';
import { readHostProject } from '../host-project.util.js';

type FileAction = 'created' | 'overwritten' | 'skipped';

const COMMON_OPTIONS: CliOptionSpec = {
  dir: { type: 'string' },
  force: { type: 'boolean' },
  'dry-run': { type: 'boolean' },
  json: { type: 'boolean' },
};

/** Writes a plan's files: existing files are kept unless `force`; a dry run writes nothing. */
async function applyPlan(context: CliContext, args: CliArguments, plan: GeneratorPlan): Promise<number> {
  const { output, cwd } = context;
  const dryRun = args.values['dry-run'] === true;
  const force = args.values.force === true;
  const root = resolve(cwd, stringOption(args.values.dir) ?? 'src/talkto');
  const results: Array<{ path: string; action: FileAction }> = [];
  for (const file of plan.files) {
    const path = resolve(root, file.path);
    const exists = existsSync(path);
    const action: FileAction = exists ? (force ? 'overwritten' : 'skipped') : 'created';
    if (!dryRun && action !== 'skipped') {
      await mkdir(dirname(path), { recursive: true });
      await writeFile(path, file.content);
    }
    results.push({ path: relative(cwd, path), action });
  }
  const skipped = results.filter((result) => result.action === 'skipped');

  if (args.values.json) {
    output.json({ ok: true, dryRun, files: results, snippet: plan.snippet });
    return CliExitCode.ok;
  }
  output.line(output.paint('bold', dryRun ? 'Dry run: nothing was written.' : 'Talkto generator'));
  for (const result of results) {
    const verb = dryRun && result.action !== 'skipped' ? `would be ${result.action}` : result.action;
    const colour = result.action === 'skipped' ? 'yellow' : 'green';
    output.line(`  ${output.paint(colour, verb.padEnd(16))} ${result.path}`);
  }
  if (skipped.length > 0) {
    output.line(
      output.paint('yellow', `${skipped.length} existing file(s) kept; pass --force to overwrite.`),
    );
  }
  output.line();
  output.line('Add to your module configuration (nothing was edited for you):');
  output.line(plan.snippet);
  return CliExitCode.ok;
}

export const makeOutgoingCommand: CliCommand = {
  name: 'make:outgoing',
  summary: 'Generate a payload DTO, a typed sender service and its spec for a command you send',
  usage: '<service> <command> [--transactional] [--dir=src/talkto] [--force] [--dry-run] [--json]',
  options: { ...COMMON_OPTIONS, transactional: { type: 'boolean' } },
  needsApp: false,
  run(context, args) {
    const service = serviceName(args.positionals[0]);
    const command = outgoingCommandName(args.positionals[1], service);
    const host = readHostProject(context.cwd);
    return applyPlan(context, args, outgoingPlan(service, command, args.values.transactional === true, host));
  },
};

export const makeIncomingCommand: CliCommand = {
  name: 'make:incoming',
  summary: 'Generate a payload DTO, a @TalktoHandler class and its spec for a command you receive',
  usage: '<service> <command> [--dir=src/talkto] [--force] [--dry-run] [--json]',
  options: COMMON_OPTIONS,
  needsApp: false,
  run(context, args) {
    const service = serviceName(args.positionals[0]);
    const host = readHostProject(context.cwd);
    return applyPlan(context, args, incomingPlan(service, incomingCommandName(args.positionals[1]), host));
  },
};

export const makeIntegrationCommand: CliCommand = {
  name: 'make:integration',
  summary: 'make:outgoing or make:incoming, chosen by --outgoing or --incoming',
  usage: '<service> <command> --outgoing|--incoming [--transactional] [--dir] [--force] [--dry-run] [--json]',
  options: {
    ...COMMON_OPTIONS,
    outgoing: { type: 'boolean' },
    incoming: { type: 'boolean' },
    transactional: { type: 'boolean' },
  },
  needsApp: false,
  run(context, args) {
    const outgoing = args.values.outgoing === true;
    if (outgoing === (args.values.incoming === true)) {
      throw new TalktoUsageError('direction', 'pass exactly one of --outgoing and --incoming');
    }
    if (!outgoing && args.values.transactional === true) {
      throw new TalktoUsageError('--transactional', 'only applies with --outgoing');
    }
    return (outgoing ? makeOutgoingCommand : makeIncomingCommand).run(context, args);
  },
};
