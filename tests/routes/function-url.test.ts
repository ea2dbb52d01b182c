import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseFunctionUrl } from '../../routes/function-proxy.ts';
import { isFunctionName } from '../../app/function-name.ts';

test('name grammar', () => {
  for (const ok of ['a', 'hello', 'A1', 'resnet-50', 'fn_1.v2', '9', 'a'.repeat(253)]) assert.ok(isFunctionName(ok), ok);
  for (const bad of ['', '-a', '.a', '_a', 'a/b', 'a%2fb', 'a b', 'a'.repeat(254), 'ä', 'a:b', '..']) assert.ok(!isFunctionName(bad), bad);
});

test('pod target strips the prefix and keeps the query', () => {
  const cases: [string, string, string][] = [
    ['http://h/function/fn/bench?x=1', 'fn', '/bench?x=1'],
    ['http://h/function/fn', 'fn', '/'],
    ['http://h/function/fn/', 'fn', '/'],
    ['http://h/function/fn?y=2', 'fn', '/?y=2'],
    ['http://h:8080/function/fn/a/b?x=1&y=2', 'fn', '/a/b?x=1&y=2'],
    ['http://h/function/fn/a%2fb', 'fn', '/a%2fb'],
  ];
  for (const [url, fn, target] of cases) {
    const p = parseFunctionUrl(url);
    assert.equal(p?.fn, fn, url);
    assert.equal(p?.podTarget, target, url);
    assert.equal(p?.fullTarget, url.slice(url.indexOf('/function')), url);
  }
});

test('encoded slashes or dots in the name are refused, as is an empty name', () => {
  for (const url of ['http://h/function/a%2fb/x', 'http://h/function/a%2Eb', 'http://h/function/%2e%2e/x', 'http://h/function/', 'http://h/function//x', 'http://h/functions/a']) {
    assert.equal(parseFunctionUrl(url), undefined, url);
  }
});
