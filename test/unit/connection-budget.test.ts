import { describe, expect, it } from 'vitest';
import { connectionBudgetWarning, postgresMaxConnections } from '../../lib/embedded/cluster-shape.js';

const cluster = { temporalServers: 1, workers: 2, apis: 2, poolMax: 10 };
const single = { temporalServers: 0, workers: 1, apis: 1, poolMax: 10 };

describe('the PostgreSQL connection budget', () => {
  it("sizes the embedded server for the cluster's Temporal server, workers, APIs and tools, and never below PostgreSQL's default", () => {
    expect(postgresMaxConnections(cluster)).toBe(96 + 2 * 13 + 2 * 12 + 20);
    expect(postgresMaxConnections({ ...cluster, temporalServers: 2 })).toBe(2 * 96 + 50 + 20);
    expect(postgresMaxConnections(single)).toBe(100);
  });

  it('warns about an existing server too small for the shape, saying what it needs and what to change', () => {
    const warning = connectionBudgetWarning(100, cluster);
    expect(warning).toContain('PostgreSQL allows 100 connections');
    expect(warning).toContain('up to 146 (1 Temporal server × 96 + 2 workers × 13 + 2 APIs × 12, with PG_POOL_MAX=10)');
    expect(warning).toContain('Set max_connections to at least 166');
    expect(connectionBudgetWarning(165, cluster)).toContain('at least 166');
  });

  it('stays quiet when the server has room, as a default PostgreSQL has for `npm start`', () => {
    expect(connectionBudgetWarning(166, cluster)).toBeUndefined();
    expect(connectionBudgetWarning(100, single)).toBeUndefined();
    expect(connectionBudgetWarning(40, single)).toContain('1 worker × 13 + 1 API × 12');
  });
});
