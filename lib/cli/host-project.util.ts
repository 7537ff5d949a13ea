import { existsSync, readFileSync } from 'node:fs';
import { dirname, extname, join } from 'node:path';

export type HostModuleFormat = 'esm' | 'commonjs';
export type HostTestRunner = 'jest' | 'vitest';

export interface HostProject {
  /** How the host's `.ts`/`.js` files load: `"type": "module"` in its package.json, else CommonJS. */
  moduleFormat: HostModuleFormat;
  /** vitest when the host depends on it, else jest. */
  testRunner: HostTestRunner;
  /** jest's globals are typed by `@types/jest`; without it specs import them from `@jest/globals`. */
  jestTypes: 'globals' | 'import';
}

interface PackageJson {
  type?: string;
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
}

function nearestPackageJson(from: string): PackageJson | null {
  for (let dir = from; ; dir = dirname(dir)) {
    const file = join(dir, 'package.json');
    if (existsSync(file)) {
      return JSON.parse(readFileSync(file, 'utf8')) as PackageJson;
    }
    if (dirname(dir) === dir) {
      return null;
    }
  }
}

/** The module format Node gives `file`: its extension, else the nearest package.json's `type`. */
export function moduleFormatOf(file: string): HostModuleFormat {
  const extension = extname(file);
  if (extension === '.mjs' || extension === '.mts') {
    return 'esm';
  }
  if (extension === '.cjs' || extension === '.cts') {
    return 'commonjs';
  }
  return nearestPackageJson(dirname(file))?.type === 'module' ? 'esm' : 'commonjs';
}

/** What generated code must fit in the project at (or above) `dir`. */
export function readHostProject(dir: string): HostProject {
  const pkg = nearestPackageJson(dir) ?? {};
  const dependencies = { ...pkg.dependencies, ...pkg.devDependencies };
  return {
    moduleFormat: pkg.type === 'module' ? 'esm' : 'commonjs',
    testRunner: 'vitest' in dependencies ? 'vitest' : 'jest',
    jestTypes: '@types/jest' in dependencies ? 'globals' : 'import',
  };
}
