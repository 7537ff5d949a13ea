import type { Provider } from '@nestjs/common';
import { getDataSourceToken } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { TalktoConfigurationError } from '../errors/talkto-configuration.error.js';
import { TALKTO_DATA_SOURCE } from '../talkto.constants.js';
import { assertTalktoEntitiesRegistered, nameTimestampTypes } from './entity-registration.js';
import { InboxLedger } from './inbox.ledger.js';
import { LedgerCore } from './ledger.core.js';
import { MessageLog } from './message.log.js';
import { OutboxLedger } from './outbox.ledger.js';
import { RecoveryLedger } from './recovery.ledger.js';
import { ResultCallbackLedger } from './result-callback.ledger.js';
import { NonceStore } from './nonce.store.js';

function missingConnection(name: string | undefined): string {
  return name === undefined
    ? 'no TypeORM DataSource found; import TypeOrmModule.forRoot() or pass a DataSource'
    : `no TypeORM connection named '${name}'; register it with TypeOrmModule.forRoot({ name: '${name}', … }) ` +
        `(or forRootAsync with name: '${name}'), or set dataSource to an existing connection's name`;
}

/**
 * The Talkto tables live in a host DataSource: one given directly in the options, or the
 * `TypeOrmModule` connection of that name (injected, so it is connected before we use it).
 */
export function createStorageProviders(dataSource: DataSource | string | undefined): Provider[] {
  const dataSourceProvider: Provider =
    dataSource instanceof DataSource
      ? {
          provide: TALKTO_DATA_SOURCE,
          useFactory: () => {
            assertTalktoEntitiesRegistered(dataSource, 'the DataSource given as dataSource');
            nameTimestampTypes(dataSource);
            return dataSource;
          },
        }
      : {
          provide: TALKTO_DATA_SOURCE,
          useFactory: (found?: DataSource) => {
            if (!found) {
              throw new TalktoConfigurationError('dataSource', missingConnection(dataSource));
            }
            assertTalktoEntitiesRegistered(
              found,
              dataSource === undefined
                ? 'the default TypeORM connection'
                : `the TypeORM connection '${dataSource}'`,
            );
            nameTimestampTypes(found);
            return found;
          },
          inject: [{ token: getDataSourceToken(dataSource), optional: true }],
        };
  return [
    dataSourceProvider,
    {
      provide: LedgerCore,
      useFactory: (source: DataSource) => new LedgerCore(source),
      inject: [TALKTO_DATA_SOURCE],
    },
    {
      provide: MessageLog,
      useFactory: (source: DataSource) => new MessageLog(source),
      inject: [TALKTO_DATA_SOURCE],
    },
    // The lifecycles share one core, so a claim finds the row its lifecycle has just inserted.
    ...[OutboxLedger, InboxLedger, ResultCallbackLedger, RecoveryLedger].map((Ledger) => ({
      provide: Ledger,
      useFactory: (core: LedgerCore) => new Ledger(core),
      inject: [LedgerCore],
    })),
    {
      provide: NonceStore,
      useFactory: (source: DataSource) => new NonceStore(source),
      inject: [TALKTO_DATA_SOURCE],
    },
  ];
}
