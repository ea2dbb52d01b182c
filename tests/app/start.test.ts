import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Hono } from 'hono';
import { lazyWebApp } from '../../app/start.ts';

test('lazyWebApp builds the web app on the first request, once for concurrent ones, and again after a failed build', async () => {
  let builds = 0;
  let fail = true;
  const handler = lazyWebApp(async () => {
    builds++;
    if (fail) {
      fail = false;
      throw new Error('import failed');
    }
    const app = new Hono();
    app.get('/x', (c) => c.text('ok'));
    return app;
  });
  assert.equal(builds, 0, 'nothing is built before a request');
  const get = () => Promise.resolve(handler(new Request('http://gw/x'), undefined));
  await assert.rejects(get(), /import failed/);
  const answers = await Promise.all([get(), get(), get()]);
  for (const res of answers) assert.equal(await res.text(), 'ok');
  assert.equal(builds, 2, 'one failed build, then one for the three concurrent requests');
  assert.equal(await (await get()).text(), 'ok');
  assert.equal(builds, 2);
});
