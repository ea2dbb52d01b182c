// Forwarding without sockets: the function route's chain over golb's client
// on the in-memory transport; a backend that refuses connections is retried
// on another and marked down; a request golb's shutdown cuts is counted as
// error `shutdown`, not as the client's 499.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { proxyReply, toResponse, type ClientRequest } from '../../../app/client-request.ts';
import { parseConfig, type Config } from '../../../app/config.ts';
import type { AppDeps } from '../../../app/deps.ts';
import type { Timer } from '../../../app/http/sweep.ts';
import { silentLogger, type Logger } from '../../../app/logger.ts';
import type { AbortLike } from '../../../app/proxy/engine.ts';
import { MetricsObserver } from '../../../app/metrics/observer.ts';
import type { TransportSocket } from '../../../app/net/transport.ts';
import { Http1Client } from '../../../app/proxy/http1-client.ts';
import type { WeightSource } from '../../../app/sources/source.ts';
import { WeightTable } from '../../../app/weight-table.ts';
import { functionRoute } from '../../../routes/function-route.ts';
import { BackendStates } from '../../../strategies/backend-state.ts';
import { ADMIT_ALL, MemoryTransport } from '../../support/memory-transport.ts';

const idle: Timer = { every: () => 0, cancel: () => undefined };

/** A request as golb's server hands it to the route. */
function clientRequest(target: string): ClientRequest {
  const headers = new Headers({ host: 'gw.example' });
  return { method: 'GET', target, headers, body: null, signal: undefined, clientAddress: '192.0.2.7', forwardedBy: null, requestId: undefined, onResponseEnd: undefined, reportsEnd: false, trace: undefined };
}

test('a refused backend is retried on the other and marked down; the answer is the one that worked', async () => {
  const transport = new MemoryTransport();
  await transport.listen('10.0.0.1', 80, (socket: TransportSocket) => ({
    onOpen() {},
    onData() {
      socket.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok');
    },
    onDrain() {},
    onEnd() {
      socket.end();
    },
    onClose() {},
  }), ADMIT_ALL);
  let now = 1_000;
  const config = (parseConfig({ eb_go_lb_node_name: 'edge-1' }, [], 'edge-1') as { config: Config }).config;
  const states = new BackendStates();
  const table = new WeightTable({ defaultStrategy: 'rr', gateways: [], deps: { random: () => 0.5, now: () => now }, states });
  table.set('f', {
    targets: [
      { address: '10.0.0.2:80', host: '10.0.0.2', port: 80, weight: 1 },
      { address: '10.0.0.1:80', host: '10.0.0.1', port: 80, weight: 1 },
    ],
    strategy: undefined,
  });
  const source: WeightSource = {
    kind: 'embedded', ready: true, refused: 0,
    start: async () => undefined, put: async () => undefined, remove: async () => undefined, close: async () => undefined,
  };
  const engine = new Http1Client({ connectTimeoutMs: 1000, responseTimeoutMs: 1000, idleTimeoutMs: 5000, maxIdlePerUpstream: 4, timer: idle }, transport);
  const deps: AppDeps = {
    config, table, states, source, engine, logger: silentLogger, runtime: { clientAddress: () => '192.0.2.7' },
    observer: new MetricsObserver({ table, now: () => now }), now: () => now, monotonic: () => now, timer: idle,
  };
  const route = functionRoute(deps);
  for (let i = 0; i < 4; i++) {
    const res = toResponse(await proxyReply(route, clientRequest(`/function/f/x${i}`)));
    assert.equal(res.status, 200, `request ${i}`);
    assert.equal(res.headers.get('x-final-host'), '10.0.0.1:80');
    assert.equal(await res.text(), 'ok');
  }
  const refused = states.peek('10.0.0.2:80')!;
  assert.ok(refused.downUntil > now, 'the refusing backend is marked down');
  assert.equal(refused.inFlight, 0);
  assert.equal(states.peek('10.0.0.1:80')!.inFlight, 0);
  engine.close();
});

/** A client connection as the request's signal: aborted by the test, by the client or by golb's shutdown. */
class ConnectionSignal implements AbortLike {
  aborted = false;
  shutdownCut = false;
  private listener: EventListenerObject | undefined;
  addEventListener(_type: 'abort', listener: EventListenerObject): void {
    this.listener = listener;
  }
  removeEventListener(): void {
    this.listener = undefined;
  }
  abort(byShutdown: boolean): void {
    this.aborted = true;
    this.shutdownCut = byShutdown;
    this.listener?.handleEvent(new Event('abort'));
  }
}

for (const byShutdown of [true, false]) {
  test(`a request in flight ${byShutdown ? "cut by golb's shutdown: WARN, error shutdown (503)" : 'whose client went away: DEBUG, client_closed (499)'}`, async () => {
    const transport = new MemoryTransport();
    // A backend that reads the request and never answers.
    await transport.listen('10.0.0.1', 80, () => ({ onOpen() {}, onData() {}, onDrain() {}, onEnd() {}, onClose() {} }), ADMIT_ALL);
    const config = (parseConfig({ eb_go_lb_node_name: 'edge-1' }, [], 'edge-1') as { config: Config }).config;
    const states = new BackendStates();
    const table = new WeightTable({ defaultStrategy: 'rr', gateways: [], deps: { random: () => 0.5, now: () => 1000 }, states });
    table.set('f', { targets: [{ address: '10.0.0.1:80', host: '10.0.0.1', port: 80, weight: 1 }], strategy: undefined });
    const source: WeightSource = {
      kind: 'embedded', ready: true, refused: 0,
      start: async () => undefined, put: async () => undefined, remove: async () => undefined, close: async () => undefined,
    };
    const lines: string[] = [];
    const log = (level: string) => (msg: string) => void lines.push(`${level} ${msg}`);
    const logger: Logger = { debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') };
    const engine = new Http1Client({ connectTimeoutMs: 1000, responseTimeoutMs: 60_000, idleTimeoutMs: 5000, maxIdlePerUpstream: 4, timer: idle }, transport);
    const observer = new MetricsObserver({ table, now: () => 1000 });
    const deps: AppDeps = {
      config, table, states, source, engine, logger, runtime: { clientAddress: () => '192.0.2.7' },
      observer, now: () => 1000, monotonic: () => 1000, timer: idle,
    };
    const signal = new ConnectionSignal();
    const answered = proxyReply(functionRoute(deps), { ...clientRequest('/function/f/'), signal });
    await new Promise((r) => setTimeout(r, 20)); // the request is with the backend
    signal.abort(byShutdown);
    const res = toResponse(await answered);
    const fn = observer.functions.get('f')!;
    if (byShutdown) {
      assert.equal(res.status, 503);
      assert.equal(((await res.json()) as { error: string }).error, 'shutdown');
      assert.deepEqual([...fn.rejected], [['shutdown', 1]]);
      assert.ok(lines.includes('warn request cut by the shutdown (drain timeout)'), lines.join('\n'));
    } else {
      assert.equal(res.status, 499);
      assert.deepEqual([...fn.rejected], [['client_closed', 1]]);
      assert.ok(lines.includes('debug request ended by the client'), lines.join('\n'));
    }
    assert.ok(!lines.some((l) => l.startsWith('warn upstream failed')), 'the backend is not blamed');
    engine.close();
  });
}
