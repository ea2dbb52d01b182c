/**
 * One watch of a prefix from a given revision, until it is lost, cancelled or
 * stopped: the watcher half of `prefix-follower.ts`.
 *
 * Every event the etcd3 watcher can emit has a listener (an `error` without
 * one would be swallowed or thrown). How each ends the watch:
 * - `disconnected` (etcd down, the member gone): `resume` from the revision
 *   already handed on; the watcher is cancelled, which only forgets it (the
 *   watch manager is idle by then);
 * - `error` (etcd cancelled the watch, e.g. its revision was compacted):
 *   `resync`, a fresh read; the client has already dropped the watcher;
 * - `connected` with a revision lower than the one already handed on (etcd
 *   restored from an older snapshot or wiped): `reconnect`, a fresh read on
 *   a new client;
 * - no `connected` nor failure within {@link CALL_TIMEOUT_MS}: `reconnect`,
 *   rather than wait on a stream that went quiet.
 * @module
 */
import type { IEvent, IWatchResponse, Namespace, Watcher } from 'etcd3';
import type { Timers } from '../deps.ts';
import type { Logger } from '../logger.ts';
import { CALL_TIMEOUT_MS } from './client.ts';

/** Why a watch ended: resume from the follower's revision, read everything again (on a new client), or stop. */
export type WatchEnd = 'resume' | 'resync' | 'reconnect' | 'closed';

/** Longest wait for etcd to answer a cancel at close. */
export const CANCEL_WAIT_MS = 1_000;

/** How log lines name a follower: `{ name: 'etcd', what: 'the zone', kept: 'table' }`. */
export interface FollowerWords {
  /** Starts every line: `etcd watch attached`. */
  name: string;
  /** What a full read reads: `reading the zone again`. */
  what: string;
  /** What is kept meanwhile: `serving the current table`. */
  kept: string;
}

/** What {@link watchOnce} needs. */
export interface WatchOnceOptions {
  namespace: Namespace;
  prefix: string;
  /** The first revision wanted. */
  from: number;
  logger: Logger;
  timers: Timers;
  words: FollowerWords;
  /** The revision the follower has handed on so far. */
  known(): number;
  /** The watcher attached (true) or is gone (false). */
  onConnected(connected: boolean): void;
  /** One answer's events and the revision they bring the follower to. */
  onEvents(events: readonly IEvent[], applied: number): void;
  /** A failure's text, for the follower's `lastError`. */
  onError(reason: string): void;
}

/** Starts the watch; `ended` says why it ended, `stop()` ends it as `closed`. */
export function watchOnce(o: WatchOnceOptions): { ended: Promise<WatchEnd>; stop: () => Promise<void> } {
  const { logger, timers, words } = o;
  const watcher: Watcher = o.namespace.watch().prefix(o.prefix).startRevision(String(o.from)).watcher();
  let resolveEnded!: (end: WatchEnd) => void;
  const ended = new Promise<WatchEnd>((resolve) => (resolveEnded = resolve));
  let attached = false;
  let over = false;
  const finish = (end: WatchEnd): void => {
    if (over) return;
    over = true;
    timers.clearTimeout(attachTimer);
    attached = false;
    o.onConnected(false);
    resolveEnded(end);
  };
  const attachTimer = timers.setTimeout(() => {
    if (attached) return;
    o.onError('the watch did not attach in time');
    logger.warn(`${words.name} watch did not attach; reconnecting`, { waitedMs: CALL_TIMEOUT_MS });
    finish('reconnect');
  }, CALL_TIMEOUT_MS);
  watcher.on('connected', (res: IWatchResponse) => {
    timers.clearTimeout(attachTimer);
    if (over) return;
    const current = Number(res.header.revision);
    if (current < o.known()) {
      logger.warn(`${words.name} revision went back; reading ${words.what} again`, { had: o.known(), etcd: current });
      finish('reconnect');
      return;
    }
    attached = true;
    logger.info(`${words.name} watch attached`, { prefix: o.prefix, fromRevision: o.from });
    o.onConnected(true);
  });
  watcher.on('data', (res: IWatchResponse) => {
    if (over) return;
    // The last event's revision; a progress notification (no events) comes
    // only when the watcher has caught up, so its header revision is safe.
    const last = res.events[res.events.length - 1];
    o.onEvents(res.events, Number(last === undefined ? res.header.revision : last.kv.mod_revision));
  });
  watcher.on('disconnected', (err: unknown) => {
    if (over) return;
    const reason = errorText(err);
    o.onError(reason);
    const fields = { reason, revision: o.known() };
    if (attached) logger.warn(`${words.name} watch lost; serving the current ${words.kept} and resuming`, fields);
    else logger.debug(`${words.name} watch not attached; retrying`, fields);
    void watcher.cancel().catch(() => undefined);
    finish('resume');
  });
  watcher.on('error', (err: unknown) => {
    if (over) return;
    const reason = errorText(err);
    o.onError(reason);
    logger.warn(`${words.name} watch cancelled; reading ${words.what} again`, { reason, revision: o.known() });
    finish('resync');
  });
  watcher.on('end', () => finish('resume'));
  const stop = async (): Promise<void> => {
    const wasOver = over;
    finish('closed');
    if (wasOver) return;
    // Cancels without waiting long for etcd's answer.
    let timer: unknown;
    await Promise.race([watcher.cancel().catch(() => undefined), new Promise<void>((r) => (timer = timers.setTimeout(r, CANCEL_WAIT_MS)))]);
    timers.clearTimeout(timer);
  };
  return { ended, stop };
}

/** An error's message, for logs. */
export function errorText(err: unknown): string {
  return err instanceof Error ? err.message || err.name : String(err);
}
