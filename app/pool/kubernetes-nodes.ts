/**
 * The node pool as fnlb's `-db=k8s` made it: the pods a label selector picks,
 * at `<pod IP>:<target port>`, kept live by the Kubernetes discovery. Only
 * pods taking new requests (Ready, an IP, not terminating) are members; golb's
 * health checks still gate them, as fnlb's did. `/1/lb/nodes` changes are
 * refused: the members are Kubernetes' business.
 * @module
 */
import { podAddress, takesRequests, type PodView } from '../kubernetes/pod-view.ts';
import type { NodeStore } from './node-pool.ts';

/** What the store needs of discovery: the pods, pushed on every change. */
export interface PodFeed {
  subscribe(listener: (pods: ReadonlyMap<string, PodView>) => void): void;
}

/** The members `host:port` of a pod set. */
export function poolMembers(pods: Iterable<PodView>, port: number): Set<string> {
  const out = new Set<string>();
  for (const p of pods) if (p.ip !== undefined && takesRequests(p)) out.add(podAddress(p.ip, port));
  return out;
}

/** A {@link NodeStore} that follows pods. */
export class KubernetesNodeStore implements NodeStore {
  readonly kind = 'kubernetes';
  private apply: ((nodes: ReadonlySet<string>) => void) | undefined;

  constructor(
    private readonly feed: PodFeed,
    private readonly targetPort: number,
  ) {}

  start(apply: (nodes: ReadonlySet<string>) => void): void {
    this.apply = apply;
    this.feed.subscribe((pods) => this.apply?.(poolMembers(pods.values(), this.targetPort)));
  }

  async add(): Promise<void> {
    throw new Error('the node pool follows Kubernetes pods (--db k8s); change the pods or their labels');
  }

  async remove(): Promise<void> {
    throw new Error('the node pool follows Kubernetes pods (--db k8s); change the pods or their labels');
  }

  async close(): Promise<void> {
    this.apply = undefined;
  }
}
