import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkHops } from '../../../app/middleware/gateway-awareness.ts';

test('a plain client request, even with X-Forwarded-For-style history in Via, is a client request', () => {
  assert.equal(checkHops(null, null, 'gw-a', 8), 'client');
  assert.equal(checkHops('1.1 ingress', null, 'gw-a', 8), 'client');
});

test('only the golb mark makes a request forwarded', () => {
  assert.equal(checkHops('1.1 gw-b', 'gw-b', 'gw-a', 8), 'forwarded');
});

test('Via naming this node is a loop, whatever the case or position; similar names are not', () => {
  assert.equal(checkHops('1.1 gw-b, 1.1 GW-A', 'gw-b', 'gw-a', 8), 'loop');
  assert.equal(checkHops('1.1 gw-a (golb)', null, 'gw-a', 8), 'loop');
  assert.equal(checkHops('1.1 gw-ab, 1.1 xgw-a', null, 'gw-a', 8), 'client');
});

test('maxHops Via entries or more are too many', () => {
  assert.equal(checkHops('1.1 a, 1.1 b, 1.1 c', null, 'gw-a', 3), 'too_many_hops');
  assert.equal(checkHops('1.1 a, 1.1 b', null, 'gw-a', 3), 'client');
});

// The middleware, with a handler that records what reached it.
import { parseConfig, type Config } from '../../../app/config.ts';
import type { ClientRequest, ProxyReply } from '../../../app/client-request.ts';
import { silentLogger } from '../../../app/logger.ts';
import { NO_OBSERVER } from '../../../app/observer.ts';
import { markForwarded, withGatewayAwareness } from '../../../app/middleware/gateway-awareness.ts';

function aware(maxHops = 8) {
  const config = (parseConfig({ eb_go_lb_node_name: 'GW-A', eb_go_lb_max_hops: String(maxHops) }, [], 'gw-a') as { config: Config }).config;
  const rejected: [string | undefined, string][] = [];
  const seen: (string | null)[] = [];
  const handler = withGatewayAwareness((req, to) => {
    seen.push(req.forwardedBy);
    to.reply(new Response('passed'));
  }, { config, logger: silentLogger, observer: { ...NO_OBSERVER, rejected: (fn, code) => rejected.push([fn, code]) } });
  const send = (target: string, headers: Record<string, string>): ProxyReply => {
    const req: ClientRequest = { method: 'GET', target, headers: new Headers(headers), body: null, signal: undefined, clientAddress: '192.0.2.1', forwardedBy: null, requestId: undefined, onResponseEnd: undefined, reportsEnd: false, trace: undefined };
    let reply: ProxyReply | undefined;
    handler(req, { reply: (r) => (reply = r) });
    assert.ok(reply !== undefined, 'answered at once');
    return reply;
  };
  return { send, rejected, seen };
}

test('the middleware hands a client request on unmarked and a forwarded one with its mark', () => {
  const { send, seen } = aware();
  assert.equal(send('/function/f/x', { via: '1.1 ingress' }).status, 200);
  assert.equal(send('/function/f/x', { via: '1.1 gw-b', 'x-golb-forwarded-by': 'gw-b' }).status, 200);
  assert.equal(send('/function/f/x', { 'x-golb-forwarded-by': '' }).status, 200);
  assert.deepEqual(seen, [null, 'gw-b', null]);
});

test('the middleware answers a loop and too many hops itself: 508 with the function, counted as its refusal', async () => {
  const { send, rejected, seen } = aware(3);
  const loop = send('/function/f/x', { via: '1.1 gw-b, 1.1 gw-a' }) as Response;
  assert.equal(loop.status, 508);
  assert.deepEqual(await loop.json(), { error: 'loop_detected', message: 'the request already passed GW-A (Via)', function: 'f', zone: 'local', node: 'GW-A' });
  const far = send('/other', { via: '1.1 a, 1.1 b, 1.1 c' }) as Response;
  assert.equal(far.status, 508);
  assert.equal(((await far.json()) as { message: string }).message, 'the request passed 3 or more hops (Via)');
  assert.deepEqual(rejected, [['f', 'loop_detected'], [undefined, 'loop_detected']]);
  assert.deepEqual(seen, [], 'the route never saw them');
});

test('the mark a request sent on to a gateway carries: the one it came with, then this node', () => {
  assert.equal(markForwarded(null, 'gw-a'), 'gw-a');
  assert.equal(markForwarded('', 'gw-a'), 'gw-a');
  assert.equal(markForwarded('gw-c', 'gw-a'), 'gw-c, gw-a');
});
