/**
 * The Temporal Web UI as its own process (`github.com/temporalio/ui-server`, the version the CLI's
 * dev server embeds), for a Temporal server that has none: `npm run cluster`.
 */
import { spawn } from 'node:child_process';
import { createWriteStream, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Logger } from '../logger.js';
import { ensureGoBinary } from './go-tools.js';
import { exited, sleep, Tail, terminate } from './process.js';

/** What Temporal CLI v1.5.1 embeds, as the server version is. */
export const WEB_UI_VERSION = 'v2.42.1';

export interface WebUiOptions {
  temporalAddress: string;
  port: number;
  namespace: string;
  /** The API's codec server, which the browser calls to show payloads in clear. */
  codecEndpoint?: string;
  /** Holds the rendered config and the log. */
  dir: string;
  log: Logger;
}

export interface WebUi {
  url: string;
  stop(): Promise<void>;
  exited: Promise<void>;
}

/** The UI server binary, built with Go into `.tools/` on first use. */
export function ensureTemporalWebUi(log: Logger): Promise<string> {
  return ensureGoBinary({ pkg: 'github.com/temporalio/ui-server/v2/cmd/server', version: WEB_UI_VERSION, folder: `temporal-ui-${WEB_UI_VERSION}`, name: 'temporal-ui-server' }, log);
}

/** @example const ui = await startTemporalWebUi({ temporalAddress: '127.0.0.1:7233', port: 8233, namespace: 'default', dir, log }); */
export async function startTemporalWebUi(o: WebUiOptions): Promise<WebUi> {
  const binary = await ensureTemporalWebUi(o.log);
  mkdirSync(path.join(o.dir, 'config'), { recursive: true });
  const codec = o.codecEndpoint ? `codec:\n  endpoint: ${JSON.stringify(o.codecEndpoint)}\n  includeCredentials: true\n` : '';
  writeFileSync(
    path.join(o.dir, 'config', 'cluster.yaml'),
    `temporalGrpcAddress: ${JSON.stringify(o.temporalAddress)}\nhost: 127.0.0.1\nport: ${o.port}\nenableUi: true\ndefaultNamespace: ${JSON.stringify(o.namespace)}\nnotifyOnNewVersion: false\n${codec}`,
  );
  const child = spawn(binary, ['--root', o.dir, '--config', 'config', '--env', 'cluster', 'start'], { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  const tail = new Tail();
  const sink = createWriteStream(path.join(o.dir, 'ui.log'), { flags: 'a' });
  for (const stream of [child.stdout, child.stderr]) stream.on('data', (c: Buffer) => (tail.push(c), sink.write(c)));
  const gone = exited(child);
  const url = `http://localhost:${o.port}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`Temporal Web UI exited at start (code ${child.exitCode}); is port ${o.port} taken? Last output:\n${tail}`);
    const ok = await fetch(`http://127.0.0.1:${o.port}/`, { signal: AbortSignal.timeout(1000) }).then((r) => r.ok, () => false);
    if (ok) break;
    if (Date.now() > deadline) {
      await terminate(child);
      throw new Error(`Temporal Web UI did not answer on port ${o.port} within 30 s. Last output:\n${tail}`);
    }
    await sleep(250);
  }
  return {
    url,
    exited: gone,
    async stop() {
      await terminate(child);
      sink.end();
    },
  };
}
