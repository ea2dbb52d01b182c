/**
 * The transport of golb on Node, and of Deno's upstreams: `node:net` sockets
 * (`node-transport.ts`), plus a minor garbage collection after every
 * {@link COLLECT_EVERY_BYTES} read (Deno's client sockets, `deno-transport.ts`,
 * count their reads too).
 *
 * Each read of a `node:net` socket golb accepted (Node's clients) gets a
 * buffer of its own, allocated natively, outside the memory V8 counts; every
 * other read is copied out of golb's read buffer into one of its size.
 * While a large body streams through, V8 sees little other garbage and frees
 * those buffers late: without the collection a 1 GiB download grew golb's RSS
 * by about 200 MB on Deno and by tens of MB on Node; with it, the growth stays
 * under the 32 MB target (docs/performance.md has the latest figures).
 * A minor collection costs about a millisecond on Node; on Deno, while a body
 * streams, far more (collecting every 4 MiB instead of 16 doubled the CPU of a
 * 1 GiB download), hence the interval. Ordinary requests, a few hundred bytes
 * each, seldom reach the threshold. (Bun, on its own sockets,
 * collects in `bun-transport.ts`.)
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
export function collectingTransport(): Transport {
  // V8's gc(), exposed at run time: the flag makes new contexts carry it.
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as (options: { type: 'minor' }) => void;
  watchReads(collectEvery(COLLECT_EVERY_BYTES, () => gc({ type: 'minor' })));
  return nodeTransport;
}
