import { describe, expect, it } from '@jest/globals';
import { TalktoClient } from '../../lib/index.js';
import { TalktoMessageEntity } from '../../lib/persistence/entities/message.entity.js';
import { CapturedLogs } from '../support/captured-logs.js';
import { useTalktoPair } from '../support/talkto-pair.js';
import { waitFor } from '../support/wait-for.js';
import { ORDER_PROVIDERS } from './fixtures/order-handlers.js';

const INVENTORY_TO_WEBSITE = 'inventory-to-website-secret-0123456789';
const WEBSITE_TO_INVENTORY = 'website-to-inventory-secret-9876543210';

/** Both services configured as docs/getting-started.md shows, with no callback allow-list entry. */
describe('result callbacks between two services configured as getting-started shows', () => {
  const logs = new CapturedLogs();

  const apps = useTalktoPair({
    database: 'sqlite',
    logger: logs,
    commandSecret: INVENTORY_TO_WEBSITE,
    callbackSecret: WEBSITE_TO_INVENTORY,
    allowedCommands: ['orders.reserve'],
    callbacks: 'implicit',
    receiver: { providers: ORDER_PROVIDERS },
    sender: {
      adapter: 'fastify',
      talkto: {
        outgoing: {
          billing: { baseUrl: 'http://127.0.0.1:9', secret: 'inventory-to-billing-secret-000000' },
        },
        incoming: { website: { allowedCommands: { 'stock.ping': { driver: 'none' } } } },
      },
    },
  });

  it("apply the receiver's result on the sender without allow-listing talkto.result", async () => {
    const sent = await apps.inventory.app
      .get(TalktoClient)
      .send('website', 'orders.reserve', { orderId: 'o-gs', quantity: 1 });
    const row = await waitFor(async () => {
      const found = await apps.inventory.dataSource.manager.findOneBy(TalktoMessageEntity, {
        messageId: sent.messageId,
        direction: 'outgoing',
      });
      return found?.destinationActionStatus === 'succeeded' ? found : undefined;
    }, 'the result callback to be applied');
    expect(row.overallStatus).toBe('completed');
    expect(logs.warnings('rejected a callback request')).toEqual([]);
  });

  it('warn once at boot about a peer whose callbacks cannot be verified, naming the fix', () => {
    const lines = logs.warnings('sends commands to billing');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('add incoming.billing: { secret }');
    expect(logs.warnings('sends commands to website')).toEqual([]);
  });

  it('log where each serves its routes, once per app', () => {
    const routes = logs.lines.filter((line) =>
      line.message.includes(
        'receives commands at POST /api/talkto/receive and result callbacks at POST /api/talkto/callback',
      ),
    );
    expect(routes).toHaveLength(2);
  });
});
