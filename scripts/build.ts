#!/usr/bin/env bun
/**
 * `npm run build`: golb as self-contained executables (`bun build --compile`
 * through `Bun.build`) that run on a machine without this checkout:
 * - `dist/golb-linux-amd64` and `dist/golb-linux-arm64`, the release binaries
 *   (x86-64 servers; 64-bit ARM boards), named as release-targets.ts says.
 *   Bun cross-compiles: it fetches the other architecture's runtime from the
 *   npm registry once and keeps it in its cache (~/.bun/install/cache).
 * - `dist/golb`, the one for this machine (a copy of the matching release
 *   binary on Linux), which the tests, the benches and the docs run.
 * `bun scripts/build.ts <outfile>` builds only this machine's binary, there.
 *
 * Why not the plain CLI: a compiled binary bakes in each bundled CommonJS
 * module's `__dirname` as the build machine's absolute path, and etcd3 reads `${__dirname}/../proto/rpc.proto` when it is
 * imported, so the binary failed at start anywhere else. The plugin below:
 * - replaces etcd3's `loadSync(<rpc.proto path>, opts)` by `fromJSON(<the same
 *   protos as a protobufjs JSON descriptor, made here at build time>, opts)`;
 * - rewrites every other `__dirname` in bundled packages (grpc-js's channelz
 *   and ORCA loaders, which golb never calls) to a relative path, so no build
 *   path is left in the binary.
 * The build fails when a pattern it rewrites is not found (a dependency
 * changed) or when the build path still occurs in the output.
 *
 * Each binary is written beside its final name and renamed into place, so a
 * test running `dist/golb` while another build runs sees the old file or the
 * new one, never half of one.
 * @module
 */
import { copyFileSync, mkdirSync, readFileSync, renameSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import protobuf from 'protobufjs';
import { RELEASE_TARGETS, hostReleaseTarget, releaseBinaryName } from './release-targets.ts';

const ROOT = resolve(import.meta.dir, '..');
const DIST = join(ROOT, 'dist');
const ENTRY = join(ROOT, 'app/main.bun.ts');

/** etcd3's gRPC definitions as a protobufjs JSON descriptor (keepCase, as etcd3 loads them). */
function etcdProtoJson(): string {
  const file = join(ROOT, 'node_modules/etcd3/proto/rpc.proto');
  const root = new protobuf.Root().loadSync(file, { keepCase: true });
  root.resolveAll();
  return JSON.stringify(root.toJSON());
}

const ETCD_LOAD = /\(0, proto_loader_1\.loadSync\)\(`\$\{__dirname\}\/\.\.\/proto\/rpc\.proto`, \{/;

/** The plugin that leaves no build path in the bundle (see the module comment). */
function noBuildPaths(etcdProtos: string): Bun.BunPlugin {
  return {
    name: 'no-build-paths',
    setup(build) {
      build.onLoad({ filter: /[\\/]node_modules[\\/].*\.js$/ }, (args) => {
        const text = readFileSync(args.path, 'utf8');
        if (!text.includes('__dirname')) return undefined;
        let contents = text;
        if (/[\\/]etcd3[\\/]lib[\\/]connection-pool\.js$/.test(args.path)) {
          if (!ETCD_LOAD.test(contents)) throw new Error(`build: etcd3's rpc.proto loading changed in ${args.path}; update scripts/build.ts`);
          contents = contents.replace(ETCD_LOAD, `(0, proto_loader_1.fromJSON)(${etcdProtos}, {`);
        }
        const rel = JSON.stringify(relative(ROOT, resolve(args.path, '..')));
        contents = contents.replace(/\b__dirname\b/g, rel);
        return { contents, loader: 'js' };
      });
    },
  };
}

/** Compiles golb for `target` (this machine's runtime when undefined) into `outfile`; exits 1 on failure. */
async function compile(outfile: string, target: Bun.Build.CompileTarget | undefined, etcdProtos: string): Promise<void> {
  mkdirSync(dirname(outfile), { recursive: true });
  const partial = `${outfile}.partial-${process.pid}`;
  const result = await Bun.build({
    entrypoints: [ENTRY],
    // A compiled Bun program reads .env and bunfig.toml from its working
    // directory unless told not to: a stray .env would change golb's settings
    // (golb on Deno and Node reads none), a broken bunfig.toml stop it.
    compile: { outfile: partial, autoloadDotenv: false, autoloadBunfig: false, ...(target === undefined ? {} : { target }) },
    target: 'bun',
    plugins: [noBuildPaths(etcdProtos)],
  });
  if (!result.success) {
    for (const log of result.logs) console.error(log);
    process.exit(1);
  }
  const binary = readFileSync(partial);
  if (binary.includes(ROOT)) {
    console.error(`build: ${outfile} still contains the build path ${ROOT}`);
    process.exit(1);
  }
  renameSync(partial, outfile);
  console.log(`built ${outfile.startsWith(`${ROOT}/`) ? relative(ROOT, outfile) : outfile} (${target ?? 'this machine'}, ${(binary.length / 2 ** 20).toFixed(1)} MiB)`);
}

/** Copies `from` to `to` by way of a partial file renamed into place. */
function copyIntoPlace(from: string, to: string): void {
  const partial = `${to}.partial-${process.pid}`;
  copyFileSync(from, partial);
  renameSync(partial, to);
}

const etcdProtos = etcdProtoJson();
const outfile = process.argv[2];
const host = hostReleaseTarget(process.platform, process.arch);
if (outfile !== undefined) {
  await compile(resolve(outfile), undefined, etcdProtos);
} else {
  for (const release of RELEASE_TARGETS) await compile(join(DIST, releaseBinaryName(release.arch)), release.bunTarget, etcdProtos);
  if (host !== undefined) copyIntoPlace(join(DIST, releaseBinaryName(host.arch)), join(DIST, 'golb'));
  else await compile(join(DIST, 'golb'), undefined, etcdProtos);
}
