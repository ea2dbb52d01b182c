/**
 * A reader of golb's trace stream (`GET /1/lb/traces`) for end-to-end tests:
 * what it received so far, parsed, and its response to pause or resume.
 * @module
 */
import { get, type IncomingMessage } from 'node:http';

/** An open trace stream: what it received, and its response to pause or resume. */
export interface TraceStream {
  res: IncomingMessage;
  text: string;
  /** The request lines received (those with a request id), parsed. */
  lines(): Record<string, unknown>[];
  /** Every JSON line received, parsed. */
  all(): Record<string, unknown>[];
  ended: Promise<'end' | 'cut'>;
  close(): void;
}

/** Opens the stream at `url` (golb's base URL); resolves once its first line is in. */
export function openTraces(url: string, query = '', headers: Record<string, string> = {}): Promise<TraceStream> {
  return new Promise((resolve, reject) => {
    const req = get(`${url}/1/lb/traces${query}`, { agent: false, headers }, (res) => {
      res.setEncoding('utf8');
      const s: TraceStream = {
        res,
        text: '',
        // Complete lines only: the last may still be arriving.
        all: () => s.text.slice(0, s.text.lastIndexOf('\n') + 1).split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as Record<string, unknown>),
        lines: () => s.all().filter((l) => 'requestId' in l),
        ended: new Promise((done) => {
          res.on('end', () => done(res.complete ? 'end' : 'cut'));
          res.on('error', () => done('cut'));
          res.on('aborted', () => done('cut'));
        }),
        close: () => req.destroy(),
      };
      // Open once its first line is in (the head may come in a read of its own).
      res.on('data', (d: string) => {
        s.text += d;
        if (s.text.includes('\n')) resolve(s);
      });
      res.on('end', () => resolve(s));
    });
    req.on('error', reject);
  });
}

