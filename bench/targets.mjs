/**
 * What the bench runs: the upstream nginx, nginx and HAProxy as reference
 * proxies, and golb on Bun, Deno and Node — how each is configured from the
 * templates in bench/conf/, on which free loopback port, and how it is
 * started and known to be ready.
 * @module
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePorts } from '../scripts/free-port.mjs';
import { golbCommand } from './golb-command.mjs';
import { startProcess, waitReady } from './procs.mjs';

/** Every target, in the order they are measured in the first round. */
export const TARGET_NAMES = ['upstream', 'nginx', 'haproxy', 'golb-bun', 'golb-deno', 'golb-node'];

/** The function name golb, nginx and HAProxy route. */
export const FUNCTION = 'fn';
/** golb's function for the upload sink (extras.mjs). */
export const SINK_FUNCTION = 'sink';

const NGINX = '/usr/sbin/nginx';
const HAPROXY = '/usr/sbin/haproxy';
const WRK = '/usr/bin/wrk';
export const TOOLS = { nginx: NGINX, haproxy: HAPROXY, wrk: WRK };

/** Installs Debian's nginx, haproxy and wrk when one is missing (`apt-get update` only if the install fails). */
export function ensureTools() {
  if (Object.values(TOOLS).every((p) => existsSync(p))) return;
  const install = () => spawnSync('apt-get', ['install', '-y', 'nginx', 'haproxy', 'wrk'], { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  console.log('bench: installing nginx, haproxy and wrk from Debian');
  let r = install();
  if (r.status !== 0) {
    spawnSync('apt-get', ['update'], { stdio: 'inherit' });
    r = install();
  }
  const missing = Object.values(TOOLS).filter((p) => !existsSync(p));
  if (r.status !== 0 || missing.length > 0) throw new Error(`could not install nginx, haproxy and wrk (missing: ${missing.join(', ') || 'none'}); run apt-get install -y nginx haproxy wrk as root`);
}

/** Fills `{{NAME}}` placeholders of a template in bench/conf/ and writes it into `tmp`. */
function renderConf(benchDir, tmp, template, values) {
  const text = readFileSync(join(benchDir, 'conf', template), 'utf8').replace(/\{\{([A-Z_]+)\}\}/g, (m, key) => {
    if (!(key in values)) throw new Error(`bench/conf/${template}: no value for ${m}`);
    return String(values[key]);
  });
  const out = join(tmp, template);
  writeFileSync(out, text);
  return out;
}

/**
 * The start command of each target. `direct` marks the upstream itself: it
 * answers any path unchanged, so the rewrite checks do not apply to it.
 */
function specs({ root, benchDir, tmp, ports }) {
  const upstreamPort = ports.upstream;
  const proxied = `/function/${FUNCTION}/`;
  const nginx = (name, template, port, readyPath) => {
    const conf = renderConf(benchDir, tmp, template, { TMP: tmp, PORT: port, UPSTREAM_PORT: upstreamPort });
    return { cmd: NGINX, args: ['-p', `${tmp}/`, '-e', join(tmp, `${name}.startup.log`), '-c', conf, '-g', 'daemon off;'], readyPath };
  };
  const golbDir = join(tmp, 'golb');
  mkdirSync(golbDir, { recursive: true });
  const weights = join(golbDir, 'weights.json');
  // `sink`: the upload sink that extras.mjs runs in the bench process.
  writeFileSync(weights, JSON.stringify({ [FUNCTION]: { ips: [`127.0.0.1:${upstreamPort}`], weights: [1] }, [SINK_FUNCTION]: { ips: [`127.0.0.1:${ports.sink}`], weights: [1] } }));
  const golbEnv = (port) => ({
    eb_go_lb_listen_host: '127.0.0.1',
    eb_go_lb_listen_port: String(port),
    eb_go_lb_weights_file: weights,
    eb_go_lb_mode: 'prod',
    eb_go_lb_node_name: 'bench',
    // Stopping waits for requests in flight; there are none once wrk is done.
    eb_go_lb_drain_timeout: '2s',
    // The streaming measurement uploads more than the 128m default limit.
    eb_go_lb_max_body_size: '4g',
    NO_COLOR: '1',
  });
  const golb = (port, runtime) => {
    const [cmd, ...args] = golbCommand(runtime);
    return { cmd, args, env: golbEnv(port), readyPath: '/readyz', cwd: root };
  };
  return {
    upstream: { ...nginx('upstream', 'upstream.conf', upstreamPort, '/'), direct: true },
    nginx: nginx('nginx-proxy', 'nginx-proxy.conf', ports.nginx, proxied),
    haproxy: { cmd: HAPROXY, args: ['-db', '-f', renderConf(benchDir, tmp, 'haproxy.cfg', { PORT: ports.haproxy, UPSTREAM_PORT: upstreamPort })], readyPath: proxied },
    'golb-bun': golb(ports['golb-bun'], 'bun'),
    'golb-deno': golb(ports['golb-deno'], 'deno'),
    'golb-node': golb(ports['golb-node'], 'node'),
  };
}

/**
 * Starts the upstream and the `selected` targets, each on a free port with its
 * output in `logDir/<name>.log`, and waits until all answer. Returns
 * `{ upstream, targets }`, the targets in `selected` order, each
 * `{ name, port, proc, direct }`.
 */
export async function startTargets({ root, benchDir, tmp, logDir, selected }) {
  const names = ['upstream', ...selected.filter((n) => n !== 'upstream')];
  const free = await freePorts(names.length + 1);
  const ports = Object.fromEntries(names.map((n, i) => [n, free[i]]));
  ports.sink = free[names.length];
  const all = specs({ root, benchDir, tmp, ports });
  const started = new Map();
  const start = (name) => {
    const s = all[name];
    const proc = startProcess(name, s.cmd, s.args, { cwd: s.cwd ?? tmp, env: s.env ?? {}, log: join(logDir, `${name}.log`) });
    const target = { name, port: ports[name], proc, direct: s.direct === true };
    started.set(name, target);
    // Deno compiles golb's TypeScript on its first start: allow for it.
    return waitReady(proc, target.port, s.readyPath, 60_000);
  };
  await start('upstream');
  await Promise.all(names.filter((n) => n !== 'upstream').map(start));
  return { upstream: started.get('upstream'), targets: selected.map((n) => started.get(n)), sinkPort: ports.sink };
}

/** One line per tool and runtime: what produced the numbers. */
export function versions(root) {
  const first = (cmd, args) => {
    const r = spawnSync(cmd, args, { encoding: 'utf8', cwd: root });
    return `${r.stdout ?? ''}${r.stderr ?? ''}`.trim().split('\n')[0] ?? '?';
  };
  const git = spawnSync('git', ['-C', root, 'describe', '--always', '--dirty'], { encoding: 'utf8' }).stdout.trim();
  return [
    `golb ${git || '?'}`,
    `bun ${first(join(root, 'node_modules/.bin/bun'), ['--version'])}`,
    first(join(root, 'node_modules/deno/deno'), ['--version']),
    `node ${process.version}`,
    first(NGINX, ['-v']),
    first(HAPROXY, ['-v']),
    first(WRK, ['-v']),
  ];
}
