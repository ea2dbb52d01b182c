/**
 * `/1/lb/functions`: the weights table through the management API.
 *
 * - `GET /1/lb/functions`: every function with its value, effective strategy
 *   and backends; `GET /1/lb/functions/<fn>`: one (404 when unknown).
 * - `PUT /1/lb/functions/<fn>` with a function value as the body, validated
 *   exactly as a value in the store (`decodeFunctionValue`): 400 with the
 *   reason when it is refused. `DELETE /1/lb/functions/<fn>` removes it.
 *
 * Reads are built at most once a second and shared (`app/answer-cache.ts`),
 * keyed on the table's version (the listing) or the function's entry (one
 * function), so a write the table has applied shows at once; health may be up
 * to a second old.
 *
 * Writes go to the weight source — etcd's key `golb/function/<zone>/<fn>`, or
 * the weights file, rewritten atomically — and come back into the table the
 * way any write does (the watch), so every gateway of the zone applies them.
 * The embedded file is re-read before the answer (200); with etcd the answer is
 * 202: stored, applied as the watch delivers it, within milliseconds. A
 * weights file whose owner a rewrite would break (a ConfigMap's symbolic
 * link, a read-only file or mount) refuses the write with 409 `conflict`.
 * Authorisation is the management router's (`admin-auth.ts`).
 * @module
 */
import { Hono } from 'hono';
import { AnswerCache, answerResponse, jsonAnswer } from '../app/answer-cache.ts';
import type { AppDeps } from '../app/deps.ts';
import { GatewayError } from '../app/errors.ts';
import { isFunctionName } from '../app/function-name.ts';
import { decodeFunctionValue, toStoreValue } from '../app/sources/function-value.ts';
import { WeightsFileRefused, WeightsFileWriteFailed } from '../app/sources/weights-file-writer.ts';
import type { Logger } from '../app/logger.ts';
import { MAX_VALUE_BYTES } from '../app/sources/etcd-sync.ts';
import type { FunctionEntry } from '../app/weight-table.ts';
import { isAvailable } from '../strategies/backend-state.ts';
import { STRATEGIES } from '../strategies/registry.ts';

/**
 * Reads a request body as text, at most `limit` bytes (by `Content-Length` at
 * once, or while it streams): 413 beyond.
 */
export async function readBody(req: Request, limit: number): Promise<string> {
  const length = Number(req.headers.get('content-length') ?? '0');
  if (length > limit) throw new GatewayError('body_too_large', `request body over ${limit} bytes`);
  if (req.body === null) return '';
  const chunks: Uint8Array[] = [];
  let total = 0;
  const reader = req.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.length;
    if (total > limit) {
      await reader.cancel().catch(() => undefined);
      throw new GatewayError('body_too_large', `request body over ${limit} bytes`);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** What the API shows of one function. */
function view(entry: FunctionEntry, now: number): Record<string, unknown> {
  return {
    value: toStoreValue(entry.spec),
    strategy: entry.strategy,
    backends: entry.backends.map((b) => ({ address: b.address, weight: b.weight, gateway: b.gateway, available: isAvailable(b.state, now) })),
  };
}

/** The function named in the path (or query), or 400. */
export function functionParam(fn: string): string {
  if (!isFunctionName(fn)) throw new GatewayError('bad_request', 'function name must match [A-Za-z0-9][A-Za-z0-9._-]{0,252}');
  return fn;
}

/**
 * Runs a write against the source. The weights file refuses a write that
 * would break its owner (a symlink, a read-only file, an edit in progress):
 * 409 `conflict`, saying why and what to use instead; a file write that fails
 * anyway is 500 `write_failed`, naming the path and the errno (the writer
 * holds the admin token: the path is the operator's own). etcd that cannot
 * take the write is 502 `upstream_failed`; its addresses go to the log only.
 */
async function write(fn: string, logger: Logger, op: () => Promise<void>): Promise<void> {
  try {
    await op();
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    if (err instanceof WeightsFileRefused) {
      logger.warn('management write refused', { function: fn, reason });
      throw new GatewayError('conflict', err.message, fn);
    }
    logger.warn('management write failed', { function: fn, reason });
    if (err instanceof WeightsFileWriteFailed) throw new GatewayError('write_failed', err.message, fn);
    throw new GatewayError('upstream_failed', 'the weight source could not store the change', fn);
  }
}

/** The `/1/lb/functions` routes. */
export function functionsApi(deps: AppDeps): Hono {
  const { table, source, config } = deps;
  const knownStrategies = new Set(STRATEGIES.keys());
  const written = () => (source.kind === 'etcd' ? 202 : 200);
  const api = new Hono();
  // A write replaces the table's version and the function's entry: it is never answered from before it.
  const listings = new AnswerCache<number>({ now: deps.monotonic });
  const views = new AnswerCache<FunctionEntry>({ now: deps.monotonic });

  api.get('/1/lb/functions', () => {
    const answer = listings.get(table.version, () => {
      const now = deps.monotonic();
      const functions: Record<string, unknown> = {};
      for (const fn of table.names()) {
        const entry = table.get(fn);
        if (entry !== undefined) functions[fn] = view(entry, now);
      }
      return jsonAnswer({ zone: config.zone, source: source.kind, functions });
    });
    return answerResponse(answer);
  });

  api.get('/1/lb/functions/:fn', (c) => {
    const fn = functionParam(c.req.param('fn'));
    const entry = table.get(fn);
    if (entry === undefined) throw new GatewayError('unknown_function', `function ${fn} is not known here`, fn);
    return answerResponse(views.get(entry, () => jsonAnswer({ function: fn, ...view(entry, deps.monotonic()) })));
  });

  api.put('/1/lb/functions/:fn', async (c) => {
    const fn = functionParam(c.req.param('fn'));
    const result = decodeFunctionValue(await readBody(c.req.raw, MAX_VALUE_BYTES), knownStrategies);
    if (!result.ok) throw new GatewayError('bad_request', `value refused: ${result.reason}`, fn);
    await write(fn, deps.logger, () => source.put(fn, result.spec));
    deps.logger.info('function written through the management API', { function: fn, source: source.kind });
    return c.json({ function: fn, value: toStoreValue(result.spec) }, written());
  });

  api.delete('/1/lb/functions/:fn', async (c) => {
    const fn = functionParam(c.req.param('fn'));
    const known = table.get(fn) !== undefined;
    // Removed from the store even when the table does not know it (a refused value's key, say).
    await write(fn, deps.logger, () => source.remove(fn));
    if (!known) throw new GatewayError('unknown_function', `function ${fn} is not known here`, fn);
    deps.logger.info('function deleted through the management API', { function: fn, source: source.kind });
    return c.json({ function: fn, deleted: true }, written());
  });

  return api;
}
