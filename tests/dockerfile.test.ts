/**
 * The Dockerfile, checked without a Docker engine: its build steps are the
 * commands this suite runs (so a green suite means the image's build works),
 * it makes an image for each release architecture from one file (the build
 * stage runs on the builder's platform and each image copies the binary its
 * TARGETARCH names), and the image has a HEALTHCHECK. .dockerignore keeps a
 * checkout's node_modules and dist out of the build.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { RELEASE_TARGETS, releaseBinaryName } from '../scripts/release-targets.ts';
import { ROOT } from './support/harness.ts';
import { BUILD_COMMAND } from './support/release-build.ts';

/** One Dockerfile instruction: `RUN npm ci` → { keyword: 'RUN', args: 'npm ci' }. */
interface Instruction {
  keyword: string;
  args: string;
}

/** The instructions of a Dockerfile, continuation lines joined, comments and blank lines dropped. */
function parseDockerfile(text: string): Instruction[] {
  const logical = text
    .split('\n')
    .filter((line) => !/^\s*#/.test(line))
    .join('\n')
    .replace(/\\\n/g, ' ');
  return logical
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '')
    .map((line) => {
      const [keyword = '', ...rest] = line.split(/\s+/);
      return { keyword: keyword.toUpperCase(), args: rest.join(' ') };
    });
}

/** The instructions of each stage, from its FROM on. */
function stages(instructions: Instruction[]): Instruction[][] {
  const out: Instruction[][] = [];
  for (const ins of instructions) {
    if (ins.keyword === 'FROM') out.push([]);
    out.at(-1)?.push(ins);
  }
  return out;
}

const DOCKERFILE = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');
const INSTRUCTIONS = parseDockerfile(DOCKERFILE);
const [BUILD_STAGE = [], IMAGE_STAGE = []] = stages(INSTRUCTIONS);
const args = (stage: Instruction[], keyword: string) => stage.filter((i) => i.keyword === keyword).map((i) => i.args);

describe('Dockerfile', () => {
  test('two stages: a build stage on the builder\'s platform, then the image', () => {
    assert.equal(stages(INSTRUCTIONS).length, 2);
    assert.match(BUILD_STAGE[0]!.args, /^--platform=\$BUILDPLATFORM \S+ AS build$/i, 'the build stage runs natively and cross-compiles, never under emulation');
  });

  test("its RUN steps are an install from the lock file and the suite's own build", () => {
    const packageJson = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    assert.equal(packageJson.scripts[BUILD_COMMAND[2]], 'bun scripts/build.ts', 'the build script the suite runs');
    assert.deepEqual(args(INSTRUCTIONS, 'RUN'), ['npm ci', BUILD_COMMAND.join(' ')]);
  });

  test('one file for every release architecture: the image copies the binary its TARGETARCH names', () => {
    assert.ok(args(IMAGE_STAGE, 'ARG').includes('TARGETARCH'), 'the image stage declares ARG TARGETARCH');
    const copy = args(IMAGE_STAGE, 'COPY').find((a) => a.startsWith('--from=build '));
    assert.equal(copy, `--from=build /src/dist/${releaseBinaryName('${TARGETARCH}')} /usr/local/bin/golb`);
    // The documented multi-platform build names exactly the architectures the build makes.
    const platforms = /docker buildx build --platform (\S+)/.exec(DOCKERFILE)?.[1]?.split(',');
    assert.deepEqual(platforms, RELEASE_TARGETS.map((t) => `linux/${t.arch}`));
  });

  test('a HEALTHCHECK runs `golb healthcheck`, the binary the image starts', () => {
    assert.deepEqual(args(IMAGE_STAGE, 'HEALTHCHECK'), ['--interval=10s --timeout=3s CMD ["/usr/local/bin/golb", "healthcheck"]']);
    assert.deepEqual(args(IMAGE_STAGE, 'ENTRYPOINT'), ['["/usr/local/bin/golb"]']);
    assert.deepEqual(args(IMAGE_STAGE, 'USER'), ['nobody']);
  });

  test(".dockerignore keeps a checkout's node_modules and dist out of the build", () => {
    const ignored = readFileSync(join(ROOT, '.dockerignore'), 'utf8').split('\n').map((l) => l.trim());
    for (const path of ['node_modules', 'dist']) assert.ok(ignored.includes(path), `${path} is not in .dockerignore`);
  });
});
