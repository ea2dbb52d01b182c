/**
 * One line of the trace stream per finished `/function/` request, for the
 * readers that want it (`trace-hub.ts`): when, which request, function and
 * backend, this node and zone, status and body bytes, the connect,
 * first-byte and total times, the hops, the retries, and whether the request
 * crossed a zone boundary on its way in (another gateway forwarded it) or out
 * (a gateway backend answered).
 *
 * {@link withTraces} wraps the function route's chain (`routes/function-route.ts`)
 * inside the access log. With no reader the request path reads one field
 * (`TraceHub.active`) and goes on; with readers, it draws the request's sample
 * number, and only a request some reader wants gets a {@link TraceEntry}: it
 * sees the answer pass (backend, head time), is where the forwarding notes the
 * attempts (`ClientRequest.trace`: connect time, retries, gateway), and hears
 * the response's end from golb's server (`ClientRequest.onResponseEnd`, after
 * the access log's listener when that is on), when the line is written once
 * and handed to every reader that takes it.
 * @module
 */
import type { AttemptTimes, ClientRequest, ProxyHandler, ProxyReply, ReplyTarget, ResponseEndListener } from '../client-request.ts';
import { functionName } from '../function-name.ts';
import type { TraceHub } from './trace-hub.ts';

/** What a trace line needs besides the hub. */
export interface TraceEntryDeps {
  config: { nodeName: string; zone: string };
  /** Wall-clock ms: the line's time. */
  now(): number;
  /** Monotonic ms: its durations. */
  monotonic(): number;
}

/** The status of a request whose client went away before any answer (as the access log and nginx say). */
const CLIENT_CLOSED = 499;

/** `handler` with a trace line per request some reader of `hub` wants. */
export function withTraces(handler: ProxyHandler, hub: TraceHub, deps: TraceEntryDeps): ProxyHandler {
  return function traced(req, to) {
    if (!hub.active) {
      handler(req, to);
      return;
    }
    const draw = hub.draw();
    // A reader that stopped reading, its queue full, costs no line: it is told of the loss instead.
    if (!hub.admits(req.target, draw)) {
      handler(req, to);
      return;
    }
    const entry = new TraceEntry(req, to, hub, draw, deps);
    req.trace = entry;
    if (req.reportsEnd) {
      entry.previous = req.onResponseEnd;
      req.onResponseEnd = entry;
    }
    handler(req, entry);
  };
}

/** One traced request: the attempts' figures, the answer's, and the line at its end. */
export class TraceEntry implements ReplyTarget, ResponseEndListener, AttemptTimes {
  connectMs = 0;
  retries = 0;
  gateway = false;
  /** The end listener that was there before (the access log's), told first. */
  previous: ResponseEndListener | undefined = undefined;
  private readonly req: ClientRequest;
  private readonly to: ReplyTarget;
  private readonly hub: TraceHub;
  private readonly draw: number;
  private readonly deps: TraceEntryDeps;
  /** Wall-clock ms when the request reached the route. */
  private readonly time: number;
  /** Monotonic ms of the same moment. */
  private readonly started: number;
  /** Monotonic ms when the answer's head was ready; -1 before. */
  private headAt = -1;
  private backend = '-';

  constructor(req: ClientRequest, to: ReplyTarget, hub: TraceHub, draw: number, deps: TraceEntryDeps) {
    this.req = req;
    this.to = to;
    this.hub = hub;
    this.draw = draw;
    this.deps = deps;
    this.time = deps.now();
    this.started = deps.monotonic();
  }

  reply(res: ProxyReply): void {
    this.headAt = this.deps.monotonic();
    if (!(res instanceof Response)) this.backend = res.backend;
    // A web Request's server reports no end: its line goes now.
    if (!this.req.reportsEnd) this.publish(res.status, res instanceof Response || res.length < 0 ? 0 : res.length, true);
    this.to.reply(res);
  }

  responseEnded(status: number, bodyBytes: number, complete: boolean): void {
    this.previous?.responseEnded(status, bodyBytes, complete);
    this.publish(status === 0 ? CLIENT_CLOSED : status, bodyBytes, complete);
  }

  /** Writes the line for the readers that still want it (they may have left meanwhile). */
  private publish(status: number, bytes: number, complete: boolean): void {
    const { req, hub, draw } = this;
    if (!hub.wants(req.target, draw)) return;
    hub.publish(this.line(status, bytes, complete), req.target, draw);
  }

  /** The request's line, JSON and a newline. */
  line(status: number, bytes: number, complete: boolean): string {
    const { req, deps, started } = this;
    const ended = deps.monotonic();
    const fields: Record<string, unknown> = {
      time: new Date(this.time).toISOString(),
      requestId: req.requestId ?? null,
      function: functionName(req.target),
      backend: this.backend,
      node: deps.config.nodeName,
      zone: deps.config.zone,
      status,
      bytes,
      connectMs: milliseconds(this.connectMs),
      firstByteMs: this.headAt < 0 ? null : milliseconds(this.headAt - started),
      totalMs: milliseconds(ended - started),
      hops: hopsOf(req.headers.get('via'), deps.config.nodeName),
      retries: this.retries,
      forwarded: req.forwardedBy !== null,
      gateway: this.gateway,
    };
    if (!complete) fields.aborted = true;
    return JSON.stringify(fields) + '\n';
  }
}

/** Milliseconds rounded to microseconds. */
function milliseconds(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}

/** Longest hop name kept in a line: a `Via` entry is the sender's text. */
const MAX_HOP_NAME = 255;

/**
 * The gateways a request passed: the received-by of each entry of the `Via`
 * it came with (RFC 9110 §7.6.3: `1.1 gw-a, 1.1 gw-b` names gw-a and gw-b),
 * then this node.
 */
export function hopsOf(via: string | null, node: string): string[] {
  const hops: string[] = [];
  if (via !== null) {
    for (const entry of via.split(',')) {
      const words = entry.trim().split(/[ \t]+/);
      const name = words.length > 1 ? words[1]! : words[0]!;
      if (name !== '') hops.push(name.slice(0, MAX_HOP_NAME));
    }
  }
  hops.push(node);
  return hops;
}
