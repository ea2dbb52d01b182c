/**
 * The example optimiser against a real etcd: fake load reports of two
 * gateways under `golb/load/<zone>/`, a function value under
 * `golb/function/<zone>/`, one round (`npm run optimiser -- --once`), and the
 * value it left in etcd.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { promisify } from 'node:util';
import { ROOT, freePort } from '../../support/harness.ts';
import { putKey, sharedEtcd, uniqueZone, waitLog } from '../../support/etcd-harness.ts';
import { waitForExit } from '../../support/wait.ts';
import { report } from './report-fixture.ts';

let etcd: Awaited<ReturnType<typeof sharedEtcd>>;
before(async () => {
  etcd = await sharedEtcd();
});
after(() => etcd.release());

const TIME = '2026-12-07T10:00:00.000Z';

/** Runs one round in `zone`; resolves its exit code and output. */
async function once(zone: string, ...flags: string[]): Promise<{ code: number; output: string }> {
  const env = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', NO_COLOR: '1', eb_go_lb_etcd_host: etcd.hostSetting, eb_go_lb_zone: zone };
  try {
    const { stdout, stderr } = await promisify(execFile)('npm', ['run', '-s', 'optimiser', '--', '--once', ...flags], { cwd: ROOT, env, timeout: 60_000 });
    return { code: 0, output: stdout + stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: e.code ?? -1, output: `${e.stdout ?? ''}${e.stderr ?? ''}` };
  }
}

/** The value at `key` and its mod revision. */
async function read(key: string): Promise<{ value: Record<string, unknown>; revision: number }> {
  const out = JSON.parse(await etcd.etcdctl(['get', '-w', 'json', key])) as { kvs: { value: string; mod_revision: number }[] };
  const kv = out.kvs[0]!;
  return { value: JSON.parse(Buffer.from(kv.value, 'base64').toString()) as Record<string, unknown>, revision: Number(kv.mod_revision) };
}

test("one round merges two gateways' reports and writes least-response-time weights, keeping ips and extra fields", async () => {
  const zone = uniqueZone('optimiser');
  const key = `golb/function/${zone}/resnet`;
  // ips as an operator writes them: 10.0.0.2 is 10.0.0.2:80 in the reports.
  await putKey(etcd.etcdctl, key, JSON.stringify({ ips: ['10.0.0.1:8080', '10.0.0.2', '10.0.0.3:8080'], weights: [1, 1, 1], strategy: 'wrr', owner: 'ops' }));
  // gw-1 sends 90 requests to .1 at 10 ms and 20 to .2 at 20 ms; gw-2 sends 10 to .1 at 50 ms. Nobody sends to .3.
  await putKey(etcd.etcdctl, `golb/load/${zone}/gw-1`, JSON.stringify(report(zone, 'gw-1', TIME, { resnet: { '10.0.0.1:8080': [90, 10], '10.0.0.2:80': [20, 20] } })));
  await putKey(etcd.etcdctl, `golb/load/${zone}/gw-2`, JSON.stringify(report(zone, 'gw-2', TIME, { resnet: { '10.0.0.1:8080': [10, 50] } })));

  const run = await once(zone);
  assert.equal(run.code, 0, run.output);
  const { value, revision } = await read(key);
  // .1: (90 × 10 + 10 × 50) / 100 = 14 ms, the fastest: 100; .2: 100 / (20 / 14)^2.5 = 40.996, 41 to 2 decimals; .3 keeps its weight.
  assert.deepEqual(value, { ips: ['10.0.0.1:8080', '10.0.0.2', '10.0.0.3:8080'], weights: [100, 41, 1], strategy: 'wrr', owner: 'ops' });
  const lines = run.output.trim().split('\n');
  assert.equal(lines.length, 1, run.output);
  assert.match(lines[0]!, /INFO\s+weights written function=resnet old=\[1,1,1\] new=\[100,41,1\] revision=\d+/);

  // The same reports again: nothing moves by more than 10 %, nothing is written.
  const again = await once(zone);
  assert.equal(again.code, 0, again.output);
  assert.equal((await read(key)).revision, revision);
  assert.equal(again.output, '');
});

test('a split report is used once all its parts are in; --dry-run prints the value instead of writing it', async () => {
  const zone = uniqueZone('optimiser');
  const key = `golb/function/${zone}/f`;
  const written = await putKey(etcd.etcdctl, key, JSON.stringify({ ips: ['10.0.0.1:80', '10.0.0.2:80'], weights: [1, 1] }));
  const part0 = report(zone, 'gw-1', TIME, { f: { '10.0.0.1:80': [50, 10] } }, { index: 0, count: 2 });
  const part1 = report(zone, 'gw-1', TIME, { f: { '10.0.0.2:80': [50, 20] } }, { index: 1, count: 2 });
  await putKey(etcd.etcdctl, `golb/load/${zone}/gw-1/0`, JSON.stringify(part0));
  const half = await once(zone, '--dry-run');
  assert.equal(half.output, '', 'one part of two: not used yet');

  await putKey(etcd.etcdctl, `golb/load/${zone}/gw-1/1`, JSON.stringify(part1));
  const dry = await once(zone, '--dry-run');
  assert.equal(dry.code, 0, dry.output);
  assert.match(dry.output, /dry run: weights not written function=f old=\[1,1\] new=\[100,17\.68\]/);
  assert.equal((await read(key)).revision, written, 'nothing written');

  assert.equal((await once(zone)).code, 0);
  assert.deepEqual((await read(key)).value.weights, [100, 17.68]);
});

test('a function without a value, and a report that is not one, are skipped; the rest still runs', async () => {
  const zone = uniqueZone('optimiser');
  await putKey(etcd.etcdctl, `golb/load/${zone}/gw-1`, JSON.stringify(report(zone, 'gw-1', TIME, { pooled: { '10.0.0.1:80': [5, 5] } })));
  await putKey(etcd.etcdctl, `golb/load/${zone}/gw-2`, '{"schema": 2}');
  const run = await once(zone);
  assert.equal(run.code, 0, run.output);
  assert.match(run.output, /WARN\s+load report skipped key=golb\/load\/.*\/gw-2 reason="schema 2, this optimiser reads 1"/);
  assert.doesNotMatch(run.output, /weights written/);
});

test('an unreachable etcd fails the round: exit 1 with the reason; a bad setting exits 2 naming it', async () => {
  const zone = uniqueZone('optimiser');
  const env = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', eb_go_lb_zone: zone, eb_go_lb_etcd_host: etcd.hostSetting };
  const closed = await freePort();
  const down = await promisify(execFile)(process.execPath, ['--import', 'tsx', 'examples/optimiser/main.ts', '--once'], { cwd: ROOT, env: { ...env, eb_go_lb_etcd_host: `127.0.0.1:${closed}` } }).catch((e: { code: number; stderr: string }) => e);
  assert.equal((down as { code: number }).code, 1);
  assert.match((down as { stderr: string }).stderr, new RegExp(`WARN\\s+round failed error=.*ECONNREFUSED 127\\.0\\.0\\.1:${closed}`));
  const bad = await promisify(execFile)(process.execPath, ['--import', 'tsx', 'examples/optimiser/main.ts', '--threshold', 'lots'], { cwd: ROOT, env }).catch((e: { code: number; stderr: string }) => e);
  assert.equal((bad as { code: number }).code, 2);
  assert.equal((bad as { stderr: string }).stderr, 'optimiser: --threshold: expected a percentage ≥ 0 (e.g. 10 or 10%), got "lots"\n');
});

test('running, it follows new reports round after round, and stops on SIGTERM', async () => {
  const zone = uniqueZone('optimiser');
  const key = `golb/function/${zone}/f`;
  await putKey(etcd.etcdctl, key, JSON.stringify({ ips: ['10.0.0.1:80', '10.0.0.2:80'], weights: [1, 1] }));
  await putKey(etcd.etcdctl, `golb/load/${zone}/gw-1`, JSON.stringify(report(zone, 'gw-1', TIME, { f: { '10.0.0.1:80': [50, 10], '10.0.0.2:80': [50, 20] } })));
  const env = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', eb_go_lb_etcd_host: etcd.hostSetting, eb_go_lb_zone: zone };
  const proc = spawn(process.execPath, ['--import', 'tsx', 'examples/optimiser/main.ts', '--interval', '200ms'], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  proc.stdout.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr.on('data', (d: Buffer) => (out += d.toString()));
  try {
    await waitLog(() => out, /optimiser started zone=\S+ .*interval=0\.2s window=45s scaling=2\.5 thresholdPercent=10 dryRun=false/, 20_000);
    await waitLog(() => out, /weights written function=f old=\[1,1\] new=\[100,17\.68\]/, 20_000);
    // 45 s later .2 answers in 2 ms: its average moves by α = 1 − e^−1 from 20 to 8.62 ms, now the fastest; .1 stays at 10 ms.
    const later = new Date(Date.parse(TIME) + 45_000).toISOString();
    await putKey(etcd.etcdctl, `golb/load/${zone}/gw-1`, JSON.stringify(report(zone, 'gw-1', later, { f: { '10.0.0.1:80': [50, 10], '10.0.0.2:80': [50, 2] } })));
    await waitLog(() => out, /weights written function=f old=\[100,17\.68\] new=\[69\.02,100\]/, 20_000);
    assert.deepEqual((await read(key)).value.weights, [69.02, 100]);
  } finally {
    proc.kill('SIGTERM');
    await waitForExit(proc, 10_000);
  }
  assert.equal(proc.exitCode, 0, out);
  assert.equal(out.trim().split('\n').length, 3, out);
});
