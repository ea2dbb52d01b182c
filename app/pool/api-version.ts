/**
 * fnlb's `-min-api-version` for golb's node pool (`eb_go_lb_min_api_version`):
 * a pool node is used only while its health path (`/version`, as an Fn server
 * answers it) says `{"version": "x.y.z"}` with at least that version, so a
 * node running an older Fn server, or something that is not an Fn server at
 * all, gets no traffic. The check reads the probe's answer
 * (`health/active.ts`'s `checkBody`); a version is compared as semantic
 * versions are: numerically part by part, a pre-release (`1.0.0-rc1`) below
 * its release. One spelling rule for the setting and the nodes' answers: a
 * leading `v` is accepted (`v0.1.0` is 0.1.0, as Go tools write versions), a
 * part with a leading zero (`01.2.3`) is not a version (semantic versioning
 * forbids it, and reading it as 1.2.3 would hide a typo). The messages name
 * the path whose answer was read, since the check reads `--hc-path`'s answer
 * (`/version` unless set).
 * @module
 */

/** A parsed version: major, minor, patch, and whether it is a pre-release. */
interface Version {
  parts: [number, number, number];
  preRelease: boolean;
}

/** One part of a version: 0, or up to 9 digits without a leading zero. */
const PART = '(0|[1-9]\\d{0,8})';
/** `x.y.z` with an optional leading `v`, pre-release (`-rc1`) and build metadata (`+abc`). */
const VERSION = new RegExp(`^v?${PART}\\.${PART}\\.${PART}(-[0-9A-Za-z.-]+)?(\\+[0-9A-Za-z.-]+)?$`);
/** A minimum (`--min-api-version`): a release, `x.y.z` with an optional leading `v`. */
export const MIN_VERSION = new RegExp(`^v?${PART}\\.${PART}\\.${PART}$`);

/** Parses `x.y.z`, optionally with a leading `v`, a pre-release (`-rc1`) and build metadata (`+abc`); a leading zero in a part is refused. */
export function parseVersion(raw: string): Version | undefined {
  const m = VERSION.exec(raw.trim());
  if (!m) return undefined;
  return { parts: [Number(m[1]), Number(m[2]), Number(m[3])], preRelease: m[4] !== undefined };
}

/** Whether `version` is at least `min` (a release). */
function atLeast(version: Version, min: Version): boolean {
  for (let i = 0; i < 3; i++) {
    const a = version.parts[i]!;
    const b = min.parts[i]!;
    if (a !== b) return a > b;
  }
  return !version.preRelease || min.preRelease;
}

/**
 * The check of a health answer's body against `min` (`x.y.z`): undefined when
 * the node may be used, else why not, naming `path` (the probed `--hc-path`).
 * @throws {Error} when `min` is not a version (the configuration checked it).
 */
export function apiVersionCheck(min: string, path: string): (body: string) => string | undefined {
  const minimum = parseVersion(min);
  if (minimum === undefined) throw new Error(`not a version: ${min}`);
  const set = `--min-api-version ${min} reads the answer of --hc-path ${path}`;
  return (body) => {
    let version: unknown;
    try {
      version = (JSON.parse(body) as { version?: unknown } | null)?.version;
    } catch {
      return `its answer to GET ${path} is not JSON {"version": "x.y.z"} (${set})`;
    }
    const parsed = typeof version === 'string' ? parseVersion(version) : undefined;
    if (parsed === undefined) return `its answer to GET ${path} has no version x.y.z (got ${JSON.stringify(version ?? null).slice(0, 40)}; ${set})`;
    return atLeast(parsed, minimum) ? undefined : `its API version ${String(version)} is below --min-api-version ${min}`;
  };
}
