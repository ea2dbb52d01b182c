/**
 * Kubernetes discovery as golb starts it (`--db k8s`, `--k8s-functions`):
 * credentials, the namespace, one {@link PodFollower}, and the listeners that
 * get its pods (the node pool's store, the function table).
 * @module
 */
import type { Config } from '../config.ts';
import type { Logger } from '../logger.ts';
import { apiFetch, type ApiRuntime } from './api-fetch.ts';
import { loadCredentials, KubeCredentialsError, type CredentialsWorld } from './credentials.ts';
import { PodFollower, type DiscoveryStats } from './pod-follower.ts';
import type { PodView } from './pod-view.ts';

/** Whether the configuration asks for Kubernetes discovery. */
export const wantsDiscovery = (config: Config): boolean => config.db === 'k8s' || config.k8sFunctions;

/** Started discovery. */
export interface Discovery {
  /** Adds a listener; it gets the current pods at once, then every change. */
  subscribe(listener: (pods: ReadonlyMap<string, PodView>) => void): void;
  stats(): DiscoveryStats;
  close(): Promise<void>;
}

/** What discovery reads of the world. */
export interface DiscoveryWorld extends CredentialsWorld {
  runtime: ApiRuntime;
  logger: Logger;
  random: () => number;
  now: () => number;
}

/**
 * Loads the credentials and starts following pods.
 * @throws {KubeCredentialsError} when there are no credentials or no namespace (a start error).
 */
export async function startDiscovery(config: Config, world: DiscoveryWorld): Promise<Discovery> {
  const credentials = await loadCredentials(config.kubeconfig, world);
  const namespace = config.k8sNamespace ?? credentials.namespace;
  if (namespace === undefined) {
    throw new KubeCredentialsError('eb_go_lb_k8s_namespace (--namespace): needed here — there is no service account namespace file and the kubeconfig context names none');
  }
  const listeners: ((pods: ReadonlyMap<string, PodView>) => void)[] = [];
  let current: ReadonlyMap<string, PodView> = new Map();
  const follower = new PodFollower({
    credentials,
    fetch: apiFetch(world.runtime, credentials.tls),
    namespace,
    labelSelector: config.k8sLabelSelector,
    naming: config.k8sFunctions ? { label: config.k8sFunctionLabel } : undefined,
    logger: world.logger,
    random: world.random,
    now: world.now,
    onChange: (pods) => {
      current = pods;
      for (const l of listeners) l(pods);
    },
  });
  world.logger.info('kubernetes: following pods', { namespace, labelSelector: config.k8sLabelSelector, origin: credentials.origin, server: credentials.server });
  follower.start();
  return {
    subscribe(listener) {
      listeners.push(listener);
      listener(current);
    },
    stats: () => follower.stats(),
    close: () => follower.close(),
  };
}
