/**
 * A small keep-alive HTTP/1.1 client on node:http: far less overhead per request than fetch, so
 * on a two-core machine the load generator takes as little CPU from the system under test as it can.
 */
import http from 'node:http';

export interface HttpResponse {
  status: number;
  body: string;
}

export interface HttpClientOptions {
  /** `http://127.0.0.1:3000` */
  baseUrl: string;
  /** Sent with every request (e.g. Authorization). */
  headers?: Record<string, string>;
  /** Sockets per host; an open-loop generator needs enough that a slow server is not hidden. */
  maxSockets?: number;
  timeoutMs?: number;
}

export interface HttpClient {
  request(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<HttpResponse>;
  /** A copy that sends these headers too (same sockets). */
  withHeaders(headers: Record<string, string>): HttpClient;
  close(): void;
}

/**
 * @example const api = createHttpClient({ baseUrl: 'http://127.0.0.1:3000' }); await api.request('GET', '/health');
 */
export function createHttpClient(o: HttpClientOptions): HttpClient {
  const url = new URL(o.baseUrl);
  const agent = new http.Agent({ keepAlive: true, maxSockets: o.maxSockets ?? 512, keepAliveMsecs: 10_000 });
  const timeoutMs = o.timeoutMs ?? 60_000;
  const make = (base: Record<string, string>): HttpClient => ({
    request(method, path, body, headers = {}) {
      const payload = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
      return new Promise<HttpResponse>((resolve, reject) => {
        const req = http.request(
          {
            agent,
            host: url.hostname,
            port: url.port,
            method,
            path,
            headers: {
              ...base,
              ...headers,
              ...(payload === undefined ? {} : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) }),
            },
            timeout: timeoutMs,
          },
          (res) => {
            const chunks: Buffer[] = [];
            res.on('data', (c: Buffer) => chunks.push(c));
            res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
            res.on('error', reject);
          },
        );
        req.on('timeout', () => req.destroy(new Error(`${method} ${path}: no answer within ${timeoutMs} ms`)));
        req.on('error', reject);
        req.end(payload);
      });
    },
    withHeaders: (more) => make({ ...base, ...more }),
    close: () => agent.destroy(),
  });
  return make(o.headers ?? {});
}
