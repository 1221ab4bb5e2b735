/**
 * The monitoring stack of docker-compose.yml against the code: Prometheus scrapes the ports the
 * API and the worker really serve /metrics on, Grafana gets the datasource the dashboard names,
 * and every metric a dashboard query uses is one the code registers or one the Temporal Core
 * exports (TEMPORAL_CORE_METRICS, checked against a live worker by test/integration/metrics.test.ts).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { loadConfig } from '../../lib/config.js';
import { createApiMetrics, createWorkerMetrics, METRIC_PREFIX, TEMPORAL_CORE_METRICS } from '../../lib/metrics.js';

interface Service {
  image?: string;
  command?: string | string[];
  environment?: Record<string, string | number | boolean | null>;
  expose?: string[];
  volumes?: string[];
}

const read = (path: string) => readFileSync(path, 'utf8');
const compose = parse(read('docker-compose.yml'), { merge: true }) as { services: Record<string, Service> };
const prometheus = parse(read('deploy/prometheus/prometheus.yml')) as { scrape_configs: Array<{ job_name: string; metrics_path?: string; static_configs?: Array<{ targets: string[] }>; dns_sd_configs?: Array<{ names: string[]; type: string; port: number }> }> };
const datasources = parse(read('deploy/grafana/provisioning/datasources/prometheus.yml')) as { datasources: Array<{ uid: string; type: string; url: string }> };
const dashboard = JSON.parse(read('deploy/grafana/dashboards/durable-trader.json')) as {
  panels: Array<{ title: string; datasource: { uid: string }; targets: Array<{ expr: string; datasource: { uid: string } }> }>;
};

/** What the service's environment says, with `${X:-default}` read as its default (no .env here). */
function env(name: string): Record<string, string> {
  const raw = compose.services[name]?.environment ?? {};
  return Object.fromEntries(
    Object.entries(raw).map(([k, v]) => [k, String(v ?? '').replace(/\$\{\w+:-([^}]*)\}/g, '$1')]),
  );
}

/** Every metric the code registers, by the name a query uses (histograms' series are _bucket, _sum, _count). */
const registered = new Set([...createApiMetrics().registry.getMetricsAsArray(), ...createWorkerMetrics().registry.getMetricsAsArray()].map((m) => m.name));
const known = new Set<string>([...registered, ...TEMPORAL_CORE_METRICS]);
const exprs = dashboard.panels.flatMap((p) => p.targets.map((t) => ({ panel: p.title, expr: t.expr })));
/** Metric names in a PromQL expression: ours and the Core's have their prefixes; the rest are functions, labels and keywords. */
const metricsIn = (expr: string) => [...expr.matchAll(/\b((?:durable_trader|temporal)_\w+)/g)].map((m) => m[1]!.replace(/_(bucket|sum|count)$/, ''));

describe('the Grafana dashboard', () => {
  it('queries only metrics the code registers or the Temporal Core exports', () => {
    expect(exprs.length).toBeGreaterThan(6);
    const unknown = exprs.flatMap(({ panel, expr }) => metricsIn(expr).filter((name) => !known.has(name)).map((name) => `${panel}: ${name}`));
    expect(unknown).toEqual([]);
  });

  it('has the panels an on-call engineer asked for', () => {
    const used = new Set(exprs.flatMap(({ expr }) => metricsIn(expr)));
    for (const name of [
      'durable_trader_orders_terminal_total',
      'durable_trader_order_submit_duration_seconds',
      'durable_trader_venue_errors_total',
      'temporal_workflow_task_schedule_to_start_latency',
      'temporal_activity_schedule_to_start_latency',
      'durable_trader_portfolio_recalculation_duration_seconds',
      'durable_trader_price_age_seconds',
      // A rollout's nondeterminism errors (README, "Rolling out a new version").
      'temporal_workflow_task_execution_failed_total',
    ]) {
      expect(used.has(name), name).toBe(true);
    }
    expect(exprs.some(({ expr }) => /histogram_quantile\(0\.99, .*durable_trader_order_submit_duration_seconds_bucket/.test(expr))).toBe(true);
  });

  it('reads from the datasource Grafana is provisioned with', () => {
    const [source] = datasources.datasources;
    expect(source).toMatchObject({ type: 'prometheus', url: 'http://prometheus:9090' });
    for (const p of dashboard.panels) {
      expect(p.datasource.uid, p.title).toBe(source!.uid);
      for (const t of p.targets) expect(t.datasource.uid, p.title).toBe(source!.uid);
    }
  });
});

describe('Prometheus and Grafana in docker-compose.yml', () => {
  it('scrapes the API on its PORT and the worker on its WORKER_METRICS_PORT, served on a reachable interface', () => {
    // A static target per API service; the worker's replicas by DNS, each on its metrics port.
    const targets = Object.fromEntries(
      prometheus.scrape_configs.map((s) => [s.job_name, [...(s.static_configs ?? []).flatMap((c) => c.targets), ...(s.dns_sd_configs ?? []).flatMap((c) => c.names.map((n) => `${n}:${c.port}`))]]),
    );
    // Only the listening settings: deployment-files.test.ts checks the rest of the environment.
    const listening = (name: string, keys: string[]) => loadConfig(Object.fromEntries(Object.entries(env(name)).filter(([k]) => keys.includes(k))));
    const api = listening('api', ['PORT', 'HOST']);
    const worker = listening('worker', ['WORKER_METRICS_PORT', 'WORKER_METRICS_HOST']);
    const apiServices = Object.entries(compose.services).filter(([, svc]) => JSON.stringify(svc.command) === JSON.stringify(['npm', 'run', 'api'])).map(([name]) => name);
    expect(apiServices.length).toBeGreaterThanOrEqual(2);
    expect(targets['durable-trader-api']).toEqual(apiServices.map((name) => `${name}:${api.PORT}`));
    expect(targets['durable-trader-worker']).toEqual([`worker:${worker.WORKER_METRICS_PORT}`]);
    expect(worker.WORKER_METRICS_HOST).toBe('0.0.0.0');
    expect(compose.services.worker?.expose).toContain(String(worker.WORKER_METRICS_PORT));
    for (const s of prometheus.scrape_configs) expect(s.metrics_path ?? '/metrics').toBe('/metrics');
  });

  it('mounts the committed Prometheus configuration and Grafana provisioning and dashboards', () => {
    expect(compose.services.prometheus?.volumes).toContain('./deploy/prometheus/prometheus.yml:/etc/prometheus/prometheus.yml:ro');
    const grafana = compose.services.grafana?.volumes ?? [];
    expect(grafana).toContain('./deploy/grafana/provisioning:/etc/grafana/provisioning:ro');
    const provider = parse(read('deploy/grafana/provisioning/dashboards/durable-trader.yml')) as { providers: Array<{ options: { path: string } }> };
    expect(grafana).toContain(`./deploy/grafana/dashboards:${provider.providers[0]!.options.path}:ro`);
  });
});

describe('the README', () => {
  it('lists every metric the code registers and every Core metric the dashboard relies on', () => {
    const readme = read('README.md');
    // prom-client's process metrics are listed as a family (`durable_trader_api_*`, `durable_trader_worker_*`).
    const ours = [...registered].filter((name) => !name.startsWith(`${METRIC_PREFIX}api_`) && !name.startsWith(`${METRIC_PREFIX}worker_`));
    expect(ours.length).toBeGreaterThan(10);
    expect([...ours, ...TEMPORAL_CORE_METRICS].filter((name) => !readme.includes(`\`${name}\``))).toEqual([]);
  });
});
