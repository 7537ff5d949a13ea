import type { Provider } from '@nestjs/common';
import { getDataSourceToken } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { TalktoConfigurationError } from '../errors/talkto-configuration.error.js';
import { TALKTO_DATA_SOURCE } from '../talkto.constants.js';
import { MessageLedger } from './message.ledger.js';
import { NonceStore } from './nonce.store.js';

/**
 * The Talkto tables live in a host DataSource: one given directly in the options, or the
 * `TypeOrmModule` connection of that name (injected, so it is connected before we use it).
 */
export function createStorageProviders(dataSource: DataSource | string | undefined): Provider[] {
  const dataSourceProvider: Provider =
    dataSource instanceof DataSource
      ? { provide: TALKTO_DATA_SOURCE, useValue: dataSource }
      : {
          provide: TALKTO_DATA_SOURCE,
          useFactory: (found?: DataSource) => {
            if (!found) {
              throw new TalktoConfigurationError(
                'dataSource',
                'no TypeORM DataSource found; import TypeOrmModule.forRoot() or pass a DataSource',
              );
            }
            return found;
          },
          inject: [{ token: getDataSourceToken(dataSource), optional: true }],
        };
  return [
    dataSourceProvider,
    {
      provide: MessageLedger,
      useFactory: (source: DataSource) => new MessageLedger(source),
      inject: [TALKTO_DATA_SOURCE],
    },
    {
      provide: NonceStore,
      useFactory: (source: DataSource) => new NonceStore(source),
      inject: [TALKTO_DATA_SOURCE],
    },
  ];
}
