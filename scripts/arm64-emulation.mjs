/**
 * How an x86-64 machine runs golb's arm64 binary (`dist/golb-linux-arm64`):
 * Debian's qemu-user-static (`qemu-aarch64-static`, user-mode emulation of one
 * process) with an arm64 C library as its sysroot (Debian's
 * libc6-arm64-cross: the loader and libc under /usr/aarch64-linux-gnu; Bun's
 * binary is linked against glibc).
 *
 * The binary is started as `qemu-aarch64-static -L <sysroot> <binary>`, which
 * works whether or not binfmt_misc has qemu registered: containers (this
 * test machine's among them) seldom have binfmt_misc mounted, and a
 * registration would still need the arm64 loader at /lib. Shared by the test
 * runner, which installs both packages when missing, and the binary's test,
 * which skips with {@link arm64Runner}'s reason when they are not there.
 * @module
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

/** qemu-user-static's arm64 emulator. */
export const QEMU_AARCH64 = 'qemu-aarch64-static';
/** Where libc6-arm64-cross puts the arm64 loader and C library. */
export const ARM64_SYSROOT = '/usr/aarch64-linux-gnu';
/** The Debian packages that provide both. */
export const ARM64_PACKAGES = ['qemu-user-static', 'libc6-arm64-cross'];

const ARM64_LOADER = join(ARM64_SYSROOT, 'lib/ld-linux-aarch64.so.1');

/** True when this machine is itself 64-bit ARM Linux (the binary runs natively). */
export function nativeArm64() {
  return process.platform === 'linux' && process.arch === 'arm64';
}

/** True when qemu-aarch64-static runs. */
export function haveQemu() {
  const r = spawnSync(QEMU_AARCH64, ['--version'], { stdio: 'ignore' });
  return r.error === undefined && r.status === 0;
}

/** True when the arm64 loader is installed under {@link ARM64_SYSROOT}. */
export function haveArm64Sysroot() {
  return existsSync(ARM64_LOADER);
}

/**
 * How to start an arm64 Linux binary here: `{ command }`, the argv that goes
 * before the binary's path (empty on an arm64 machine), or `{ missing }`, a
 * sentence saying why it cannot run.
 * @returns {{ command: string[] } | { missing: string }}
 */
export function arm64Runner() {
  if (nativeArm64()) return { command: [] };
  if (!haveQemu()) return { missing: `${QEMU_AARCH64} does not run: Debian's qemu-user-static is not installed (npm test installs it with apt-get; that failed or was not run)` };
  if (!haveArm64Sysroot()) return { missing: `${ARM64_LOADER} is missing: Debian's libc6-arm64-cross is not installed (npm test installs it with apt-get; that failed or was not run)` };
  return { command: [QEMU_AARCH64, '-L', ARM64_SYSROOT] };
}

/** Whether binfmt_misc has an arm64 handler registered (then arm64 binaries also start directly). */
export function binfmtArm64Registered() {
  return existsSync('/proc/sys/fs/binfmt_misc/qemu-aarch64');
}
