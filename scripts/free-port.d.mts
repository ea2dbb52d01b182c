/** Types of free-port.mjs, for the TypeScript tests that share it. */
/** A loopback port that is free now, outside the ephemeral range, and not handed out before by this process. */
export declare function freePort(): Promise<number>;
/** `n` distinct free loopback ports. */
export declare function freePorts(n: number): Promise<number[]>;
