/** Types of kube-apiserver.mjs, for the TypeScript tests and bench that share it. */
/** The Kubernetes release built. */
export declare const KUBE_VERSION: string;
/** Where built binaries are kept. */
export declare function cacheDir(): string;
/** The cached binary's path (it may not exist yet). */
export declare function apiserverPath(): string;
/** Whether `go` runs here. */
export declare function haveGo(): boolean;
/** The path of a kube-apiserver binary, built first when it is not cached. */
export declare function ensureApiserver(): Promise<string>;
