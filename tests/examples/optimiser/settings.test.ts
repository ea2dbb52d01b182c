import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseSettings } from '../../../examples/optimiser/settings.ts';

const ENV = { eb_go_lb_etcd_host: 'http://10.0.0.1:2379, 10.0.0.2:2379', eb_go_lb_zone: 'zone-a' };

test('defaults: every 10 s, window 45 s, scaling 2.5, threshold 10 %, writing', () => {
  const r = parseSettings(ENV, []);
  assert.deepEqual(r, {
    ok: true,
    settings: { etcdHosts: ['10.0.0.1:2379', '10.0.0.2:2379'], zone: 'zone-a', intervalMs: 10_000, windowMs: 45_000, scaling: 2.5, threshold: 0.1, dryRun: false, once: false },
  });
});

test('flags win over variables', () => {
  const env = { ...ENV, eb_go_lb_optimiser_interval: '2s', eb_go_lb_optimiser_scaling: '3', eb_go_lb_optimiser_dry_run: 'true' };
  const r = parseSettings(env, ['--interval', '500ms', '--window=1m', '--threshold', '5%', '--once']);
  assert.ok(r.ok);
  assert.deepEqual(
    { ...r.settings, etcdHosts: undefined, zone: undefined },
    { etcdHosts: undefined, zone: undefined, intervalMs: 500, windowMs: 60_000, scaling: 3, threshold: 0.05, dryRun: true, once: true },
  );
});

for (const [what, env, argv, problem] of [
  ['no etcd', { eb_go_lb_zone: 'z' }, [], /^eb_go_lb_etcd_host: required/],
  ['no zone', { eb_go_lb_etcd_host: '127.0.0.1:2379' }, [], /^eb_go_lb_zone: required/],
  ['a bad scaling', ENV, ['--scaling', '0'], /^--scaling: expected a number > 0 .*got "0"/],
  ['a bad variable', { ...ENV, eb_go_lb_optimiser_window: 'soon' }, [], /^eb_go_lb_optimiser_window: expected seconds/],
  ['a negative threshold', ENV, ['--threshold=-1'], /^--threshold: expected a percentage/],
  ['an unknown flag', ENV, ['--fast'], /^--fast: unknown argument/],
  ['a flag without its value', ENV, ['--interval'], /^--interval: a value is missing/],
] as const) {
  test(`refused: ${what}, with one line naming the setting`, () => {
    const r = parseSettings(env, argv);
    assert.equal(r.ok, false);
    if (!r.ok) assert.match(r.problem, problem);
  });
}
