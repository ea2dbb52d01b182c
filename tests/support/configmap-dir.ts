/**
 * A directory laid out as Kubernetes mounts a ConfigMap volume, and the
 * update kubelet makes to it: each version in a `..<timestamp>` directory,
 * `..data` a symbolic link to the current one, and each key a symbolic link
 * through it (`weights.json -> ..data/weights.json`). An update writes a new
 * version directory, points a new `..data_tmp` link at it and renames that
 * over `..data` (one atomic step), then removes the old version.
 * @module
 */
import { lstatSync, mkdirSync, readdirSync, readlinkSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** A ConfigMap-style directory. */
export interface ConfigMapDir {
  dir: string;
  /** The path golb is given: `<dir>/weights.json`, a link. */
  file: string;
  /** The version directory `..data` points at now. */
  current(): string;
  /** kubelet's atomic update to new contents. */
  update(weights: unknown): void;
  /** Every entry of the directory with what it is: `weights.json -> ..data/weights.json`, `..2026_…/` or a plain name. */
  listing(): string[];
}

/** Lays out `dir` as a ConfigMap with one key, `weights.json`. */
export function configMapDir(dir: string, weights: unknown): ConfigMapDir {
  let version = 0;
  let current = '';
  const writeVersion = (value: unknown): string => {
    const name = `..2026_12_07_10_00_0${version++}.${process.pid}`;
    mkdirSync(join(dir, name));
    writeFileSync(join(dir, name, 'weights.json'), typeof value === 'string' ? value : JSON.stringify(value));
    return name;
  };
  current = writeVersion(weights);
  symlinkSync(current, join(dir, '..data'));
  symlinkSync('..data/weights.json', join(dir, 'weights.json'));
  return {
    dir,
    file: join(dir, 'weights.json'),
    current: () => current,
    update(value) {
      const old = current;
      current = writeVersion(value);
      symlinkSync(current, join(dir, '..data_tmp'));
      renameSync(join(dir, '..data_tmp'), join(dir, '..data'));
      rmSync(join(dir, old), { recursive: true, force: true });
    },
    listing: () =>
      readdirSync(dir)
        .sort()
        .map((name) => {
          const st = lstatSync(join(dir, name));
          if (st.isSymbolicLink()) return `${name} -> ${readlinkSync(join(dir, name))}`;
          return st.isDirectory() ? `${name}/` : name;
        }),
  };
}
