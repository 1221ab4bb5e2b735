/**
 * One read of an account's Binance balances for GET /v1/balances. The API starts it (id
 * `balances-<accountId>-<uuid>`) only when its 10 s cache cannot answer, and waits for the result;
 * the key pair is opened by the activity on the orders worker, never by the API. A failed read
 * fails the run with the activity's typed failure (domain/balances.ts `BalanceReadFailure`).
 */
import { proxyActivities } from '@temporalio/workflow';
import type { AccountBalanceActivities, ReadBalancesInput } from '../activities/account-balances.js';
import type { AccountBalancesRead } from '../domain/balances.js';
import { presets } from './presets.js';

export type AccountBalancesInput = ReadBalancesInput;

const { readBinanceBalances } = proxyActivities<AccountBalanceActivities>(presets.accountRead);

export async function accountBalances(input: AccountBalancesInput): Promise<AccountBalancesRead> {
  return readBinanceBalances.executeWithOptions({ summary: 'GET /api/v3/account: balances (weight 20, poll priority)' }, [input]);
}
