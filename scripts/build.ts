#!/usr/bin/env bun
/**
 * `npm run build`: `dist/golb`, one self-contained executable
 * (`bun build --compile` through `Bun.build`), that runs on a machine without
 * this checkout.
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
 * @module
 */
import { readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import protobuf from 'protobufjs';

const ROOT = resolve(import.meta.dir, '..');
/** `bun scripts/build.ts [outfile]`: dist/golb unless another path is given (tests build their own). */
const OUTFILE = resolve(process.argv[2] ?? join(ROOT, 'dist/golb'));
const ENTRY = join(ROOT, 'app/main.bun.ts');

/** etcd3's gRPC definitions as a protobufjs JSON descriptor (keepCase, as etcd3 loads them). */
function etcdProtoJson(): string {
  const file = join(ROOT, 'node_modules/etcd3/proto/rpc.proto');
  const root = new protobuf.Root().loadSync(file, { keepCase: true });
  root.resolveAll();
  return JSON.stringify(root.toJSON());
}

const ETCD_LOAD = /\(0, proto_loader_1\.loadSync\)\(`\$\{__dirname\}\/\.\.\/proto\/rpc\.proto`, \{/;

const result = await Bun.build({
  entrypoints: [ENTRY],
  compile: { outfile: OUTFILE },
  target: 'bun',
  plugins: [
    {
      name: 'no-build-paths',
      setup(build) {
        build.onLoad({ filter: /[\\/]node_modules[\\/].*\.js$/ }, (args) => {
          const text = readFileSync(args.path, 'utf8');
          if (!text.includes('__dirname')) return undefined;
          let contents = text;
          if (/[\\/]etcd3[\\/]lib[\\/]connection-pool\.js$/.test(args.path)) {
            if (!ETCD_LOAD.test(contents)) throw new Error(`build: etcd3's rpc.proto loading changed in ${args.path}; update scripts/build.ts`);
            contents = contents.replace(ETCD_LOAD, `(0, proto_loader_1.fromJSON)(${etcdProtoJson()}, {`);
          }
          const rel = JSON.stringify(relative(ROOT, resolve(args.path, '..')));
          contents = contents.replace(/\b__dirname\b/g, rel);
          return { contents, loader: 'js' };
        });
      },
    },
  ],
});
if (!result.success) {
  for (const log of result.logs) console.error(log);
  process.exit(1);
}
const binary = readFileSync(OUTFILE);
if (binary.includes(ROOT)) {
  console.error(`build: ${OUTFILE} still contains the build path ${ROOT}`);
  process.exit(1);
}
console.log(`built ${OUTFILE} (${(binary.length / 2 ** 20).toFixed(1)} MiB)`);
