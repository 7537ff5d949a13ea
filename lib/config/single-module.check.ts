import type { Type } from '@nestjs/common';
import type { ModulesContainer } from '@nestjs/core';
import { TalktoConfigurationError } from '../errors/talkto-configuration.error.js';

/**
 * Two `forRoot`/`forRootAsync` imports would mount the routes twice and run two sets of workers
 * on one ledger; the module is global, so one import at the root serves the whole app.
 */
export function assertSingleTalktoModule(modules: ModulesContainer, talktoModule: Type<unknown>): void {
  const count = [...modules.values()].filter((module) => module.metatype === talktoModule).length;
  if (count > 1) {
    throw new TalktoConfigurationError(
      'TalktoModule',
      `is imported ${count} times (forRoot/forRootAsync); import it once, in the root module: ` +
        'it is global, so every other module sees its providers',
    );
  }
}
