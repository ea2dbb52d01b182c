/**
 * What golb keeps of a pod: the few fields that decide whether it takes new
 * requests and for which function. Pure: the watch loop hands it the pod
 * objects the API server sends.
 *
 * A pod takes new requests while it is Ready (its `Ready` condition is
 * `True`), has an IP and is not terminating (no `deletionTimestamp`); fnlb
 * looked at the phase only, so a terminating or unready pod kept traffic.
 * @module
 */

/** The part of a pod object golb reads (`core/v1` Pod). */
export interface PodObject {
  metadata?: {
    uid?: string;
    name?: string;
    namespace?: string;
    resourceVersion?: string;
    deletionTimestamp?: string | null;
    labels?: Record<string, string>;
  };
  spec?: { containers?: { image?: string }[] };
  status?: { podIP?: string; phase?: string; conditions?: { type?: string; status?: string }[] };
}

/** A pod as golb keeps it, keyed by its UID (names are reused; fnlb's selfLink is empty since 1.20). */
export interface PodView {
  uid: string;
  name: string;
  ip: string | undefined;
  ready: boolean;
  terminating: boolean;
  /** The function it serves when functions come from pods; undefined otherwise or when it names none. */
  fn: string | undefined;
}

/** Whether a pod gets new requests. */
export const takesRequests = (p: PodView): boolean => p.ready && p.ip !== undefined && !p.terminating;

/**
 * The function an image runs, as edgerun's README says ("a Pod that runs an
 * image with the same name"): the repository's last path element, without
 * registry, tag or digest. `registry:5000/team/hello:1.2@sha256:…` → `hello`.
 */
export function imageFunctionName(image: string): string | undefined {
  const noDigest = image.split('@')[0] ?? '';
  const last = noDigest.split('/').pop() ?? '';
  const name = last.split(':')[0] ?? '';
  return name === '' ? undefined : name;
}

/** How a pod's function is named: by a label, else by its first container's image; undefined: functions are not taken from pods. */
export type FunctionNaming = { label: string | undefined } | undefined;

/** The view of a pod object; undefined when it has no UID. */
export function viewPod(pod: PodObject, naming: FunctionNaming): PodView | undefined {
  const uid = pod.metadata?.uid;
  if (uid === undefined || uid === '') return undefined;
  const ready = (pod.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');
  const ip = pod.status?.podIP || undefined;
  let fn: string | undefined;
  if (naming !== undefined) {
    if (naming.label !== undefined) fn = pod.metadata?.labels?.[naming.label] || undefined;
    else {
      const image = pod.spec?.containers?.[0]?.image;
      fn = image === undefined ? undefined : imageFunctionName(image);
    }
  }
  return {
    uid,
    name: pod.metadata?.name ?? '',
    ip,
    ready,
    terminating: pod.metadata?.deletionTimestamp != null,
    fn,
  };
}

/** `ip:port`, with brackets for IPv6. */
export function podAddress(ip: string, port: number): string {
  return ip.includes(':') ? `[${ip}]:${port}` : `${ip}:${port}`;
}
