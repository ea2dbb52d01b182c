/** Types of etcd-process.mjs, for the TypeScript tests that share it. */
export { freePort } from './free-port.mjs';
/** Starts a one-member etcd on free loopback ports and waits until it answers (20 s at most). */
export declare function startEtcd(name: string, extraArgs?: string[]): Promise<{ endpoint: string; stop: () => Promise<void> }>;
