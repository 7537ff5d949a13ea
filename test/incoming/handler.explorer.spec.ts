import 'reflect-metadata';
import { describe, expect, it } from '@jest/globals';
import { Injectable, Module, Scope, type Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { DataSource } from 'typeorm';
import { TalktoHandler, TalktoModule, type TalktoModuleOptions } from '../../lib/index.js';

const SECRET = 'a-long-enough-shared-secret-for-tests-0001';

@Injectable()
@TalktoHandler('orders.reserve')
class FirstHandler {
  handle() {}
}

@Injectable()
@TalktoHandler('orders.reserve')
class SecondHandler {
  handle() {}
}

@Injectable({ scope: Scope.REQUEST })
@TalktoHandler('orders.scoped')
class RequestScopedHandler {
  handle() {}
}

/** Boots an application context (no listener) and returns the boot error, if any. */
async function bootError(
  providers: Type[],
  options: Partial<TalktoModuleOptions> = {},
): Promise<Error | null> {
  const dataSource = new DataSource({ type: 'better-sqlite3', database: ':memory:' });
  @Module({
    imports: [TalktoModule.forRoot({ service: 'website', dataSource, ...options })],
    providers,
  })
  class AppModule {}
  try {
    const app = await NestFactory.createApplicationContext(AppModule, { logger: false, abortOnError: false });
    await app.close();
    return null;
  } catch (error) {
    return error as Error;
  }
}

describe('HandlerExplorer', () => {
  it('refuses two handlers for one command', async () => {
    const error = await bootError([FirstHandler, SecondHandler]);
    expect(error?.message).toMatch(/orders\.reserve.*FirstHandler and SecondHandler/);
  });

  it('refuses a request-scoped handler', async () => {
    const error = await bootError([RequestScopedHandler]);
    expect(error?.message).toMatch(/request-scoped/);
  });

  it('refuses an allowed command that has no handler', async () => {
    const error = await bootError([], {
      incoming: { inventory: { secret: SECRET, allowedCommands: ['orders.cancel'] } },
    });
    expect(error?.message).toContain('incoming.inventory.allowedCommands.orders.cancel');
  });

  it('boots when every allowed command is served, by a handler or by driver none', async () => {
    const error = await bootError([FirstHandler], {
      incoming: {
        inventory: {
          secret: SECRET,
          allowedCommands: { 'orders.reserve': {}, 'orders.ping': { driver: 'none' } },
        },
      },
    });
    expect(error).toBeNull();
  });
});
