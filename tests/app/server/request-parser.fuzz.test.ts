// Differential fuzz of the request parser against Node's llhttp (docs/fuzzing.md):
// the fixed-seed slice; `npm run fuzz` runs more.
import { comparatorSuite, fuzzSuite } from '../../support/fuzz/fuzz-suite.ts';

fuzzSuite('request', 3000);
comparatorSuite();
