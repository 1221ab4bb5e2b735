/** What /v1/balances reads and answers. */
import { z } from '@hono/zod-openapi';
import { isoTime, unsignedDecimal, venueSchema } from './common.js';

export const balancesQuery = z.strictObject({
  venue: venueSchema.optional().openapi({ description: 'binance when you have a key pair (or the engine has the single-user one), else paper, when left out' }),
});

const assetBalance = z
  .strictObject({
    asset: z.string().openapi({ example: 'BTC' }),
    free: unsignedDecimal.openapi({ description: 'Available to trade' }),
    locked: unsignedDecimal.openapi({ description: 'Held by open orders' }),
    total: unsignedDecimal.openapi({ description: 'free + locked' }),
  })
  .openapi('AssetBalance');

export const balancesSchema = z
  .strictObject({
    venue: venueSchema,
    source: z.enum(['paper', 'binance', 'binance-cache']).openapi({
      description:
        'paper: the paper ledger, read now. binance: read from Binance for this request. binance-cache: the answer of a read at most 10 s old (asOf), served again instead of asking Binance once more',
    }),
    asOf: isoTime.openapi({ description: 'When the balances were read: for binance-cache, the time of the earlier read' }),
    balances: z.array(assetBalance).openapi({ description: 'Assets holding anything, by asset' }),
  })
  .openapi('Balances');
