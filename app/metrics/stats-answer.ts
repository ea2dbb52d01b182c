/**
 * A stats document (`stats.ts`) serialized once, in the parts every
 * `?since=` answer is put together from: the `stats` entries of each second
 * as JSON, and the rest of the document. A poller's `since` only chooses where
 * the entries start, so however many different `since` values arrive, the
 * document is serialized once and each distinct answer (at most one per second
 * of the window, plus the empty one) is assembled once, then shared.
 * @module
 */
import { JSON_TYPE, textAnswer, type Answer } from '../answer-cache.ts';
import type { StatsDocument } from './stats.ts';

/** The answers of one stats document, by `since`. */
export class StatsAnswers {
  /** The Unix seconds that have entries, ascending. */
  private readonly seconds: number[] = [];
  /** Each second's entries as JSON, comma-separated, without brackets. */
  private readonly entries: string[] = [];
  /** The document after `stats`: `"node":…,"functions":[…]}`. */
  private readonly rest: string;
  /** Answers already assembled, by the index of their first second. */
  private readonly answers = new Map<number, Answer>();

  /** @param doc built with every entry of the window (since 0), sorted by time as `buildStats` sorts them */
  constructor(doc: StatsDocument) {
    let from = 0;
    for (let i = 1; i <= doc.stats.length; i++) {
      if (i < doc.stats.length && doc.stats[i]!.timestamp === doc.stats[from]!.timestamp) continue;
      this.seconds.push(Date.parse(doc.stats[from]!.timestamp) / 1000);
      this.entries.push(JSON.stringify(doc.stats.slice(from, i)).slice(1, -1));
      from = i;
    }
    const { stats: _stats, ...rest } = doc;
    this.rest = JSON.stringify(rest).slice(1);
  }

  /**
   * The document with the entries of second `since` and later, as
   * `JSON.stringify(buildStats(…, since))` would write it.
   */
  since(since: number): Answer {
    let first = 0;
    while (first < this.seconds.length && this.seconds[first]! < since) first++;
    let answer = this.answers.get(first);
    if (answer === undefined) {
      answer = textAnswer(`{"stats":[${this.entries.slice(first).join(',')}],${this.rest}`, JSON_TYPE);
      this.answers.set(first, answer);
    }
    return answer;
  }
}
