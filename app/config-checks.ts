/**
 * The checks of golb's configuration that span settings, run once every
 * variable and flag is read (`parseConfig` in `config.ts`):
 * - contradictions: two settings giving one field different values
 *   (`--listen 127.0.0.1:8181 --listen-port 8182`) stop golb (exit 2), since
 *   either reading would surprise someone;
 * - settings that cannot work together (a management host without a port,
 *   protected reads without a token, a function label without function
 *   discovery) stop golb too;
 * - a legal state that is probably not what was meant (a zone without etcd,
 *   a flag of fnlb's golb does not act on) becomes a warning, which golb logs
 *   at WARN and lists in `/readyz` (`app/warnings.ts`);
 * - defaults that depend on other settings or on the machine are filled in.
 * docs/operations.md says what each line means and what to do.
 * @module
 */
import type { Config } from './config.ts';
import type { Warning } from './warnings.ts';
import * as v from './config-values.ts';

/** Which variable or flag (as written) last gave each field, valid or not. */
export type SetBy = Map<keyof Config, string>;

/** One setting's value for one field, as given: the row it belongs to, how it was written, what it read as. */
export interface GivenValue {
  /** The row of `SETTINGS` (an identity: aliases and the variable share it). */
  readonly row: object;
  /** The variable or flag as written, e.g. `--listen`. */
  readonly source: string;
  /** The raw value, e.g. `127.0.0.1:8181`. */
  readonly raw: string;
  /** The field's value it read as. */
  readonly value: unknown;
}

/** Each field's values, by the settings that gave one (last value per setting). */
export type GivenValues = Map<keyof Config, Map<object, GivenValue>>;

/** How a problem line names a field that more than one setting writes. */
const FIELD_WORDS: Partial<Record<keyof Config, string>> = {
  listenHost: 'the listen host',
  listenPort: 'the listen port',
  mgmtHost: 'the management host',
  mgmtPort: 'the management port',
};

/** The seed's etcd default, which golb does not assume (docs/operations.md). */
export const SEED_ETCD_DEFAULT = 'localhost:2379';

const written = (g: GivenValue): string => `${g.source}${g.source.startsWith('-') ? ' ' : '='}${v.clip(g.raw)}`;

/**
 * One line per pair of settings that give a field different values. The same
 * setting given twice is not a contradiction (its last value wins, as Go's
 * flag package does), nor is a flag overriding its own variable.
 */
export function contradictions(given: GivenValues): string[] {
  const lines: string[] = [];
  for (const [key, byRow] of given) {
    const values = [...byRow.values()];
    for (let i = 0; i < values.length; i++) {
      for (let j = i + 1; j < values.length; j++) {
        const a = values[i]!;
        const b = values[j]!;
        if (a.value === b.value) continue;
        const line = `${written(a)} contradicts ${written(b)}: both set ${FIELD_WORDS[key] ?? key} (${String(a.value)}, ${String(b.value)}); give one of them`;
        if (!lines.includes(line)) lines.push(line);
      }
    }
  }
  return lines;
}

/** Checks that span settings, and fills the defaults that depend on others or on the machine. */
export function checkDerived(
  draft: Partial<Config>, setBy: SetBy, env: Record<string, string | undefined>,
  hostName: string | (() => string), problems: string[],
): void {
  if ((draft.etcdHosts ?? []).length > 0 && !setBy.has('zone')) {
    // The seed refused to start without a zone; with etcd, 'local' would silently watch the wrong keys.
    problems.push(`eb_go_lb_zone: required when etcd is used (${setBy.get('etcdHosts') ?? 'eb_go_lb_etcd_host'} is set)`);
  }

  if (!setBy.has('nodeName')) {
    const fromEnv = env.HOSTNAME?.trim();
    const [source, name] = fromEnv ? ['HOSTNAME', fromEnv] : ['the host name', (typeof hostName === 'string' ? hostName : hostName()).trim()];
    const r = v.safeName(name);
    if (r.ok) draft.nodeName = r.value;
    else problems.push(`${source} (default of eb_go_lb_node_name): expected ${r.expected}, got ${v.echoValue(name)}`);
  }

  if (draft.readsNeedToken === true && draft.adminToken === undefined) {
    problems.push(`${setBy.get('readsNeedToken') ?? 'eb_go_lb_protect_reads'}: needs eb_go_lb_admin_token (without a token every management read would be refused)`);
  }
  if (draft.k8sFunctionLabel !== undefined && draft.k8sFunctions !== true) {
    // golb's own setting, meaningful only with function discovery: without it the label would silently do nothing.
    problems.push(`${setBy.get('k8sFunctionLabel') ?? 'eb_go_lb_k8s_function_label'}: has no effect without eb_go_lb_k8s_functions=true (--k8s-functions); set that too, or drop it`);
  }
  checkManagement(draft, setBy, problems);
}

function checkManagement(draft: Partial<Config>, setBy: SetBy, problems: string[]): void {
  const hostSource = setBy.get('mgmtHost');
  if (draft.mgmtPort === undefined) {
    // A host alone is most likely a forgotten port; an explicitly emptied port (`--mgmt-port=`) is not.
    if (hostSource !== undefined && draft.mgmtHost !== undefined && !setBy.has('mgmtPort')) {
      problems.push(`${hostSource}: needs a management port (eb_go_lb_mgmt_port or --mgmt-listen)`);
    }
    draft.mgmtHost = undefined;
    return;
  }
  draft.mgmtHost ??= draft.listenHost;
  if (draft.mgmtHost === draft.listenHost && draft.mgmtPort === draft.listenPort) {
    // fnlb's own Kubernetes example gives `-listen=:8080 -mgmt-listen=:8080`:
    // the same address means management on the traffic port, as in fnlb.
    draft.mgmtHost = undefined;
    draft.mgmtPort = undefined;
  } else if (draft.mgmtPort === draft.listenPort) {
    const portSource = setBy.get('mgmtPort') ?? 'eb_go_lb_mgmt_port';
    problems.push(`${portSource}: the listen port ${draft.listenPort} on another host cannot be a separate management listener (give the same address, or another port)`);
  }
}

/** Kubernetes settings that do nothing unless golb follows pods (`--db k8s` or `--k8s-functions`). */
const KUBERNETES_ONLY: readonly (keyof Config)[] = ['k8sLabelSelector', 'k8sNamespace', 'k8sTargetPort', 'kubeconfig'];

/**
 * The warnings a configuration carries by itself: legal, but probably not
 * what the operator meant. Each names the settings as written and says what
 * golb does instead.
 */
export function configWarnings(config: Config, setBy: SetBy): Warning[] {
  const out: Warning[] = [];
  const name = (key: keyof Config, variable: string) => setBy.get(key) ?? variable;
  const withEtcd = config.etcdHosts.length > 0;
  if (setBy.has('zone') && !withEtcd) {
    out.push({
      code: 'zone_without_etcd',
      message: `${name('zone', 'eb_go_lb_zone')} is set (${config.zone}) but eb_go_lb_etcd_host is not: golb serves the weights file ${config.weightsFile}; the Go seed defaulted to etcd at ${SEED_ETCD_DEFAULT} (set eb_go_lb_etcd_host=${SEED_ETCD_DEFAULT} to keep that)`,
    });
  }
  if (setBy.has('weightsFile') && withEtcd) {
    out.push({
      code: 'weights_file_unused',
      message: `${name('weightsFile', 'eb_go_lb_weights_file')} is set but ${name('etcdHosts', 'eb_go_lb_etcd_host')} makes etcd the weight source: the file ${config.weightsFile} is not read`,
    });
  }
  if (config.db !== undefined && config.db !== 'k8s') {
    out.push({
      code: 'fnlb_db',
      message: `${name('db', 'eb_go_lb_db')}: fnlb's SQL store is not used; the node pool lives in etcd when eb_go_lb_etcd_host is set, else in memory (seeded by --nodes)`,
    });
  }
  if (config.zipkin !== undefined) {
    out.push({
      code: 'fnlb_zipkin',
      message: `${name('zipkin', 'eb_go_lb_zipkin')}: golb does not send Zipkin traces; use the access log (eb_go_lb_access_log) and /metrics (per-function and per-backend latency) instead`,
    });
  }
  if (config.db === 'k8s' && config.nodes.length > 0) {
    out.push({
      code: 'nodes_ignored',
      message: `${name('nodes', 'eb_go_lb_nodes')} is ignored: with ${name('db', 'eb_go_lb_db')} k8s the node pool is the selected pods (as in fnlb)`,
    });
  }
  const unusedKube = KUBERNETES_ONLY.filter((key) => setBy.has(key)).map((key) => setBy.get(key));
  if (unusedKube.length > 0 && config.db !== 'k8s' && !config.k8sFunctions) {
    out.push({
      code: 'kubernetes_settings_unused',
      message: `${unusedKube.join(', ')}: ignored, golb follows no pods without --db k8s or --k8s-functions`,
    });
  }
  return out;
}
