/**
 * docker-compose.yml, the Dockerfile and .env.example checked against the code they deploy, by
 * parsing them: no Docker engine is needed, so a renamed variable or port fails `npm test` instead
 * of the first `docker compose up`.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { loadConfig, requireSecrets, variables } from '../../lib/config.js';
import { CLUSTER_SHAPE, perProcessEnv } from '../../lib/embedded/cluster-shape.js';
import { TIMER_DYNAMIC_CONFIG } from '../../lib/embedded/temporal-timers.js';

const read = (file: string) => readFileSync(new URL(`../../${file}`, import.meta.url), 'utf8');

type Env = Record<string, string | undefined>;

interface Service {
  image?: string;
  build?: unknown;
  command?: string | string[];
  environment?: Record<string, string | number | boolean | null> | string[];
  ports?: Array<string | number | { target: number; published?: string | number; host_ip?: string }>;
  expose?: Array<string | number>;
  depends_on?: string[] | Record<string, { condition?: string }>;
  healthcheck?: { test?: string | string[]; disable?: boolean };
  deploy?: { replicas?: number };
}

interface Compose {
  services: Record<string, Service>;
}

class InterpolationError extends Error {
  override name = 'InterpolationError';
}

/**
 * Compose's variable substitution, for the forms this repo uses: $$, $NAME, ${NAME}, and ${NAME}
 * with :-default, -default, :?message or ?message. Anything else throws rather than passing
 * through unsubstituted.
 */
function interpolate(text: string, vars: Env): string {
  return text.replace(/\$\$|\$\{([A-Za-z_]\w*)(?:(:?[-?])([^}$]*))?\}|\$([A-Za-z_]\w*)|\$/g, (match, braced?: string, op?: string, arg?: string, bare?: string) => {
    if (match === '$$') return '$';
    const name = braced ?? bare;
    if (name === undefined) throw new InterpolationError(`unsupported interpolation in ${JSON.stringify(text)}`);
    const value = vars[name];
    const unset = op?.startsWith(':') ? !value : value === undefined;
    if (op === ':-' || op === '-') return unset ? (arg ?? '') : value!;
    if (op === ':?' || op === '?') {
      if (unset) throw new InterpolationError(`${name}: ${arg}`);
      return value!;
    }
    return value ?? '';
  });
}

function interpolateAll<T>(node: T, vars: Env): T {
  if (typeof node === 'string') return interpolate(node, vars) as T;
  if (Array.isArray(node)) return node.map((item: unknown) => interpolateAll(item, vars)) as T;
  if (node !== null && typeof node === 'object') {
    return Object.fromEntries(Object.entries(node).map(([key, value]) => [key, interpolateAll(value, vars)])) as T;
  }
  return node;
}

const composeText = read('docker-compose.yml');
// Compose honours YAML merge keys (<<: *anchor); the yaml package needs to be asked.
const rawCompose = parse(composeText, { merge: true }) as Compose;
/** What `.env` must provide: the keys that protect data, which have no default. */
const sampleSecrets: Env = {
  JWT_SECRET: `base64:${Buffer.alloc(32, 1).toString('base64')}`,
  PAYLOAD_KEYS: `k1:${Buffer.alloc(32, 2).toString('base64')}`,
  CREDENTIALS_KEYS: `k1:${Buffer.alloc(32, 3).toString('base64')}`,
};
/** What `.env` must provide: the passwords and keys that have no default. */
const sampleDotEnv: Env = { APP_DB_PASSWORD: 'app-sample-pw', TEMPORAL_DB_PASSWORD: 'temporal-sample-pw', GRAFANA_ADMIN_PASSWORD: 'grafana-sample-pw', ...sampleSecrets };
const compose = (dotEnv: Env = sampleDotEnv) => interpolateAll(rawCompose, dotEnv);

function service(c: Compose, name: string): Service {
  const s = c.services[name];
  if (!s) throw new Error(`docker-compose.yml has no service ${name}`);
  return s;
}

function environment(s: Service): Env {
  const env = s.environment ?? {};
  if (Array.isArray(env)) {
    return Object.fromEntries(env.map((line) => [line.split('=')[0]!, line.includes('=') ? line.slice(line.indexOf('=') + 1) : undefined]));
  }
  return Object.fromEntries(Object.entries(env).map(([k, v]) => [k, v === null ? undefined : String(v)]));
}

function published(s: Service): Array<{ hostIp: string | undefined; hostPort: number | undefined; containerPort: number }> {
  return (s.ports ?? []).map((p) => {
    if (typeof p === 'object') return { hostIp: p.host_ip, hostPort: p.published === undefined ? undefined : Number(p.published), containerPort: p.target };
    const parts = String(p).replace(/\/(tcp|udp)$/, '').split(':');
    const containerPort = Number(parts.pop());
    const hostPort = parts.length ? Number(parts.pop()) : undefined;
    return { hostIp: parts.pop(), hostPort, containerPort };
  });
}

/** The port a service listens on inside the network: its `expose` entry, else the image's usual one. */
function listenPort(s: Service, usual: number): number {
  const ports = (s.expose ?? []).map(Number);
  expect(ports.length, 'a service that others connect to should say on which port').toBeLessThanOrEqual(1);
  return ports[0] ?? usual;
}

const imageName = (s: Service) => s.image?.replace(/:[^:/]+$/, '');
const servicesWithImage = (c: Compose, name: string) => Object.entries(c.services).filter(([, s]) => imageName(s) === name);
/** The services built from this repo's Dockerfile: they are configured through lib/config.ts. */
const appServices = (c: Compose) => Object.entries(c.services).filter(([, s]) => s.build !== undefined);

describe('the interpolation helper', () => {
  it('substitutes the way compose does: :- and :? treat empty as unset, - and ? only missing, $$ is a dollar', () => {
    const vars = { EMPTY: '', SET: 'v' };
    expect(interpolate('${SET}/$SET/${MISSING}', vars)).toBe('v/v/');
    expect(interpolate('${EMPTY:-d}|${EMPTY-d}|${MISSING-d}|${SET:-d}', vars)).toBe('d||d|v');
    expect(interpolate('${EMPTY?m}|$$SET', vars)).toBe('|$SET');
    expect(() => interpolate('${EMPTY:?set EMPTY}', vars)).toThrow('EMPTY: set EMPTY');
    expect(() => interpolate('${MISSING:-${SET}}', vars)).toThrow(InterpolationError);
  });
});

describe('docker-compose.yml', () => {
  it('sets on the services built from this repo only variables that lib/config.ts reads', () => {
    const apps = appServices(rawCompose);
    expect(apps.map(([name]) => name)).toEqual(expect.arrayContaining(['api', 'worker']));
    for (const [name, s] of apps) {
      const unknown = Object.keys(environment(s)).filter((key) => !(key in variables));
      expect(unknown, `${name} sets variables the code never reads`).toEqual([]);
    }
  });

  it.each(['api', 'worker'])('gives the %s an environment that loadConfig accepts, with external Temporal and PostgreSQL', (name) => {
    const config = loadConfig(environment(service(compose(), name)));
    // `npm run api` / `npm run worker` exit when either would be embedded, or without their keys.
    expect(config.embeddedTemporal).toBe(false);
    expect(config.embeddedPostgres).toBe(false);
    expect(() => requireSecrets(config, name as 'api' | 'worker')).not.toThrow();
  });

  it.each([
    ['api', 'JWT_SECRET'],
    ['api', 'PAYLOAD_KEYS'],
    ['worker', 'PAYLOAD_KEYS'],
    ['api', 'CREDENTIALS_KEYS'],
    ['worker', 'CREDENTIALS_KEYS'],
  ])('refuses to configure the %s while %s is unset, rather than running without it', (name, key) => {
    expect(() => compose({ ...sampleDotEnv, [key]: '' }).services[name]).toThrow(new RegExp(`${key}: set ${key} in \\.env`));
  });

  it("points the Temporal UI's codec endpoint at the API's /codec, with credentials, from an origin the API allows", () => {
    const c = compose();
    const ui = environment(service(c, 'temporal-ui'));
    const apiPort = loadConfig(environment(service(c, 'api'))).PORT;
    expect(ui.TEMPORAL_CODEC_ENDPOINT).toBe(`http://localhost:${apiPort}/codec`);
    expect(ui.TEMPORAL_CODEC_INCLUDE_CREDENTIALS).toBe('true');
    const uiOrigin = `http://localhost:${published(service(c, 'temporal-ui'))[0]?.hostPort}`;
    expect(loadConfig(environment(service(c, 'api'))).codecOrigins).toContain(uiOrigin);
  });

  it('passes settings from .env through to the API and the worker', () => {
    const c = compose({ ...sampleDotEnv, LOG_LEVEL: 'debug', TEMPORAL_NAMESPACE: 'trading', BINANCE_API_KEY: 'k', BINANCE_API_SECRET: 's', PRICE_STALE_AFTER: '5m' });
    for (const name of ['api', 'worker']) {
      const config = loadConfig(environment(service(c, name)));
      expect(config).toMatchObject({ LOG_LEVEL: 'debug', TEMPORAL_NAMESPACE: 'trading', BINANCE_API_KEY: 'k', BINANCE_API_SECRET: 's', PRICE_STALE_AFTER: 300_000 });
    }
  });

  it.each(['postgres', 'migrate', 'api', 'worker', 'temporal-postgres', 'temporal'])(
    'refuses to configure %s while its database password is unset, rather than using a built-in one',
    (name) => {
      expect(() => interpolateAll(service(rawCompose, name), sampleSecrets)).toThrow(/_DB_PASSWORD: set \w+ in \.env/);
    },
  );

  it("points the API's, the worker's and the UI's TEMPORAL_ADDRESS at the temporal service's gRPC port", () => {
    const c = compose();
    const temporal = servicesWithImage(c, 'temporalio/auto-setup');
    expect(temporal).toHaveLength(1);
    const [temporalName, temporalService] = temporal[0]!;
    const expected = `${temporalName}:${listenPort(temporalService, 7233)}`;
    expect(expected).toBe(`${temporalName}:7233`);
    for (const name of ['api', 'worker', 'temporal-ui']) {
      expect(environment(service(c, name)).TEMPORAL_ADDRESS, name).toBe(expected);
    }
  });

  it("points DATABASE_URL at the app's postgres service, on its port, with its user, password and database", () => {
    const c = compose();
    for (const name of ['api', 'worker', 'migrate']) {
      const url = new URL(environment(service(c, name)).DATABASE_URL!);
      const db = service(c, url.hostname);
      expect(imageName(db), `${name}: ${url.hostname} is not a postgres service`).toBe('postgres');
      const dbEnv = environment(db);
      expect(Number(url.port || 5432), name).toBe(listenPort(db, 5432));
      expect({ user: url.username, password: decodeURIComponent(url.password), database: url.pathname.slice(1) }, name).toEqual({
        user: dbEnv.POSTGRES_USER,
        password: dbEnv.POSTGRES_PASSWORD,
        database: dbEnv.POSTGRES_DB ?? dbEnv.POSTGRES_USER,
      });
    }
  });

  it("points Temporal at its own postgres service and registers the namespace the engine uses", () => {
    const c = compose({ ...sampleDotEnv, TEMPORAL_NAMESPACE: 'trading' });
    const temporalEnv = environment(service(c, 'temporal'));
    const db = service(c, temporalEnv.POSTGRES_SEEDS!);
    const dbEnv = environment(db);
    expect(imageName(db)).toBe('postgres');
    expect(temporalEnv.DB).toBe('postgres12');
    expect(Number(temporalEnv.DB_PORT)).toBe(listenPort(db, 5432));
    expect([temporalEnv.POSTGRES_USER, temporalEnv.POSTGRES_PWD]).toEqual([dbEnv.POSTGRES_USER, dbEnv.POSTGRES_PASSWORD]);
    expect(temporalEnv.POSTGRES_SEEDS).not.toBe(new URL(environment(service(c, 'api')).DATABASE_URL!).hostname);
    expect(temporalEnv.DEFAULT_NAMESPACE).toBe('trading');
    expect(environment(service(c, 'api')).TEMPORAL_NAMESPACE).toBe('trading');
  });

  it('publishes the API on its PORT and every port on 127.0.0.1 only', () => {
    const c = compose();
    const port = loadConfig(environment(service(c, 'api'))).PORT;
    expect(published(service(c, 'api'))).toEqual([{ hostIp: '127.0.0.1', hostPort: port, containerPort: port }]);
    for (const [name, s] of Object.entries(c.services)) {
      for (const p of published(s)) expect(p.hostIp, `${name} publishes ${p.containerPort} beyond this machine`).toBe('127.0.0.1');
    }
  });

  it('links the API to the Temporal UI where the UI is published', () => {
    const c = compose();
    const ui = published(service(c, 'temporal-ui'));
    expect(ui).toEqual([{ hostIp: '127.0.0.1', hostPort: 8080, containerPort: 8080 }]);
    const link = new URL(loadConfig(environment(service(c, 'api'))).temporalUiUrl);
    expect([link.hostname, Number(link.port)]).toEqual(['localhost', 8080]);
    expect(environment(service(c, 'temporal-ui')).TEMPORAL_CORS_ORIGINS).toBeTruthy();
  });

  it('pins every image to a version, Temporal to 1.29.x', () => {
    const images = Object.values(rawCompose.services).flatMap((s) => (s.image && s.build === undefined ? [s.image] : []));
    expect(images.length).toBeGreaterThanOrEqual(4);
    for (const image of images) expect(image, image).toMatch(/^[\w./-]+:(?!latest$)[\w.-]+$/);
    expect(servicesWithImage(rawCompose, 'temporalio/auto-setup').map(([, s]) => s.image)).toEqual([expect.stringMatching(/:1\.29\.\d+$/)]);
    expect(servicesWithImage(rawCompose, 'temporalio/ui').map(([, s]) => s.image)).toEqual([expect.stringMatching(/:\d+\.\d+\.\d+$/)]);
    expect(servicesWithImage(rawCompose, 'postgres').length).toBeGreaterThanOrEqual(1);
    for (const [, s] of servicesWithImage(rawCompose, 'postgres')) expect(s.image).toBe('postgres:16');
  });

  it('starts the API and the worker only once PostgreSQL and Temporal are healthy and migrations are applied', () => {
    const c = compose();
    for (const name of ['api', 'worker']) {
      expect(service(c, name).depends_on, name).toEqual({
        postgres: { condition: 'service_healthy' },
        temporal: { condition: 'service_healthy' },
        migrate: { condition: 'service_completed_successfully' },
      });
    }
    for (const name of ['postgres', 'temporal-postgres', 'temporal']) {
      const check = service(c, name).healthcheck;
      expect(check?.test, `${name} needs a healthcheck for service_healthy to mean anything`).toBeDefined();
      expect(check?.disable, name).not.toBe(true);
    }
    expect(service(c, 'postgres').healthcheck?.test).toContain('pg_isready');
    expect(service(c, 'temporal-postgres').healthcheck?.test).toContain('pg_isready');
  });

  it('keeps the database data in named volumes', () => {
    const declared = Object.keys((rawCompose as { volumes?: Record<string, unknown> }).volumes ?? {});
    for (const [name, s] of servicesWithImage(rawCompose, 'postgres')) {
      const volumes = (s as { volumes?: string[] }).volumes ?? [];
      const data = volumes.find((v) => v.endsWith(':/var/lib/postgresql/data'));
      expect(data, `${name} keeps its data in the container`).toBeDefined();
      expect(declared).toContain(data!.split(':')[0]);
    }
  });
});

/** The Dockerfile's instructions, with line continuations joined. */
function dockerfile(): Array<{ op: string; args: string }> {
  const lines = read('Dockerfile')
    .replace(/\\\r?\n/g, ' ')
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
  return lines.map((l) => {
    const [op = '', ...rest] = l.split(/\s+/);
    return { op: op.toUpperCase(), args: rest.join(' ') };
  });
}

/** Instructions of the last stage, the one that runs. */
function finalStage() {
  const instructions = dockerfile();
  return instructions.slice(instructions.map((i) => i.op).lastIndexOf('FROM'));
}

const instruction = (op: string) => finalStage().filter((i) => i.op === op);
const scripts = (JSON.parse(read('package.json')) as { scripts: Record<string, string> }).scripts;

describe('docker-compose.yml and `npm run cluster` (lib/embedded/cluster-shape.ts)', () => {
  const c = compose();
  const runs = (s: Service, script: string) => JSON.stringify(s.command) === JSON.stringify(['npm', 'run', script]);
  const count = (script: string) => appServices(c).reduce((n, [, s]) => n + (runs(s, script) ? (s.deploy?.replicas ?? 1) : 0), 0);

  it('runs as many APIs and workers as the cluster', () => {
    expect(count('api')).toBe(CLUSTER_SHAPE.apis);
    expect(count('worker')).toBe(CLUSTER_SHAPE.workers);
  });

  it('runs the Temporal server and Web UI versions the cluster builds, with as many history shards', () => {
    const version = (name: string) => servicesWithImage(rawCompose, name).map(([, s]) => `v${s.image!.split(':').pop()}`);
    expect(version('temporalio/auto-setup')).toEqual([CLUSTER_SHAPE.temporalServerVersion]);
    expect(version('temporalio/ui')).toEqual([CLUSTER_SHAPE.webUiVersion]);
    expect(Number(environment(service(c, 'temporal')).NUM_HISTORY_SHARDS)).toBe(CLUSTER_SHAPE.historyShards);
  });

  it("gives the Temporal server the cluster's timer settings through a mounted dynamic config", () => {
    const temporal = service(c, 'temporal');
    const target = `/etc/temporal/${environment(temporal).DYNAMIC_CONFIG_FILE_PATH}`;
    const mount = ((temporal as { volumes?: string[] }).volumes ?? []).find((v) => v.split(':')[1] === target);
    expect(mount, `a volume mounted at ${target}`).toBeDefined();
    const dynamic = parse(read(mount!.split(':')[0]!.replace(/^\.\//, ''))) as Record<string, Array<{ value: unknown }>>;
    for (const [key, value] of Object.entries(TIMER_DYNAMIC_CONFIG)) expect(dynamic[key]?.[0]?.value, key).toBe(value);
  });

  it('gives every API and every worker the same environment, as the cluster does but for its per-process ports', () => {
    const envOf = (script: string) => appServices(c).filter(([, s]) => runs(s, script)).map(([, s]) => environment(s));
    for (const script of ['api', 'worker']) {
      const [first, ...others] = envOf(script);
      for (const other of others) expect(other).toEqual(first);
    }
    const ports = { PORT: 3000, WORKER_METRICS_PORT: 9464, TEMPORAL_METRICS_PORT: 9465 };
    for (const kind of ['api', 'worker'] as const) {
      for (const index of [0, 1]) {
        const own = perProcessEnv(kind, index, ports);
        for (const name of Object.keys(own)) {
          expect(CLUSTER_SHAPE.perProcessVariables as readonly string[]).toContain(name);
          expect(variables).toHaveProperty(name);
        }
        // The second process of a kind differs from the first in every port it listens on.
        if (index === 1) for (const [name, value] of Object.entries(own)) expect(value).not.toBe(perProcessEnv(kind, 0, ports)[name as keyof typeof own]);
      }
    }
  });

  it('publishes each API on its own port of this machine', () => {
    const apiPorts = appServices(c).filter(([, s]) => runs(s, 'api')).flatMap(([, s]) => published(s).map((p) => p.hostPort));
    expect(new Set(apiPorts).size).toBe(CLUSTER_SHAPE.apis);
  });
});

describe('Dockerfile', () => {
  it('exposes the PORT the compose file gives the API, and defaults PORT to it', () => {
    const apiPort = loadConfig(environment(service(compose(), 'api'))).PORT;
    expect(instruction('EXPOSE').map((i) => Number(i.args))).toEqual([apiPort]);
    expect(instruction('ENV').map((i) => i.args).join(' ')).toMatch(new RegExp(`\\bPORT=${apiPort}\\b`));
  });

  it('starts the API by default through an npm script that package.json defines', () => {
    const cmd = instruction('CMD').at(-1);
    expect(JSON.parse(cmd?.args ?? 'null')).toEqual(['npm', 'run', 'api']);
    expect(scripts.api).toBeDefined();
  });

  it('gives the compose services commands that are npm scripts package.json defines', () => {
    for (const name of ['api', 'worker']) {
      const command = service(rawCompose, name).command;
      expect(command, name).toEqual(['npm', 'run', name]);
      expect(scripts[name], name).toBeDefined();
    }
  });

  it('builds and runs on node:20-bookworm-slim as the non-root node user', () => {
    // One base for every stage: native modules installed in one stage must load in the other.
    const bases = dockerfile().filter((i) => i.op === 'FROM').map((i) => i.args.split(' ')[0]);
    expect(bases.length).toBeGreaterThanOrEqual(2);
    expect(new Set(bases)).toEqual(new Set(['node:20-bookworm-slim']));
    expect(instruction('USER').at(-1)?.args).toBe('node');
  });

  it('checks GET /health with node, which the slim image has instead of curl', () => {
    const check = instruction('HEALTHCHECK').at(-1)?.args ?? '';
    expect(check).toMatch(/CMD \["node", "-e", ".*\/health['"]/);
  });

  it("copies what package.json's postinstall runs, and what that imports, before the image's npm ci", () => {
    const all = dockerfile();
    const ci = all.findIndex((i) => i.op === 'RUN' && /\bnpm ci\b/.test(i.args));
    const stage = all.slice(all.map((i) => i.op).lastIndexOf('FROM', ci), ci);
    const copied = stage.filter((i) => i.op === 'COPY').flatMap((i) => i.args.split(/\s+/).filter((a) => !a.startsWith('--')).slice(0, -1));
    const entry = /node --import tsx (\S+\.ts)/.exec(scripts.postinstall ?? '')?.[1];
    expect(entry, 'postinstall runs a TypeScript file through tsx').toBeDefined();
    // The entry and every file of ours it reaches through relative imports.
    const needed = new Set<string>();
    const visit = (file: string) => {
      if (needed.has(file)) return;
      needed.add(file);
      for (const [, spec] of read(file).matchAll(/from '(\.{1,2}\/[^']+)'/g)) {
        visit(path.posix.normalize(path.posix.join(path.posix.dirname(file), spec!.replace(/\.js$/, '.ts'))));
      }
    };
    visit(entry!);
    expect([...needed].filter((file) => !copied.includes(file))).toEqual([]);
  });

  it("bundles the workers' workflow code into the image, after the sources and where WORKFLOW_BUNDLE_PATH points", () => {
    const stage = finalStage();
    const sources = stage.findIndex((i) => i.op === 'COPY' && i.args === '. .');
    const bundle = stage.findIndex((i) => i.op === 'RUN' && /^npm run bundle$/.test(i.args));
    expect(sources).toBeGreaterThanOrEqual(0);
    expect(bundle).toBeGreaterThan(sources);
    const env = stage.slice(0, bundle).filter((i) => i.op === 'ENV').map((i) => i.args).join(' ');
    const target = /\bWORKFLOW_BUNDLE_PATH=(\S+)/.exec(env)?.[1];
    expect(target).toMatch(/^\/app\//);
    expect(scripts.bundle).toBe('node --import tsx scripts/bundle-workflows.ts');
  });

  it('leaves node_modules, local data and secrets out of the build context', () => {
    const ignored = read('.dockerignore').split(/\r?\n/).map((l) => l.trim());
    expect(ignored).toEqual(expect.arrayContaining(['node_modules', '.data', '.tools', '.git', '.env']));
  });
});

interface EnvExampleLine {
  name: string;
  value: string;
  commented: boolean;
}

function envExample(): EnvExampleLine[] {
  return read('.env.example')
    .split(/\r?\n/)
    .flatMap((line) => {
      const m = /^(#\s*)?([A-Z][A-Z0-9_]*)=(.*)$/.exec(line.trim());
      return m ? [{ name: m[2]!, value: m[3]!.trim(), commented: m[1] !== undefined }] : [];
    });
}

/** Variables docker-compose.yml substitutes (in values, not comments) that the engine does not read. */
const composeOnly = [
  ...new Set(
    [...JSON.stringify(rawCompose).matchAll(/\$\{([A-Za-z_]\w*)/g)].map((m) => m[1]!).filter((name) => !(name in variables)),
  ),
];

describe('.env.example', () => {
  it('lists every variable lib/config.ts reads', () => {
    const listed = new Set(envExample().map((l) => l.name));
    expect(Object.keys(variables).filter((name) => !listed.has(name))).toEqual([]);
  });

  it('lists every variable docker-compose.yml requires', () => {
    const listed = new Set(envExample().map((l) => l.name));
    expect(composeOnly.length).toBeGreaterThan(0);
    expect(composeOnly.filter((name) => !listed.has(name))).toEqual([]);
  });

  it('lists nothing that neither lib/config.ts nor docker-compose.yml reads, and nothing twice', () => {
    const names = envExample().map((l) => l.name);
    expect(names.filter((name) => !(name in variables) && !composeOnly.includes(name))).toEqual([]);
    expect(names.filter((name, i) => names.indexOf(name) !== i)).toEqual([]);
  });

  it("shows each engine variable commented out, with the code's default or empty when there is none", () => {
    for (const line of envExample()) {
      if (!(line.name in variables)) continue;
      expect(line.commented, `${line.name} should be commented out`).toBe(true);
      // The schema itself, not loadConfig, which reads an empty value as unset.
      const schema = variables[line.name as keyof typeof variables].schema as { parse(value: unknown): unknown };
      const byDefault = schema.parse(undefined);
      if (byDefault === undefined) expect(line.value, `${line.name} has no default to show`).toBe('');
      else expect(schema.parse(line.value), `${line.name}=${line.value} is not its default`).toEqual(byDefault);
    }
  });
});

describe('the probes in docker-compose.yml', () => {
  it("checks the API's readiness (/health/ready) and the worker's /ready on its WORKER_METRICS_PORT", () => {
    const c = compose();
    const api = service(c, 'api').healthcheck;
    expect(api?.disable).not.toBe(true);
    expect(JSON.stringify(api?.test)).toContain("/health/ready'");
    const worker = service(c, 'worker');
    expect(worker.healthcheck?.disable).not.toBe(true);
    expect(JSON.stringify(worker.healthcheck?.test)).toMatch(/process\.env\.WORKER_METRICS_PORT \+ '\/ready'/);
    expect(environment(worker).WORKER_METRICS_PORT).toBeDefined();
  });
});

describe('the Kubernetes example (deploy/k8s)', () => {
  interface Probe {
    httpGet?: { path: string; port: string | number };
    tcpSocket?: { port: string | number };
  }
  interface Container {
    env?: Array<{ name: string }>;
    envFrom?: Array<{ configMapRef?: { name: string } }>;
    ports?: Array<{ name: string; containerPort: number }>;
    livenessProbe?: Probe;
    readinessProbe?: Probe;
    command?: string[];
  }
  type Doc = { kind: string; metadata: { name: string }; data?: Record<string, string>; spec?: { template?: { spec: { containers: Container[] } } } };
  const docs = (file: string) => parseAllDocuments(read(file)).map((d) => d.toJS() as Doc);
  const deploymentOf = (all: Doc[]) => all.find((d) => d.kind === 'Deployment')!.spec!.template!.spec.containers[0]!;
  /** Every variable the container gets, from its env and the ConfigMaps of the same file. */
  const variablesOf = (all: Doc[], c: Container) => ({
    ...Object.fromEntries((c.env ?? []).map((e) => [e.name, 'from a secret'])),
    ...Object.assign({}, ...(c.envFrom ?? []).map((f) => all.find((d) => d.kind === 'ConfigMap' && d.metadata.name === f.configMapRef?.name)?.data ?? {})),
  }) as Record<string, string>;
  const portOf = (c: Container, port: string | number | undefined) => (typeof port === 'number' ? port : c.ports?.find((p) => p.name === port)?.containerPort);

  it.each(['deploy/k8s/api.yaml', 'deploy/k8s/worker.yaml'])('configures %s only through variables lib/config.ts reads', (file) => {
    const all = docs(file);
    const vars = variablesOf(all, deploymentOf(all));
    expect(Object.keys(vars).filter((name) => !(name in variables))).toEqual([]);
  });

  it('probes the API: liveness on /health/live and readiness on /health/ready, on the PORT it listens on', () => {
    const all = docs('deploy/k8s/api.yaml');
    const api = deploymentOf(all);
    expect(api.command).toEqual(['npm', 'run', 'api']);
    expect(api.livenessProbe?.httpGet?.path).toBe('/health/live');
    expect(api.readinessProbe?.httpGet?.path).toBe('/health/ready');
    const port = Number(variablesOf(all, api).PORT);
    expect(portOf(api, api.livenessProbe?.httpGet?.port)).toBe(port);
    expect(portOf(api, api.readinessProbe?.httpGet?.port)).toBe(port);
    expect(variablesOf(all, api).HOST).toBe('0.0.0.0');
  });

  it("probes the worker's readiness on /ready of WORKER_METRICS_PORT, served on a reachable interface", () => {
    const all = docs('deploy/k8s/worker.yaml');
    const worker = deploymentOf(all);
    expect(worker.command).toEqual(['npm', 'run', 'worker']);
    const vars = variablesOf(all, worker);
    expect(worker.readinessProbe?.httpGet?.path).toBe('/ready');
    expect(portOf(worker, worker.readinessProbe?.httpGet?.port)).toBe(Number(vars.WORKER_METRICS_PORT));
    expect(portOf(worker, worker.livenessProbe?.tcpSocket?.port)).toBe(Number(vars.WORKER_METRICS_PORT));
    expect(vars.WORKER_METRICS_HOST).toBe('0.0.0.0');
  });
});
