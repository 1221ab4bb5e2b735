/**
 * The OpenAPI document as a contract the API tests hold the app to: every answer a test gets is
 * checked (with ajv) against the operation the document declares for its method and path: its
 * status must be listed, its body must match that status's schema, its media type must be the
 * declared one, and it must carry X-Request-Id and nosniff. A test file calls `enforceContract`
 * on each app it talks to, and `expectContractKept` after each test.
 */
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsPlugin from 'ajv-formats';
import { afterEach, expect } from 'vitest';

type Schema = Record<string, unknown>;
interface MediaType {
  schema?: Schema;
}
interface ResponseDoc {
  description: string;
  content?: Record<string, MediaType>;
}
interface Operation {
  responses: Record<string, ResponseDoc>;
}
export interface OpenApiDocument {
  openapi: string;
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, Schema> };
}

interface FetchApp {
  fetch: (request: Request, ...rest: any[]) => Response | Promise<Response>;
  request: (input: string, init?: RequestInit) => Response | Promise<Response>;
}

// ajv-formats is CommonJS: under Node's ESM loader its default import is the module object.
type FormatsPlugin = (ajv: Ajv2020) => Ajv2020;
const addFormats = ((addFormatsPlugin as unknown as { default?: FormatsPlugin }).default ?? addFormatsPlugin) as unknown as FormatsPlugin;

/** Compiles and caches the schemas of a document's responses. */
export class Contract {
  readonly #ajv = new Ajv2020({ strict: false, allErrors: true });
  readonly #compiled = new Map<Schema, ValidateFunction>();
  readonly #routes: Array<{ method: string; template: string; pattern: RegExp; operation: Operation }>;

  constructor(readonly document: OpenApiDocument) {
    addFormats(this.#ajv);
    this.#routes = Object.entries(document.paths)
      .flatMap(([template, ops]) => Object.entries(ops).map(([method, operation]) => ({ method, template, operation })))
      .map((r) => ({ ...r, pattern: new RegExp(`^${r.template.replace(/\{[^}]+\}/g, '[^/]+')}$`) }))
      // Literal segments win over parameters: /v1/orders/external before /v1/orders/{id}.
      .sort((a, b) => (a.template.match(/\{/g)?.length ?? 0) - (b.template.match(/\{/g)?.length ?? 0));
  }

  /** The operation serving `method path`, if the document has one. */
  operation(method: string, path: string): { template: string; operation: Operation } | undefined {
    return this.#routes.find((r) => r.method === method.toLowerCase() && r.pattern.test(path));
  }

  /** Problems of a JSON `body` against `schema` (empty when it conforms). */
  check(schema: Schema, body: unknown): string[] {
    let validate = this.#compiled.get(schema);
    if (!validate) this.#compiled.set(schema, (validate = this.#ajv.compile({ ...schema, components: this.document.components })));
    return validate(body) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath || '(root)'} ${e.message ?? ''} ${JSON.stringify(e.params)}`);
  }

  /** Problems of an answer to `method path` against the document (empty when it conforms). */
  async verify(method: string, path: string, res: Response): Promise<string[]> {
    const where = `${method} ${path} → ${res.status}`;
    const problems: string[] = [];
    if (!res.headers.get('x-request-id')) problems.push(`${where}: no X-Request-Id`);
    if (res.headers.get('x-content-type-options') !== 'nosniff') problems.push(`${where}: no X-Content-Type-Options: nosniff`);
    const found = this.operation(method, path);
    const text = await res.text();
    // A path no route serves answers the error shape.
    const doc = found ? found.operation.responses[String(res.status)] : res.status === 404 ? { description: 'not found', content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } } : undefined;
    if (!doc) return [...problems, `${where}: status not documented for ${found ? `${method.toLowerCase()} ${found.template}` : 'an unknown path'}`];
    const declared = Object.keys(doc.content ?? {});
    if (declared.length === 0) return text === '' ? problems : [...problems, `${where}: documented without a body, answered ${text.slice(0, 80)}`];
    const type = (res.headers.get('content-type') ?? '').split(';')[0]!.trim();
    const media = doc.content?.[type];
    if (!media) return [...problems, `${where}: answered ${type || 'no Content-Type'}, documented ${declared.join(', ')}`];
    if (type !== 'application/json' || !media.schema) return problems;
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      return [...problems, `${where}: body is not JSON: ${text.slice(0, 80)}`];
    }
    return [...problems, ...this.check(media.schema, body).map((p) => `${where}: ${p}`)];
  }
}

const violations: string[] = [];

/**
 * Checks every answer `app` gives from now on (through `app.request()` and over HTTP) against its
 * own /openapi.json. Violations are collected for `expectContractKept`; answers reach the test unchanged.
 * @example const e = await startEngine(); const contract = await enforceContract(e.app);
 */
export async function enforceContract(app: FetchApp): Promise<Contract> {
  const original = app.fetch;
  const contract = new Contract((await (await original(new Request('http://localhost/openapi.json'))).json()) as OpenApiDocument);
  app.fetch = async (request: Request, ...rest: any[]) => {
    const res = await original(request, ...rest);
    if (request.method === 'OPTIONS' || request.method === 'HEAD' || res.status === 101) return res;
    violations.push(...(await contract.verify(request.method, new URL(request.url).pathname, res.clone())));
    return res;
  };
  return contract;
}

/**
 * After each test of the file: no answer broke the contract.
 * @example expectContractKept();
 */
export function expectContractKept(): void {
  afterEach(() => {
    const found = violations.splice(0);
    expect(found, 'answers that the OpenAPI document does not describe').toEqual([]);
  });
}
