/**
 * The pod follower against a scripted API server: list then watch from the
 * list's resourceVersion with bookmarks and a timeout; a watch that ends is
 * reopened from the last event; a 410 ERROR event relists and drops what
 * vanished; a 403 is logged once and retried.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PodFollower } from '../../../app/kubernetes/pod-follower.ts';
import type { PodView } from '../../../app/kubernetes/pod-view.ts';
import type { Logger } from '../../../app/logger.ts';

const pod = (uid: string, rv: string) => ({ metadata: { uid, name: uid, resourceVersion: rv }, status: { podIP: '10.0.0.1', conditions: [{ type: 'Ready', status: 'True' }] } });
const lines = (...events: unknown[]) => events.map((e) => JSON.stringify(e) + '\n').join('');

/** A fetch answering each call with the next scripted response; the last hangs until aborted. */
function scripted(responses: (() => Response)[], urls: string[]) {
  return async (url: string, init: { signal?: AbortSignal }) => {
    urls.push(url);
    const next = responses.shift();
    if (next !== undefined) return next();
    return new Promise<Response>((_, reject) => init.signal?.addEventListener('abort', () => reject(new Error('aborted'))));
  };
}

function logger(sink: string[]): Logger {
  const log = (level: string) => (msg: string) => void sink.push(`${level} ${msg}`);
  return { debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') };
}

test('list, watch, resume from the last event, 410 relists and drops what vanished', async () => {
  const urls: string[] = [];
  const seen: string[][] = [];
  const logs: string[] = [];
  const follower = new PodFollower({
    credentials: { server: 'https://k', tls: { ca: '' }, token: async () => 't', namespace: 'fn', origin: 'test' },
    fetch: scripted([
      () => new Response('forbidden', { status: 403 }),
      () => new Response('forbidden', { status: 403 }),
      () => Response.json({ items: [pod('a', '5')], metadata: { resourceVersion: '10' } }),
      () => new Response(lines({ type: 'ADDED', object: pod('b', '11') }, { type: 'BOOKMARK', object: { metadata: { resourceVersion: '12' } } })),
      () => new Response(lines({ type: 'ERROR', object: { kind: 'Status', code: 410, message: 'too old' } })),
      () => Response.json({ items: [pod('b', '11')], metadata: { resourceVersion: '20' } }),
    ], urls),
    namespace: 'fn',
    labelSelector: 'app=fn',
    naming: undefined,
    logger: logger(logs),
    random: () => 0,
    now: () => 1,
    onChange: (pods: ReadonlyMap<string, PodView>) => seen.push([...pods.keys()].sort()),
    backoffMaxMs: 1,
  });
  follower.start();
  const deadline = Date.now() + 5_000;
  while (urls.length < 7 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
  await follower.close();
  assert.deepEqual(seen, [['a'], ['a', 'b'], ['b']]);
  const q = urls.map((u) => new URL(u).searchParams);
  assert.equal(new URL(urls[0]!).pathname, '/api/v1/namespaces/fn/pods');
  assert.equal(q[0]!.get('labelSelector'), 'app=fn');
  assert.deepEqual([q[3]!.get('watch'), q[3]!.get('resourceVersion'), q[3]!.get('allowWatchBookmarks')], ['1', '10', 'true']);
  assert.ok(Number(q[3]!.get('timeoutSeconds')) > 0);
  assert.equal(q[4]!.get('resourceVersion'), '12', 'resumed from the bookmark');
  assert.equal(q[5]!.get('watch'), null, 'relisted after the 410');
  assert.equal(q[6]!.get('resourceVersion'), '20');
  assert.equal(logs.filter((l) => l.startsWith('error') && l.includes('403')).length, 1, logs.join('\n'));
  assert.match(logs.find((l) => l.includes('403'))!, /get, list and watch on pods in namespace fn/);
  const stats = follower.stats();
  assert.deepEqual([stats.podsSeen, stats.podsReady, stats.relists], [1, 1, 1]);
});
