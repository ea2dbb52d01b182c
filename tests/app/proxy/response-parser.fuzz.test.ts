// Differential fuzz of the response parser against Node's llhttp (docs/fuzzing.md):
// the fixed-seed slice; `npm run fuzz` runs more.
import { fuzzSuite } from '../../support/fuzz/fuzz-suite.ts';

fuzzSuite('response', 5000);
