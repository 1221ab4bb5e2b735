/**
 * The worker's own HTTP server for operators: `GET /metrics` (its prom-client registry, followed by
 * the Temporal Core's metrics) and `GET /ready` (200 only while every worker polls its task queue).
 *
 * Why merge rather than publish the Core's exporter: one scrape target and one port per worker
 * process, and the Core's endpoint stays on loopback. The names cannot clash (ours start with
 * `durable_trader_`, the Core's with `temporal_`). If the Core's endpoint does not answer, /metrics
 * still serves ours, with `durable_trader_core_metrics_up 0` saying so.
 */
import { createServer, type Server } from 'node:http';
import type { Registry } from 'prom-client';
import { freePort } from './free-ports.js';

export interface MetricsServerOptions {
  port: number;
  host: string;
  registry: Registry;
  /** The Temporal Core's Prometheus endpoint (http://127.0.0.1:<TEMPORAL_METRICS_PORT>/metrics), merged into /metrics. */
  coreMetricsUrl?: string | undefined;
  /** Whether the process is ready: /ready answers 200 while this is true, else 503. */
  ready?: () => { ready: boolean; detail?: unknown };
}

export interface MetricsServer {
  /** `http://host:port` the server listens on (the port actually bound when `port` was 0). */
  readonly url: string;
  close(): Promise<void>;
}

async function coreMetrics(url: string): Promise<string | undefined> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
    return res.ok ? await res.text() : undefined;
  } catch {
    return undefined;
  }
}

/**
 * @example const server = await startMetricsServer({ port: 9464, host: '0.0.0.0', registry: metrics.registry, ready: () => ({ ready: true }) });
 */
export async function startMetricsServer(o: MetricsServerOptions): Promise<MetricsServer> {
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    if (path === '/metrics') {
      void (async () => {
        try {
          let body = await o.registry.metrics();
          if (o.coreMetricsUrl) {
            const core = await coreMetrics(o.coreMetricsUrl);
            body += `# HELP durable_trader_core_metrics_up Whether the Temporal Core's metrics endpoint answered this scrape\n# TYPE durable_trader_core_metrics_up gauge\ndurable_trader_core_metrics_up ${core === undefined ? 0 : 1}\n`;
            if (core) body += core.endsWith('\n') ? core : `${core}\n`;
          }
          res.writeHead(200, { 'content-type': o.registry.contentType }).end(body);
        } catch (err) {
          res.writeHead(500, { 'content-type': 'text/plain' }).end(`metrics failed: ${(err as Error).message}\n`);
        }
      })();
      return;
    }
    if (path === '/ready') {
      const state = o.ready?.() ?? { ready: true };
      res.writeHead(state.ready ? 200 : 503, { 'content-type': 'application/json' }).end(JSON.stringify({ status: state.ready ? 'ready' : 'not ready', detail: state.detail }));
      return;
    }
    res.writeHead(404, { 'content-type': 'text/plain' }).end('GET /metrics or /ready\n');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port, o.host, () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : o.port;
  const host = o.host.includes(':') ? `[${o.host}]` : o.host;
  return {
    url: `http://${host}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        // Scrapers keep their connections alive; they would hold close() open.
        server.closeAllConnections();
      }),
  };
}

/**
 * `port`, or when it is 0 a loopback port that was free a moment ago: the Temporal Core's exporter
 * needs a number to bind and cannot report which port it took. Picked below the kernel's ephemeral
 * range, so no outgoing connection can take it before Core binds it.
 * @example const corePort = await loopbackPort(config.TEMPORAL_METRICS_PORT);
 */
export async function loopbackPort(port: number): Promise<number> {
  return port !== 0 ? port : freePort();
}
