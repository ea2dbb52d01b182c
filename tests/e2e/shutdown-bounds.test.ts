/**
 * What bounds golb's stop, on Bun, Deno and Node, from a black-box attack:
 * a weights file swapped for a FIFO never hangs a reload or the stop; the
 * drain timeout cuts a request in flight, golb logs it as cut by the
 * shutdown (not by the client) and exits 0 (Deno crashed closing its
 * listener twice); a half-sent request head does not hold the drain; and
 * signals sent while golb is still loading neither kill it (SIGHUP, SIGUSR1,
 * SIGUSR2) nor keep it from stopping with exit 0 (SIGTERM).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RUNTIMES, startBackend, startGolb, type Backend, type GolbProcess } from '../support/harness.ts';
import { waitForExit, waitUntil } from '../support/wait.ts';

/** Generous: the machine is shared and loaded. */
const EXIT_MS = 8000;

/** Whether the process `pid` catches SIGHUP (bit 1 of SigCgt in /proc/<pid>/status): its handlers are in. */
function catchesHangUp(pid: number): boolean {
  try {
    const mask = /SigCgt:\s*([0-9a-f]+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return mask !== undefined && (BigInt(`0x${mask}`) & 1n) === 1n;
  } catch {
    return false;
  }
}

/** A connection that stays open until closed by the test or by golb; `closed` resolves with what it received when golb closed it. */
function openConnection(port: number, bytes: string): { sock: Socket; received: () => string; closed: Promise<string> } {
  const sock = connect(port, '127.0.0.1');
  let out = '';
  sock.on('data', (d) => (out += d.toString('latin1')));
  sock.on('error', () => undefined);
  const closed = new Promise<string>((resolve) => sock.on('close', () => resolve(out)));
  sock.write(bytes);
  return { sock, received: () => out, closed };
}

/** Kills a golb a failed test left running. */
function reap(golb: GolbProcess | undefined): void {
  if (golb !== undefined && golb.proc.exitCode === null && golb.proc.signalCode === null) golb.proc.kill('SIGKILL');
}

for (const runtime of RUNTIMES) {
  describe(`the weights file swapped for a FIFO on ${runtime}`, () => {
    let backend: Backend;
    let golb: GolbProcess | undefined;
    let dir: string;
    before(async () => {
      backend = await startBackend((_req, res) => res.end('ok'));
    });
    after(async () => {
      reap(golb);
      await backend.close();
      rmSync(dir, { recursive: true, force: true });
    });

    test('is refused with a warning, the table kept; SIGHUP then SIGTERM: golb stops, exit 0', async () => {
      dir = mkdtempSync(join(tmpdir(), `golb-fifo-${runtime}-`));
      mkdirSync(join(dir, 'data'));
      const real = join(dir, 'data', 'weights.json');
      writeFileSync(real, JSON.stringify({ fn: { ips: [backend.address], weights: [1] } }));
      const given = join(dir, 'weights.json');
      symlinkSync(real, given);
      golb = await startGolb(runtime, { env: { eb_go_lb_weights_file: given, eb_go_lb_drain_timeout: '3s' } });
      // The link now points at a FIFO no one writes to: a plain read would wait for ever.
      const fifo = join(dir, 'data', 'pipe');
      execFileSync('mkfifo', [fifo]);
      symlinkSync(fifo, join(dir, 'next'));
      renameSync(join(dir, 'next'), given);
      golb.proc.kill('SIGHUP');
      const readyz = await waitUntil('the FIFO is refused with a warning', EXIT_MS, async () => {
        const body = (await (await fetch(`${golb!.url}/readyz`)).json()) as { status: string; warnings?: { code: string; message: string }[] };
        return body.warnings?.some((w) => w.code === 'weights_file_invalid') === true ? body : undefined;
      });
      assert.equal(readyz.status, 'ready');
      assert.match(JSON.stringify(readyz.warnings), /is not a regular file \(a named pipe \(FIFO\)\)/);
      assert.equal(await (await fetch(`${golb.url}/function/fn/`)).text(), 'ok', 'the table is kept');
      await waitUntil('the reload is over', EXIT_MS, () => (/INFO  reloaded signal=SIGHUP/.test(golb!.output()) ? true : undefined));
      const killedAt = Date.now();
      golb.proc.kill('SIGTERM');
      assert.deepEqual(await waitForExit(golb.proc, EXIT_MS), { code: 0, signal: null }, golb.output());
      assert.ok(Date.now() - killedAt < EXIT_MS);
      assert.match(golb.output(), /INFO  stopped/);
    });
  });

  describe(`the drain timeout with a request in flight on ${runtime}`, () => {
    let slow: Backend;
    let golb: GolbProcess | undefined;
    let received = false;
    before(async () => {
      slow = await startBackend((_req, res) => {
        received = true;
        setTimeout(() => res.end('late'), 3000);
      });
      golb = await startGolb(runtime, {
        weights: { slow: { ips: [slow.address], weights: [1] } },
        env: { eb_go_lb_drain_timeout: '1s', eb_go_lb_access_log: 'true' },
      });
    });
    after(async () => {
      reap(golb);
      await slow.close();
    });

    test('cuts it, logs it at WARN as cut by the shutdown (503 shutdown, not the client 499), logs stopped and exits 0', async () => {
      const { closed } = openConnection(golb!.port, 'GET /function/slow/ HTTP/1.1\r\nHost: golb\r\n\r\n');
      await waitUntil('the backend holds the request', EXIT_MS, () => (received ? true : undefined));
      golb!.proc.kill('SIGTERM');
      assert.equal(await closed, '', 'the client saw its connection close, no answer');
      assert.deepEqual(await waitForExit(golb!.proc, EXIT_MS), { code: 0, signal: null }, golb!.output());
      const out = golb!.output();
      assert.match(out, /WARN  drain timeout reached/);
      assert.match(out, /WARN  request cut by the shutdown.*function=slow/);
      assert.match(out, /INFO  access.*status=503.*cutBy=shutdown/);
      assert.doesNotMatch(out, /request ended by the client/);
      assert.doesNotMatch(out, /status=499/);
      assert.doesNotMatch(out, /BadResource|Uncaught/);
      assert.match(out, /INFO  stopped/);
    });
  });

  describe(`a half-sent request head at shutdown on ${runtime}`, () => {
    let golb: GolbProcess | undefined;
    before(async () => {
      golb = await startGolb(runtime, { weights: {}, env: { eb_go_lb_drain_timeout: '30s' } });
    });
    after(() => reap(golb));

    test('is idle: its connection closes at once and golb exits long before the drain timeout', async () => {
      const idle = openConnection(golb!.port, 'GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n');
      const half = openConnection(golb!.port, 'GET / HTTP/1.1\r\nHost: x\r\n');
      await waitUntil('the keep-alive connection is answered', EXIT_MS, () => (/\r\n\r\n/.test(idle.received()) ? true : undefined));
      // No answer says golb has read the partial head; give it a moment (without it, the test could pass on a connection golb had read nothing of).
      await new Promise((r) => setTimeout(r, 300));
      const killedAt = Date.now();
      golb!.proc.kill('SIGTERM');
      assert.deepEqual(await waitForExit(golb!.proc, EXIT_MS), { code: 0, signal: null }, golb!.output());
      assert.ok(Date.now() - killedAt < EXIT_MS, 'well before the 30 s drain timeout');
      assert.equal(await half.closed, '', 'the half-sent head gets no answer: its connection closes');
      assert.doesNotMatch(golb!.output(), /drain timeout reached/);
    });
  });

  describe(`signals while golb loads on ${runtime}`, () => {
    let golb: GolbProcess | undefined;
    after(() => reap(golb));

    test('SIGHUP, SIGUSR1 and SIGUSR2 from the first moment golb handles signals do not kill it; it starts and serves', async () => {
      golb = await startGolb(runtime, { weights: {}, waitReady: false });
      const pid = golb.proc.pid!;
      await waitUntil('golb handles SIGHUP', EXIT_MS, () => (catchesHangUp(pid) || golb!.proc.exitCode !== null ? true : undefined));
      let beforeStarting = 0;
      const signals = ['SIGHUP', 'SIGUSR1', 'SIGUSR2'] as const;
      for (let i = 0; golb.proc.exitCode === null && golb.proc.signalCode === null; i++) {
        const starting = golb.output().includes('golb starting');
        golb.proc.kill(signals[i % 3]!);
        if (!starting) beforeStarting++;
        if (starting && /listening/.test(golb.output())) break;
        await new Promise((r) => setTimeout(r, 5));
      }
      if (golb.proc.signalCode !== null) await waitForExit(golb.proc, EXIT_MS);
      assert.equal(golb.proc.signalCode, null, `golb was killed by a signal:\n${golb.output()}`);
      assert.equal(golb.proc.exitCode, null, golb.output());
      // The handlers are in while golb is still loading, long before it logs its start.
      assert.ok(beforeStarting >= 3, `signals sent while golb loaded: ${beforeStarting}`);
      await waitUntil('/readyz 200', EXIT_MS, async () => ((await fetch(`${golb!.url}/readyz`)).status === 200 ? true : undefined));
      await waitUntil('the SIGHUP that came early is reloaded', EXIT_MS, () => (/INFO  reloaded signal=SIGHUP/.test(golb!.output()) ? true : undefined));
      assert.equal(await golb.stop(), 0);
    });

    test('SIGTERM while golb loads stops it with exit 0', async () => {
      golb = await startGolb(runtime, { weights: {}, waitReady: false });
      const pid = golb.proc.pid!;
      await waitUntil('golb handles signals', EXIT_MS, () => (catchesHangUp(pid) || golb!.proc.exitCode !== null ? true : undefined));
      golb.proc.kill('SIGTERM');
      // (Deno may deliver it only once golb listens; then the stop drains nothing.)
      assert.deepEqual(await waitForExit(golb.proc, EXIT_MS), { code: 0, signal: null }, golb.output());
    });
  });
}
