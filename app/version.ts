/**
 * golb's version: what `golb --version`, the `golb_build_info` metric and the
 * compiled binary report. It is package.json's `version` and the newest
 * entry of CHANGELOG.md; a test holds the three together.
 * @module
 */

/** The release this code is. */
export const VERSION = '0.2.0';
