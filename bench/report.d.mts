/** Types of the parts of report.mjs the unit tests use. */
/** The median of numbers (the mean of the middle two for an even count). */
export declare function median(values: readonly number[]): number;
/** The order of one round's runs: nginx before and after every other target, the others rotated by `round`. */
export declare function roundOrder(names: readonly string[], round: number): string[];
/** Each run's ratio to the mean of the nginx runs just before and after it, per target name. */
export declare function bracketedRatios<R>(timeline: readonly { name: string; run: R }[], value: (run: R) => number, reference?: string): Map<string, number[]>;
