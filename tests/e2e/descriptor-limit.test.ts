/**
 * golb under a small descriptor limit (128, soft and hard), on each runtime:
 * the attack finding in miniature. A flood of idle connections larger than
 * the limit, with the cap left to its default (derived from the limit), fills
 * the cap and no more: golb keeps descriptors for the rest (a rewritten
 * weights file is still read), stays idle and serves again afterwards. With
 * a cap set above the limit, accepts fail (EMFILE): on Node and Deno golb
 * neither crashes nor spins, and recovers.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { RUNTIMES, freePort, startBackend, startGolb, type Backend, type GolbProcess } from '../support/harness.ts';
import { rawExchange } from '../support/raw-http.ts';
import { waitUntil } from '../support/wait.ts';
import { cpuSeconds } from '../support/process-figures.ts';

/** golb's descriptor limit. */
const OPEN_FILES = 128;
/** The default cap for it with a management listener: (128 - 128 / 4) / 3, `autoMaxConnections`. */
const DERIVED_CAP = 32;
/** Idle connections of the flood: more than the limit. */
const FLOOD = 200;
/** The shortest window over which golb's CPU is measured. */
const CPU_WINDOW_MS = 2_000;
/** Generous waits: other suites run on the same two cores. */
const WAIT_MS = 20_000;


/** `n` idle connections, held until `release`; `closedByGolb` counts those golb closed. */
async function flood(port: number, n: number): Promise<{ closedByGolb(): number; release(): void }> {
  let closed = 0;
  const sockets: Socket[] = [];
  await Promise.all(
    Array.from({ length: n }, () => {
      const s = connect(port, '127.0.0.1');
      sockets.push(s);
      s.on('end', () => closed++);
      s.on('error', () => undefined);
      return new Promise<void>((resolve) => {
        s.once('connect', () => resolve());
        s.once('close', () => resolve());
      });
    }),
  );
  return {
    closedByGolb: () => closed,
    release: () => {
      for (const s of sockets) s.destroy();
    },
  };
}

/** golb's CPU seconds over at least {@link CPU_WINDOW_MS}, and the window's length in seconds. */
async function cpuOverWindow(pid: number): Promise<{ cpu: number; wall: number }> {
  const startedAt = Date.now();
  const before = cpuSeconds(pid);
  await new Promise((r) => setTimeout(r, CPU_WINDOW_MS));
  return { cpu: cpuSeconds(pid) - before, wall: (Date.now() - startedAt) / 1000 };
}

const get = (path: string): string => `GET ${path} HTTP/1.1\r\nHost: gw\r\nConnection: close\r\n\r\n`;
const entry = (address: string) => ({ ips: [address], weights: [1] });

let backend: Backend;
before(async () => {
  backend = await startBackend();
});
after(async () => {
  await backend.close();
});

describe(`golb with ${OPEN_FILES} descriptors`, { concurrency: true }, () => {
  for (const runtime of RUNTIMES) {
    describe(`on ${runtime}`, () => {
      let golb: GolbProcess;
      let mgmtPort: number;
      before(async () => {
        mgmtPort = await freePort();
        golb = await startGolb(runtime, { weights: { echo: entry(backend.address) }, openFiles: OPEN_FILES, args: ['--mgmt-listen', `127.0.0.1:${mgmtPort}`] });
      });
      after(async () => {
        assert.equal(await golb.stop(), 0);
      });

      test(`a flood of ${FLOOD} idle connections fills the derived cap and no more: the weights file is still read, golb stays idle, and serves again after`, async (t) => {
        assert.match(golb.output(), new RegExp(`connection limit per listener.*maxConnections.{1,3}${DERIVED_CAP}\\b.*descriptorLimit.{1,3}${OPEN_FILES}\\b`));
        const held = await flood(golb.port, FLOOD);
        try {
          await waitUntil('golb closing what is past the cap', WAIT_MS, () => (held.closedByGolb() >= FLOOD - DERIVED_CAP ? true : undefined));
          golb.writeWeights({ echo: entry(backend.address), added: entry(backend.address) });
          await waitUntil('the rewritten weights file read, over the management listener', WAIT_MS, async () => ((await rawExchange(mgmtPort, get('/1/lb/functions/added')))?.status === 200 ? true : undefined));
          const { cpu, wall } = await cpuOverWindow(golb.proc.pid!);
          t.diagnostic(`${runtime}: golb used ${cpu.toFixed(2)} s of CPU in ${wall.toFixed(2)} s with the cap full`);
          assert.ok(cpu < 0.5 * wall, `golb used ${cpu.toFixed(2)} s of CPU in ${wall.toFixed(2)} s with the cap full`);
        } finally {
          held.release();
        }
        await waitUntil('a proxied request after the flood', WAIT_MS, async () => ((await rawExchange(golb.port, get('/function/added/after')))?.status === 200 ? true : undefined));
        assert.doesNotMatch(golb.output(), /EMFILE|too many open files/i);
      });
    });
  }

  /** Why Bun is left out of the EMFILE case. */
  const BUN_SPINS =
    "Bun's listener retries a failed accept at once for as long as the connection waits in the backlog (a core spins); the failure never reaches JavaScript, so golb cannot pause it: the cap is what keeps golb from getting there";
  for (const runtime of RUNTIMES) {
    test(`on ${runtime}, with the cap set above the limit: failed accepts (EMFILE) neither crash golb nor spin, and it serves again after`, { skip: runtime === 'bun' ? BUN_SPINS : false }, async (t) => {
      const g = await startGolb(runtime, { weights: { echo: entry(backend.address) }, openFiles: OPEN_FILES, args: ['--max-connections', '1000'] });
      try {
        assert.match(g.output(), /leaves too few descriptors/, 'the cap above the limit is warned about');
        const held = await flood(g.port, FLOOD);
        try {
          // The weights file is read every second: out of descriptors, that fails.
          await waitUntil('golb out of descriptors', WAIT_MS, () => (/EMFILE/.test(g.output()) ? true : undefined));
          const { cpu, wall } = await cpuOverWindow(g.proc.pid!);
          t.diagnostic(`${runtime}: golb used ${cpu.toFixed(2)} s of CPU in ${wall.toFixed(2)} s out of descriptors`);
          assert.ok(cpu < 0.5 * wall, `golb used ${cpu.toFixed(2)} s of CPU in ${wall.toFixed(2)} s out of descriptors`);
        } finally {
          held.release();
        }
        await waitUntil('a proxied request after the flood', WAIT_MS, async () => ((await rawExchange(g.port, get('/function/echo/after')))?.status === 200 ? true : undefined));
        assert.equal(g.proc.exitCode, null, 'golb still runs');
      } finally {
        assert.equal(await g.stop(), 0);
      }
    });
  }
});
