import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readiness } from '../../routes/probes.ts';
import type { AppDeps } from '../../app/deps.ts';

/** Probe inputs: a source that is or is not loaded, and discovery that has or has not listed. */
function deps(loaded: boolean, listedAt: number | undefined | 'none'): Pick<AppDeps, 'source' | 'table' | 'discovery' | 'shutdown'> {
  const stats = { namespace: 'fn', labelSelector: 'app=fn', podsSeen: 0, podsReady: 0, lastEventAt: listedAt === 'none' ? undefined : listedAt, relists: 0, watches: 0, errors: 3 };
  return {
    source: { kind: 'embedded', ready: loaded } as unknown as AppDeps['source'],
    table: { size: 0 } as unknown as AppDeps['table'],
    discovery: listedAt === 'none' ? undefined : { stats: () => stats },
  };
}

test('/readyz: ready once the source is loaded; with discovery, only once the pods were listed', () => {
  const status = (d: ReturnType<typeof deps>) => {
    const a = readiness(d);
    return [a.status, (JSON.parse(a.body) as { status: string }).status];
  };
  assert.deepEqual(status(deps(false, 'none')), [503, 'loading']);
  assert.deepEqual(status(deps(true, 'none')), [200, 'ready']);
  assert.deepEqual(status(deps(true, undefined)), [503, 'discovering'], 'an API server never reached (wrong CA, bad selector) keeps golb out of the Service');
  assert.deepEqual(status(deps(true, 1_700_000_000_000)), [200, 'ready']);
  assert.deepEqual(status(deps(false, 1_700_000_000_000)), [503, 'loading']);
});

test('/readyz: 503 stopping from the first SIGTERM on, whatever else holds', () => {
  const d = { ...deps(true, 'none'), shutdown: { stopping: false } };
  assert.equal(readiness(d).status, 200);
  d.shutdown.stopping = true;
  const a = readiness(d);
  assert.deepEqual([a.status, (JSON.parse(a.body) as { status: string }).status], [503, 'stopping']);
});
