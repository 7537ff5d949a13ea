import { AsyncLocalStorage } from 'node:async_hooks';
import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';

/**
 * The transaction `TalktoClient.send()` joins when no `manager` is passed: the one opened by
 * `TalktoClient.transaction()`, found through AsyncLocalStorage so it crosses awaits and service
 * calls without being handed down by hand.
 */
@Injectable()
export class TalktoTransactionScope {
  private readonly storage = new AsyncLocalStorage<EntityManager>();

  run<T>(manager: EntityManager, work: () => Promise<T>): Promise<T> {
    return this.storage.run(manager, work);
  }

  current(): EntityManager | undefined {
    return this.storage.getStore();
  }
}
