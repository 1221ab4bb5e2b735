/** The query of GET /v1/orders/external. */
import { z } from 'zod';

export const listExternalOrdersQuery = z.strictObject({
  venue: z.enum(['paper', 'binance']).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().max(200).optional(),
});

/** The tie-breaking key of an external order in a page cursor: `venue:exchangeOrderId`. */
export const externalOrderKey = /^(paper|binance):([\w.-]{1,64})$/;
