#!/usr/bin/env node
// `npm start`: golb on Bun (the main target, from node_modules/.bin/bun) with a
// demo function `hello`, so a fresh machine with only Node and npm answers
// `curl localhost:8080/function/hello/` right after `npm install`.
//
// The demo backend (app/demo/hello-backend.mjs) runs in this process on
// 127.0.0.1:8090 (GOLB_DEMO_PORT changes it); golb runs as a child with
// app/demo/weights.json as its weights file. golb's own settings still apply:
// eb_go_lb_* variables, and flags after `npm start --`. SIGINT (Ctrl-C) and
// SIGTERM stop golb the graceful way, then the backend; the exit code is golb's.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { constants, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEMO_PORT, startHelloBackend } from '../app/demo/hello-backend.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const say = (line) => process.stderr.write(`start-demo: ${line}\n`);

const portText = process.env.GOLB_DEMO_PORT?.trim() || String(DEMO_PORT);
if (!/^\d{1,5}$/.test(portText) || Number(portText) < 1 || Number(portText) > 65535) {
  say(`GOLB_DEMO_PORT: expected an integer from 1 to 65535, got ${JSON.stringify(portText)}`);
  process.exit(2);
}
const demoPort = Number(portText);

const bun = join(root, 'node_modules/.bin/bun');
if (!existsSync(bun)) {
  say(`Bun is not installed at ${bun}: run npm install first`);
  process.exit(1);
}

let backend;
try {
  backend = await startHelloBackend({ host: '127.0.0.1', port: demoPort });
} catch (err) {
  say(`the demo backend cannot listen on 127.0.0.1:${demoPort} (${err.code ?? err.message}); set GOLB_DEMO_PORT to a free port`);
  process.exit(1);
}

// The shipped weights name the default port; another port gets a copy that names it.
const demoWeights = join(root, 'app/demo/weights.json');
let weightsFile = process.env.eb_go_lb_weights_file?.trim() || demoWeights;
let tempDir;
if (weightsFile === demoWeights && demoPort !== DEMO_PORT) {
  tempDir = mkdtempSync(join(tmpdir(), 'golb-demo-'));
  weightsFile = join(tempDir, 'weights.json');
  const weights = JSON.parse(readFileSync(demoWeights, 'utf8'));
  weights.hello.ips = [backend.address];
  writeFileSync(weightsFile, JSON.stringify(weights, null, 2) + '\n');
}

const listenPort = process.env.eb_go_lb_listen_port?.trim() || '8080';
say(`demo function "hello" → ${backend.address}; weights file ${weightsFile}`);
say(`try: curl http://localhost:${listenPort}/function/hello/`);

const golb = spawn(bun, ['app/main.bun.ts', ...process.argv.slice(2)], {
  cwd: root,
  env: { ...process.env, eb_go_lb_weights_file: weightsFile },
  stdio: 'inherit',
});

// Ctrl-C reaches golb from the terminal too; golb ignores the second signal.
// Either way this process waits for golb to finish draining before it stops the backend.
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    if (golb.exitCode === null && golb.signalCode === null) golb.kill(signal);
  });
}

// `kill <npm's pid>` stops npm and its `sh -c` without passing the signal on,
// which would leave golb and the backend holding their ports: a changed parent
// means ours is gone, and is taken as SIGTERM.
const parent = process.ppid;
const orphanCheck = setInterval(() => {
  if (process.ppid === parent) return;
  clearInterval(orphanCheck);
  say('parent process gone; stopping');
  process.kill(process.pid, 'SIGTERM');
}, 500);
orphanCheck.unref();

golb.on('error', (err) => {
  say(`cannot start golb: ${err.message}`);
  void stop(1);
});
golb.on('exit', (code, signal) => {
  void stop(code ?? 128 + (constants.signals[signal] ?? 0));
});

let stopping = false;
/** Stops the backend, removes a generated weights file, exits with `code`. */
async function stop(code) {
  if (stopping) return;
  stopping = true;
  await backend.close();
  if (tempDir !== undefined) rmSync(tempDir, { recursive: true, force: true });
  process.exit(code);
}
