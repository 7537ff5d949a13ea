import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import ts from 'typescript';

const ROOT = join(import.meta.dirname, '..', '..');
const DOCS = [
  join(ROOT, 'README.md'),
  ...readdirSync(join(ROOT, 'docs'))
    .filter((file) => file.endsWith('.md'))
    .map((file) => join(ROOT, 'docs', file)),
];

/** Contributor docs: they explain lib/'s internals file by file, not the public API. */
const INTERNALS_DOCS = [join('docs', 'protocol.md'), join('docs', 'architecture.md')];
/** A migration's class name is what the host's migrations table records, not an API. */
const MIGRATION_NAME = /\d{13}$/;

function libFiles(dir = join(ROOT, 'lib')): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory()
      ? libFiles(join(dir, entry.name))
      : entry.name.endsWith('.ts')
        ? [join(dir, entry.name)]
        : [],
  );
}

/** Every name `lib/index.ts` exports, values and types alike, as the compiler sees them. */
function publicNames(): Set<string> {
  const program = ts.createProgram([join(ROOT, 'lib', 'index.ts')], {
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    target: ts.ScriptTarget.ES2022,
    experimentalDecorators: true,
    noEmit: true,
  });
  const checker = program.getTypeChecker();
  const index = program.getSourceFile(join(ROOT, 'lib', 'index.ts'))!;
  const symbol = checker.getSymbolAtLocation(index)!;
  return new Set(checker.getExportsOfModule(symbol).map((exported) => exported.name));
}

/** Names declared with `export` anywhere in lib/: what a doc could mean by a library name. */
function declaredNames(): Set<string> {
  const names = new Set<string>();
  const declaration =
    /export\s+(?:declare\s+)?(?:abstract\s+)?(?:class|const|function|interface|type|enum)\s+(\w+)/g;
  for (const file of libFiles()) {
    for (const match of readFileSync(file, 'utf8').matchAll(declaration)) {
      names.add(match[1]!);
    }
  }
  return names;
}

/** Identifiers in code spans and code blocks, with the document each appears in. */
function docNames(): Array<{ name: string; doc: string; definedThere: boolean }> {
  const found: Array<{ name: string; doc: string; definedThere: boolean }> = [];
  for (const doc of DOCS) {
    const text = readFileSync(doc, 'utf8');
    const code = [...text.matchAll(/```[\s\S]*?```|`[^`\n]+`/g)].map((match) => match[0]).join('\n');
    const defined = new Set(
      [...code.matchAll(/\b(?:class|const|function|interface|type)\s+(\w+)/g)].map((match) => match[1]!),
    );
    // An environment variable (`NAME=value`, `process.env.NAME`) is not a library name.
    const env = new Set(
      [
        ...code.matchAll(/(?:process\.env\.|\$)?\b([A-Z][A-Z0-9_]+)(?==)|process\.env\.([A-Z][A-Z0-9_]+)/g),
      ].map((match) => match[1] ?? match[2]!),
    );
    for (const [name] of code.matchAll(/\b[A-Z][A-Za-z0-9_]+\b/g)) {
      if (!env.has(name)) found.push({ name, doc, definedThere: defined.has(name) });
    }
  }
  return found;
}

describe('the names the docs use', () => {
  const exported = publicNames();
  const declared = declaredNames();
  const names = docNames();

  it('are exported from lib/index.ts when they name something in the library', () => {
    const missing = names
      .filter(({ doc }) => !INTERNALS_DOCS.some((internals) => doc.endsWith(internals)))
      .filter(({ name }) => !MIGRATION_NAME.test(name))
      .filter(({ name, definedThere }) => declared.has(name) && !definedThere && !exported.has(name))
      .map(({ name, doc }) => `${name} (${doc.slice(ROOT.length + 1)})`);
    expect([...new Set(missing)]).toEqual([]);
  });

  it('name nothing Talkto-like that the library does not have', () => {
    const unknown = names
      .filter(
        ({ name, definedThere }) =>
          /\wTalkto|Talkto\w|^TALKTO_/.test(name) && !definedThere && !exported.has(name),
      )
      .filter(({ name }) => !declared.has(name))
      .map(({ name, doc }) => `${name} (${doc.slice(ROOT.length + 1)})`);
    expect([...new Set(unknown)]).toEqual([]);
  });
});
