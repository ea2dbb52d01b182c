/**
 * The release binaries `npm run build` makes, one per architecture golb ships
 * for: x86-64 servers and 64-bit ARM boards. Each is
 * `dist/golb-linux-<arch>`, where `<arch>` is Docker's and Go's name for the
 * architecture (`TARGETARCH` in a Dockerfile, `GOARCH`), so the Dockerfile
 * picks one by its build argument and the names read like the Go seed's. Bun
 * names the same architectures differently (`x64`; `aarch64` in its cache).
 * Shared by the build script and the tests that check what it made.
 * @module
 */

/** One release binary. */
export interface ReleaseTarget {
  /** Docker's `TARGETARCH` (and Go's `GOARCH`). */
  arch: 'amd64' | 'arm64';
  /** Node's and Bun's `process.arch` on that architecture. */
  nodeArch: 'x64' | 'arm64';
  /** What `bun build --compile --target=` builds for it (glibc, as Debian's). */
  bunTarget: 'bun-linux-x64-baseline' | 'bun-linux-arm64';
}

/**
 * Every release binary `npm run build` makes. The amd64 one is built on Bun's
 * baseline runtime, which needs SSE4.2 and POPCNT (Intel since Nehalem, 2008);
 * Bun's default x64 runtime needs AVX2 (Intel since Haswell, 2013) and
 * stops with "Illegal instruction" on the Atom and Celeron boxes many edge
 * sites run. The cost is some of Bun's own native code without AVX2.
 */
export const RELEASE_TARGETS: readonly ReleaseTarget[] = [
  { arch: 'amd64', nodeArch: 'x64', bunTarget: 'bun-linux-x64-baseline' },
  { arch: 'arm64', nodeArch: 'arm64', bunTarget: 'bun-linux-arm64' },
];

/** The release binary's file name under dist/ (`arch` may be `${TARGETARCH}` in a Dockerfile). */
export function releaseBinaryName(arch: string): string {
  return `golb-linux-${arch}`;
}

/** The release target this machine runs, if it is one (Linux on x86-64 or 64-bit ARM). */
export function hostReleaseTarget(platform: string, nodeArch: string): ReleaseTarget | undefined {
  return platform === 'linux' ? RELEASE_TARGETS.find((t) => t.nodeArch === nodeArch) : undefined;
}
