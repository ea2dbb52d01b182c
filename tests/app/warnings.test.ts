import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createLogger } from '../../app/logger.ts';
import { Warnings } from '../../app/warnings.ts';
import { readiness } from '../../routes/probes.ts';

function recording() {
  const lines: string[] = [];
  const logger = createLogger({ mode: 'prod', node: 'n', write: (line: string) => lines.push(line) });
  return { lines, warnings: new Warnings(logger) };
}

test('a warning is logged at WARN once, listed while in force, and its clearing is logged', () => {
  const { lines, warnings } = recording();
  warnings.raise('no_functions', 'no function after the first load', { source: 'embedded' });
  warnings.raise('no_functions', 'no function after the first load');
  assert.equal(lines.length, 1);
  assert.match(lines[0]!, /"level":"warn".*no function after the first load.*"warning":"no_functions"/);
  assert.deepEqual(warnings.list(), [{ code: 'no_functions', message: 'no function after the first load' }]);
  warnings.clear('no_functions');
  warnings.clear('no_functions');
  assert.deepEqual(warnings.list(), []);
  assert.equal(lines.length, 2);
  assert.match(lines[1]!, /warning cleared/);
});

test("/readyz's body lists the warnings in force; they do not change its status", () => {
  const { warnings } = recording();
  const deps = { source: { ready: true, kind: 'embedded' }, table: { size: 0 }, discovery: undefined, warnings } as unknown as Parameters<typeof readiness>[0];
  assert.deepEqual(JSON.parse(readiness(deps).body), { status: 'ready', source: 'embedded', functions: 0 });
  warnings.raise('no_functions', 'no function after the first load');
  const answer = readiness(deps);
  assert.equal(answer.status, 200);
  assert.deepEqual(JSON.parse(answer.body).warnings, [{ code: 'no_functions', message: 'no function after the first load' }]);
});
