import { describe, expect, it } from '@jest/globals';
import { Injectable, Module } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { TalktoClient, TalktoModule, type TalktoModuleOptions } from '../../lib/index.js';
import { TalktoMessageEntity } from '../../lib/persistence/entities/message.entity.js';
import type { HttpAdapterKind } from '../support/talkto-app.js';
import { type PairSideSpec, useTalktoPair } from '../support/talkto-pair.js';
import { waitFor } from '../support/wait-for.js';
import { ORDER_PROVIDERS } from './fixtures/order-handlers.js';
import { HostErrorFormatFilter } from './fixtures/host-error-format.filter.js';

const INVENTORY_TO_WEBSITE = 'inventory-to-website-secret-0123456789';
const WEBSITE_TO_INVENTORY = 'website-to-inventory-secret-9876543210';

/** Stands in for @nestjs/config's ConfigService: options known only once the app is built. */
function configModule(values: TalktoModuleOptions) {
  @Injectable()
  class AppConfig {
    readonly talkto = values;
  }
  @Module({ providers: [AppConfig], exports: [AppConfig] })
  class AppConfigModule {}
  return { AppConfig, AppConfigModule };
}

function talktoFromConfig(values: TalktoModuleOptions) {
  const { AppConfig, AppConfigModule } = configModule(values);
  return TalktoModule.forRootAsync({
    imports: [AppConfigModule],
    inject: [AppConfig],
    useFactory: (config: InstanceType<typeof AppConfig>) => config.talkto,
  });
}

/** What a host app looks like: global prefix, its own catch-all filter, autoLoadEntities, async options. */
describe.each<HttpAdapterKind>(['express', 'fastify'])(
  'a round trip with a result callback between two hosts over %s',
  (adapter) => {
    const host: PairSideSpec = {
      autoLoadEntities: true,
      providers: [...ORDER_PROVIDERS, { provide: APP_FILTER, useClass: HostErrorFormatFilter }],
      prepare: (app) => app.setGlobalPrefix('api'),
    };
    const apps = useTalktoPair({
      database: 'sqlite',
      adapter,
      commandSecret: INVENTORY_TO_WEBSITE,
      callbackSecret: WEBSITE_TO_INVENTORY,
      allowedCommands: ['orders.reserve'],
      callbacks: 'implicit',
      talktoModule: talktoFromConfig,
      receiver: host,
      sender: host,
    });

    it("delivers the command to the peer's default URL and applies the result it reports", async () => {
      const sent = await apps.inventory.app
        .get(TalktoClient)
        .send('website', 'orders.reserve', { orderId: 'o-host', quantity: 2 });
      const row = await waitFor(async () => {
        const found = await apps.inventory.dataSource.manager.findOneBy(TalktoMessageEntity, {
          messageId: sent.messageId,
          direction: 'outgoing',
        });
        return found?.destinationActionStatus === 'succeeded' ? found : undefined;
      }, 'the result to be applied on the sender');
      expect(row.overallStatus).toBe('completed');
      expect(row.lastHttpStatus).toBe(202);
    });

    it("keeps the host's 404 format and answers a malformed body on the receive route with 422", async () => {
      const missing = await fetch(`${apps.website.url}/api/nowhere`);
      expect(missing.status).toBe(404);
      expect(await missing.json()).toEqual({ hostError: true, status: 404 });
      const malformed = await fetch(`${apps.website.url}/api/talkto/receive`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{"message_id":',
      });
      expect(malformed.status).toBe(422);
      expect(await malformed.json()).toEqual({ received: false, status: 'rejected', error: 'invalid_json' });
    });
  },
);
