import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isFunctionName, parseFunctionTarget } from '../../app/function-name.ts';

test('name grammar', () => {
  for (const ok of ['a', 'hello', 'A1', 'resnet-50', 'fn_1.v2', '9', 'a'.repeat(253)]) assert.ok(isFunctionName(ok), ok);
  for (const bad of ['', '-a', '.a', '_a', 'a/b', 'a%2fb', 'a b', 'a'.repeat(254), 'ä', 'a:b', '..']) assert.ok(!isFunctionName(bad), bad);
});

test('pod target strips the prefix and keeps the query', () => {
  const cases: [string, string, string][] = [
    ['/function/fn/bench?x=1', 'fn', '/bench?x=1'],
    ['/function/fn', 'fn', '/'],
    ['/function/fn/', 'fn', '/'],
    ['/function/fn?y=2', 'fn', '/?y=2'],
    ['/function/fn/a/b?x=1&y=2', 'fn', '/a/b?x=1&y=2'],
    ['/function/fn/a%2fb', 'fn', '/a%2fb'],
    // A double slash in the rest is path, not an authority.
    ['/function/fn//x//y?z=//', 'fn', '//x//y?z=//'],
  ];
  for (const [url, fn, target] of cases) {
    const p = parseFunctionTarget(url);
    assert.equal(p?.fn, fn, url);
    assert.equal(p?.podTarget, target, url);
    assert.equal(p?.fullTarget, url, url);
  }
});

test('encoded slashes or dots in the name are refused, as is an empty name', () => {
  for (const url of ['/function/a%2fb/x', '/function/a%2Eb', '/function/%2e%2e/x', '/function/', '/function//x', '/functions/a', 'http://h/function/a']) {
    assert.equal(parseFunctionTarget(url), undefined, url);
  }
});
