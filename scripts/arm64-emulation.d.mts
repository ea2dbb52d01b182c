/** Types of arm64-emulation.mjs, for the TypeScript tests that share it. */
/** qemu-user-static's arm64 emulator. */
export declare const QEMU_AARCH64: string;
/** Where libc6-arm64-cross puts the arm64 loader and C library. */
export declare const ARM64_SYSROOT: string;
/** The Debian packages that provide both. */
export declare const ARM64_PACKAGES: string[];
/** True when this machine is itself 64-bit ARM Linux (the binary runs natively). */
export declare function nativeArm64(): boolean;
/** True when qemu-aarch64-static runs. */
export declare function haveQemu(): boolean;
/** True when the arm64 loader is installed under ARM64_SYSROOT. */
export declare function haveArm64Sysroot(): boolean;
/** How to start an arm64 Linux binary here: the argv before the binary's path, or why it cannot run. */
export declare function arm64Runner(): { command: string[] } | { missing: string };
/** Whether binfmt_misc has an arm64 handler registered (then arm64 binaries also start directly). */
export declare function binfmtArm64Registered(): boolean;
