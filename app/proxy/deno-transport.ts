/**
 * The transport of golb on Deno: Deno's `node:net` sockets
 * (`node-transport.ts`), plus a minor garbage collection after every
 * {@link COLLECT_EVERY_BYTES} read.
 *
 * Deno reads each chunk into a fresh 64 KiB buffer allocated natively,
 * outside the memory V8 counts, so V8, seeing little garbage while a large
 * body streams through, frees those buffers only some 200 MB later (measured:
 * a 1 GiB download grew golb's RSS by about 200 MB; with the collection,
 * under 32 MB). A minor collection costs about a millisecond; ordinary
 * requests, a few hundred bytes each, seldom reach the threshold.
 *
 * Only imported by `main.deno.ts`: the other runtimes collect in time.
 * @module
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { nodeTransport, watchReads } from './node-transport.ts';
import type { Transport } from './transport.ts';

/** Bytes read between two collections. */
export const COLLECT_EVERY_BYTES = 16 * 1024 * 1024;

/** A read watcher that calls `collect` once every `every` bytes read. */
export function collectEvery(every: number, collect: () => void): (bytes: number) => void {
  let bytesRead = 0;
  return (bytes) => {
    bytesRead += bytes;
    if (bytesRead >= every) {
      bytesRead = 0;
      collect();
    }
  };
}

/** `node:net` with the collection set up. */
export function denoTransport(): Transport {
  // V8's gc(), exposed at run time: the flag makes new contexts carry it.
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as (options: { type: 'minor' }) => void;
  watchReads(collectEvery(COLLECT_EVERY_BYTES, () => gc({ type: 'minor' })));
  return nodeTransport;
}
