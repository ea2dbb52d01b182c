/**
 * Management writes to the weights file (`PUT`/`DELETE /1/lb/functions/<fn>`
 * without etcd): a read-modify-write, replaced atomically (a temporary file
 * beside it with the original's mode, then a rename).
 *
 * A write must never break whoever owns the file. So before anything is
 * written, when the write is requested, the file is checked, and a write is
 * refused ({@link WeightsFileRefused}, answered 409) when:
 * - the file, or the directory it sits in, is a symbolic link: a Kubernetes
 *   ConfigMap mount is `weights.json -> ..data/weights.json` and
 *   `..data -> ..<timestamp>/`; a rename would replace the link with a plain
 *   file, and every later ConfigMap update would be lost (kubelet swaps
 *   `..data`, which the plain file no longer follows);
 * - the file or its directory cannot be written: a read-only mount (EROFS),
 *   no permission (EACCES), or a file without any write bit (mode 0444),
 *   which says "do not write" even to root, whom permissions do not stop;
 * - the file is not a JSON object right now (an operator's edit in
 *   progress), or it changed between the read and the rename.
 * A write that passes the checks and fails anyway is a
 * {@link WeightsFileWriteFailed} (answered 500) naming the path and the
 * errno, e.g. `cannot write /etc/golb/weights.json: EACCES`.
 * @module
 */
import { constants, promises as fsp } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { readWeightsFile } from './weights-file-read.ts';

/** What to do instead, appended to every refusal. */
const INSTEAD = 'edit the file (or the ConfigMap it comes from) instead, or run golb with etcd (eb_go_lb_etcd_host) to write weights through the API';

/** A write refused because of the file's state (409); the message says why and what to do instead. */
export class WeightsFileRefused extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WeightsFileRefused';
  }
}

/** A write that was tried and failed (500); the message names the path and the errno. */
export class WeightsFileWriteFailed extends Error {
  constructor(action: 'read' | 'write', path: string, err: unknown) {
    super(`cannot ${action} ${path}: ${errnoOf(err)}`);
    this.name = 'WeightsFileWriteFailed';
  }
}

/** An error's errno name (`EACCES`), or its message when it has none. */
function errnoOf(err: unknown): string {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return typeof code === 'string' ? code : err instanceof Error ? err.message : String(err);
}

/** Why `access(W_OK)` failed, in words. */
function notWritable(what: string, err: unknown): string {
  const code = errnoOf(err);
  if (code === 'EROFS') return `${what} is on a read-only file system (EROFS)`;
  if (code === 'EACCES' || code === 'EPERM') return `golb may not write ${what} (${code})`;
  return '';
}

/**
 * Why a management write to `path` must be refused, or undefined when it may
 * go ahead. Checks the file as it is now (lstat, access); see the module comment.
 * @throws {WeightsFileWriteFailed} when the file cannot even be looked at (other than missing)
 */
export async function writeRefusal(path: string): Promise<string | undefined> {
  const dir = dirname(path);
  const file = await fsp.lstat(path).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return undefined;
    throw new WeightsFileWriteFailed('read', path, err);
  });
  if (file?.isSymbolicLink()) {
    return `the weights file ${path} is a symbolic link (a Kubernetes ConfigMap mount?): a write would replace the link with a plain file and lose every later update of its source; ${INSTEAD}`;
  }
  const folder = await fsp.lstat(dir).catch(() => undefined);
  if (folder?.isSymbolicLink()) {
    return `the weights file's directory ${dir} is a symbolic link (a ConfigMap's ..data?): a write there is lost at the next update of its source; ${INSTEAD}`;
  }
  if (file !== undefined && (file.mode & 0o222) === 0) {
    return `the weights file ${path} is read-only (mode ${(file.mode & 0o777).toString(8).padStart(4, '0')}); ${INSTEAD}`;
  }
  for (const [target, what] of [[path, `the weights file ${path}`], [dir, `the weights file's directory ${dir}`]] as const) {
    if (target === path && file === undefined) continue;
    const why = await fsp.access(target, constants.W_OK).then(() => '', (err: unknown) => notWritable(what, err));
    if (why !== '') return `${why}; ${INSTEAD}`;
  }
  return undefined;
}

/**
 * Rewrites the weights file with `change` applied to its object, after
 * {@link writeRefusal}'s checks; see the module comment.
 * @param tmpSuffix makes the temporary file's name this process's own (`.weights.json.<suffix>.tmp`)
 * @throws {WeightsFileRefused} or {@link WeightsFileWriteFailed}
 */
export async function rewriteWeightsFile(path: string, change: (doc: Record<string, unknown>) => void, tmpSuffix: string): Promise<void> {
  const refusal = await writeRefusal(path);
  if (refusal !== undefined) throw new WeightsFileRefused(refusal);
  let text: string | undefined;
  let mode = 0o644;
  const found = await readWeightsFile(path);
  if (found.kind === 'refused') throw new WeightsFileRefused(`the weights file ${path} ${found.why} (${found.detail}): not overwritten`);
  if (found.kind === 'unreadable') throw new WeightsFileWriteFailed('read', path, found.error);
  if (found.kind === 'text') {
    text = found.text;
    mode = (await fsp.stat(path).catch((err: unknown) => { throw new WeightsFileWriteFailed('read', path, err); })).mode & 0o7777;
  }
  let doc: Record<string, unknown> = {};
  if (text !== undefined && text.trim() !== '') {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw new WeightsFileRefused(`the weights file ${path} is not valid JSON now (an edit in progress?): not overwritten`);
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new WeightsFileRefused(`the weights file ${path} does not hold a JSON object: not overwritten`);
    doc = parsed as Record<string, unknown>;
  }
  change(doc);
  const tmp = join(dirname(path), `.${basename(path)}.${tmpSuffix}.tmp`);
  try {
    await fsp.writeFile(tmp, JSON.stringify(doc, null, 2) + '\n', { mode });
    const now = await fsp.readFile(path, 'utf8').catch(() => undefined);
    if (now !== text) throw new WeightsFileRefused(`the weights file ${path} changed while it was being rewritten: not overwritten`);
    await fsp.rename(tmp, path);
  } catch (err) {
    await fsp.unlink(tmp).catch(() => undefined);
    if (err instanceof WeightsFileRefused) throw err;
    throw new WeightsFileWriteFailed('write', path, err);
  }
}
