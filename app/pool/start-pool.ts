/**
 * Builds and starts fnlb's node pool for a golb: the store (etcd, through the
 * process's one etcd client, when etcd is the weight source; else memory
 * seeded by `--nodes`) and the active prober of
 * its nodes, with fnlb's health settings (`--hc-path`, default `/version`;
 * `--hc-interval`, `--hc-timeout`, `--hc-unhealthy`, `--hc-healthy`) and, with
 * `--min-api-version`, the check of each node's version (`api-version.ts`).
 * @module
 */
import type { Config } from '../config.ts';
import type { Logger } from '../logger.ts';
import type { ProxyEngine } from '../proxy/engine.ts';
import { ActiveHealth } from '../health/active.ts';
import type { StrategyDeps } from '../../strategies/strategy.ts';
import type { EtcdClient } from '../etcd/client.ts';
import { MemoryNodeStore } from './memory-store.ts';
import { DEFAULT_POOL_HEALTH_PATH, NodePool, parseNode, type NodeStore } from './node-pool.ts';
import { KubernetesNodeStore, type PodFeed } from './kubernetes-nodes.ts';
import { apiVersionCheck } from './api-version.ts';

/** A started pool and how to stop it. */
export interface StartedPool {
  pool: NodePool;
  close(): Promise<void>;
}

/**
 * Builds the pool from the configuration, starts its store and its prober. The
 * etcd store is loaded only when etcd is configured. With `pods` (`--db k8s`)
 * the members are the selected pods, and `--nodes` is ignored.
 * @param etcd the process's etcd client when etcd is configured (its owner closes it)
 */
export async function startPool(config: Config, logger: Logger, engine: ProxyEngine, deps: StrategyDeps, now: () => number, etcd?: EtcdClient, pods?: PodFeed): Promise<StartedPool> {
  const seeds: string[] = [];
  for (const raw of config.nodes) {
    const node = parseNode(raw);
    if (node === undefined) logger.warn('--nodes entry ignored: not host:port', { node: raw });
    else seeds.push(node);
  }
  // --nodes with --db k8s are ignored, as fnlb did: the configuration's warning (nodes_ignored) says so.
  const store: NodeStore =
    pods !== undefined
      ? new KubernetesNodeStore(pods, config.k8sTargetPort)
      : etcd !== undefined
      ? new (await import('./etcd-nodes.ts')).EtcdNodeStore({ client: etcd, zone: config.zone, seeds, logger, random: deps.random, now })
      : new MemoryNodeStore(seeds);
  const pool = new NodePool({ store, logger, deps });
  pool.start();
  const healthPath = config.healthPath ?? DEFAULT_POOL_HEALTH_PATH;
  const health = new ActiveHealth({
    table: pool.table,
    engine,
    logger,
    path: healthPath,
    intervalMs: config.healthIntervalMs,
    timeoutMs: config.healthTimeoutMs,
    unhealthy: config.healthUnhealthy,
    healthy: config.healthHealthy,
    nodeName: config.nodeName,
    checkBody: config.minApiVersion === undefined ? undefined : apiVersionCheck(config.minApiVersion, healthPath),
  });
  health.start();
  return {
    pool,
    async close() {
      health.close();
      await pool.close();
    },
  };
}
