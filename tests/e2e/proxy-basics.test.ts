/**
 * The proxy route end to end on each runtime: weighted rotation, path
 * stripping, forwarding headers, JSON errors.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { RUNTIMES, startBackend, startGolb, type Backend, type GolbProcess } from '../support/harness.ts';

for (const runtime of RUNTIMES) {
  describe(`proxy basics on ${runtime}`, () => {
    let a: Backend;
    let b: Backend;
    let golb: GolbProcess;

    before(async () => {
      [a, b] = await Promise.all([startBackend(), startBackend()]);
      golb = await startGolb(runtime, { weights: { hello: { ips: [a.address, b.address], weights: [2, 1] } } });
    });
    after(async () => {
      assert.equal(await golb.stop(), 0, 'golb exits 0 on SIGTERM');
      await Promise.all([a.close(), b.close()]);
    });

    test('2:1 weights give exactly 2:1 over 30 requests, prefix stripped, query kept', async () => {
      const ports: number[] = [];
      for (let i = 0; i < 30; i++) {
        const r = await fetch(`${golb.url}/function/hello/x/y?q=1&r=2`);
        assert.equal(r.status, 200);
        const body = (await r.json()) as { port: number; url: string };
        assert.equal(body.url, '/x/y?q=1&r=2');
        ports.push(body.port);
      }
      assert.equal(ports.filter((p) => p === a.port).length, 20);
      assert.equal(ports.filter((p) => p === b.port).length, 10);
    });

    test('no rest path gives /, a bare query gives /?q', async () => {
      const r1 = (await (await fetch(`${golb.url}/function/hello`)).json()) as { url: string };
      assert.equal(r1.url, '/');
      const r2 = (await (await fetch(`${golb.url}/function/hello?z=9`)).json()) as { url: string };
      assert.equal(r2.url, '/?z=9');
    });

    test('forwarding headers: Host, X-Forwarded-*, Via, X-Final-Host', async () => {
      const r = await fetch(`${golb.url}/function/hello/h`, { headers: { 'x-forwarded-for': '10.9.9.9', via: '1.0 edge' } });
      const body = (await r.json()) as { port: number; headers: Record<string, string> };
      const h = body.headers;
      assert.equal(h.host, `127.0.0.1:${body.port}`);
      assert.equal(h['x-forwarded-host'], `127.0.0.1:${golb.port}`);
      assert.equal(h['x-forwarded-for'], '10.9.9.9, 127.0.0.1');
      assert.equal(h['x-forwarded-proto'], 'http');
      assert.equal(h.via, `1.0 edge, 1.1 golb-${runtime}`);
      assert.equal(h['x-final-host'], `127.0.0.1:${body.port}`);
      assert.match(h[`x-forwarded-host-golb-${runtime}`] ?? '', /^\d+\.\d{7}$/);
      assert.equal(r.headers.get('x-final-host'), `127.0.0.1:${body.port}`);
      assert.match(r.headers.get(`x-forwarded-host-golb-${runtime}`) ?? '', /^\d+\.\d{7}$/);
    });

    test('unknown function is 404 JSON; bad names are 400 JSON', async () => {
      const r = await fetch(`${golb.url}/function/nope/`);
      assert.equal(r.status, 404);
      assert.match(r.headers.get('content-type') ?? '', /application\/json/);
      const body = (await r.json()) as Record<string, string>;
      assert.equal(body.error, 'unknown_function');
      assert.equal(body.function, 'nope');
      assert.equal(body.node, `golb-${runtime}`);
      for (const bad of ['/function/a%2fb/x', '/function/a%2eb', '/function/-x', '/function/a%3Cscript%3E', '/function/']) {
        const res = await fetch(golb.url + bad);
        assert.equal(res.status, 400, bad);
        const text = await res.text();
        assert.doesNotMatch(text, /<script/i);
        assert.equal(JSON.parse(text).error, 'bad_request');
      }
    });
  });
}
