/**
 * The node pool in memory (without etcd), seeded by `--nodes`: what one fnlb
 * does without a database. Changes through the API last until the process ends.
 * @module
 */
import type { NodeStore } from './node-pool.ts';

/** A {@link NodeStore} kept in this process. */
export class MemoryNodeStore implements NodeStore {
  readonly kind = 'memory';
  private readonly nodes: Set<string>;
  private apply: ((nodes: ReadonlySet<string>) => void) | undefined;

  /** @param seeds the `--nodes`, canonical `host:port` */
  constructor(seeds: readonly string[]) {
    this.nodes = new Set(seeds);
  }

  start(apply: (nodes: ReadonlySet<string>) => void): void {
    this.apply = apply;
    apply(this.nodes);
  }

  async add(node: string): Promise<void> {
    this.nodes.add(node);
    this.apply?.(this.nodes);
  }

  async remove(node: string): Promise<void> {
    this.nodes.delete(node);
    this.apply?.(this.nodes);
  }

  async close(): Promise<void> {
    this.apply = undefined;
  }
}
