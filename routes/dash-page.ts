/**
 * The dashboard page served at `/1/lb/dash`: one self-contained HTML document
 * (inline CSS and JavaScript, system fonts, no CDN, no external request but
 * `/1/lb/stats`). Every second it reads the stats and redraws: totals, then
 * per function its throughput and latency sparklines over the last minute and
 * a table of its backends with health, weight, requests in flight,
 * throughput, p50/p99 and a throughput sparkline. A function with more
 * backends than the stats list shows how many more there are and how many of
 * them are up (`?function=<fn>` lists them all).
 *
 * Data reaches the page only through `textContent` and canvas drawing, never
 * as markup. When management reads need the admin token, open the page as
 * `/1/lb/dash#token=<token>`: the fragment stays in the browser and the token
 * is sent as a bearer header with each stats request.
 * @module
 */

const STYLE = `
:root{--bg:#f5f6f8;--card:#fff;--fg:#1c2230;--muted:#667085;--line:#e3e6eb;--tp:#2563eb;--lat:#c2410c;--ok:#16a34a;--bad:#dc2626}
@media (prefers-color-scheme:dark){:root{--bg:#0f1218;--card:#181c25;--fg:#e5e8ee;--muted:#98a1b3;--line:#2a303c;--tp:#6ea1ff;--lat:#fb923c;--ok:#22c55e;--bad:#f87171}}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--fg);font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif}
header{display:flex;align-items:baseline;gap:14px;padding:14px 24px;background:var(--card);border-bottom:1px solid var(--line)}
header h1{font-size:18px;margin:0;letter-spacing:.02em}
.muted{color:var(--muted)}
.grow{flex:1}
main{padding:20px 24px;max-width:1240px;margin:0 auto}
#error{display:none;background:var(--bad);color:#fff;padding:8px 24px}
.tiles{display:grid;grid-template-columns:repeat(auto-fit,minmax(170px,1fr));gap:12px;margin-bottom:20px}
.tile{background:var(--card);border:1px solid var(--line);border-radius:8px;padding:12px 14px}
.tile .k{font-size:12px;color:var(--muted);text-transform:uppercase;letter-spacing:.04em}
.tile .v{font-size:26px;font-weight:600;font-variant-numeric:tabular-nums}
.fn{background:var(--card);border:1px solid var(--line);border-radius:8px;margin-bottom:18px;overflow:hidden}
.fn-head{display:flex;flex-wrap:wrap;align-items:center;gap:10px 22px;padding:12px 16px;border-bottom:1px solid var(--line)}
.fn-head h2{font-size:16px;margin:0}
.mono{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,"Liberation Mono",monospace}
.badge{font-size:11px;padding:1px 7px;border-radius:4px;border:1px solid var(--line);color:var(--muted)}
.fig{font-variant-numeric:tabular-nums;color:var(--muted)}
.fig b{color:var(--fg);font-weight:600}
.charts{display:flex;flex-wrap:wrap;gap:18px;padding:10px 16px;border-bottom:1px solid var(--line)}
.chart .k{font-size:12px;color:var(--muted)}
table{width:100%;border-collapse:collapse;table-layout:fixed}
th:nth-child(1){width:auto}th:nth-child(2){width:140px}th:nth-child(3){width:84px}th:nth-child(4),th:nth-child(5),th:nth-child(6){width:96px}th:nth-child(7){width:76px}th:nth-child(8){width:212px}
th,td{text-align:left;padding:7px 16px;overflow:hidden;text-overflow:ellipsis;border-bottom:1px solid var(--line);font-variant-numeric:tabular-nums;white-space:nowrap}
th{font-size:12px;font-weight:500;color:var(--muted)}
.num{text-align:right}
tr:last-child td{border-bottom:0}
.dot{display:inline-block;width:9px;height:9px;border-radius:50%;margin-right:8px;vertical-align:baseline}
.up{background:var(--ok)}.down{background:var(--bad)}
.down-label{margin-left:8px;font-size:11px;font-weight:600;color:var(--bad);text-transform:uppercase;letter-spacing:.04em}
.share{display:inline-block;width:64px;height:6px;background:var(--line);border-radius:3px;vertical-align:middle;margin-left:8px;overflow:hidden}
.share i{display:block;height:100%;background:var(--tp)}
canvas{display:block}
.empty{padding:40px;text-align:center;color:var(--muted)}
td.more{color:var(--muted)}
.reasons{display:flex;flex-wrap:wrap;gap:8px;margin:-8px 0 20px}
.reason{background:var(--card);border:1px solid var(--line);border-radius:6px;padding:3px 10px;font-variant-numeric:tabular-nums}
.reason b{font-weight:600;margin-left:6px}
`;

const SCRIPT = `
(function () {
  'use strict';
  var token = new URLSearchParams(location.hash.slice(1)).get('token');
  var headers = token ? { authorization: 'Bearer ' + token } : {};
  // Out of the address bar (and the history) once read.
  if (token) history.replaceState(null, '', location.pathname + location.search);
  var $ = function (id) { return document.getElementById(id); };
  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  }
  function rate(x) { return x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2); }
  function dur(s) {
    if (s === null || s === undefined) return '–';
    if (s < 0.001) return (s * 1e6).toFixed(0) + ' µs';
    if (s < 1) return (s * 1000).toFixed(s < 0.01 ? 2 : s < 0.1 ? 1 : 0) + ' ms';
    return s.toFixed(2) + ' s';
  }
  function int(n) { return n.toLocaleString('en-US'); }
  function color(name) { return getComputedStyle(document.documentElement).getPropertyValue(name).trim(); }

  // Per-second throughput and mean latency over the window's whole seconds (the
  // current one is still filling), from fnlb-style entries.
  function series(doc, keep) {
    var end = Math.floor(Date.parse(doc.time) / 1000) - 1, n = doc.window - 1, tp = [], sum = [], wait = [];
    for (var i = 0; i < n; i++) { tp.push(0); sum.push(0); }
    doc.stats.forEach(function (s) {
      if (!keep(s)) return;
      var k = Math.floor(Date.parse(s.timestamp) / 1000) - (end - n + 1);
      if (k < 0 || k >= n) return;
      tp[k] += s.tp;
      sum[k] += s.wait * s.tp;
    });
    for (var j = 0; j < n; j++) wait.push(tp[j] ? sum[j] / tp[j] : null);
    return { tp: tp, wait: wait };
  }

  // A sparkline of one value per second; null is a second without requests (a gap).
  function spark(values, width, height, stroke, fill) {
    var c = el('canvas'), dpr = window.devicePixelRatio || 1;
    c.width = width * dpr; c.height = height * dpr;
    c.style.width = width + 'px'; c.style.height = height + 'px';
    var g = c.getContext('2d');
    g.scale(dpr, dpr);
    var max = 0;
    values.forEach(function (v) { if (v !== null && v > max) max = v; });
    var step = width / (values.length - 1), y = function (v) { return height - 2 - (max ? (v / max) * (height - 4) : 0); };
    g.strokeStyle = color('--line'); g.beginPath(); g.moveTo(0, height - 0.5); g.lineTo(width, height - 0.5); g.stroke();
    if (fill) {
      g.globalAlpha = 0.12; g.fillStyle = stroke; g.beginPath(); g.moveTo(0, height);
      values.forEach(function (v, i) { g.lineTo(i * step, y(v || 0)); });
      g.lineTo(width, height); g.closePath(); g.fill(); g.globalAlpha = 1;
    }
    g.strokeStyle = stroke; g.fillStyle = stroke; g.lineWidth = 1.5; g.beginPath();
    var last = null;
    values.forEach(function (v, i) {
      if (v === null) { last = null; return; }
      if (last) g.lineTo(i * step, y(v)); else g.moveTo(i * step, y(v));
      last = [i * step, y(v)];
    });
    g.stroke();
    values.forEach(function (v, i) {
      var lone = v !== null && (i === 0 || values[i - 1] === null) && (i === values.length - 1 || values[i + 1] === null);
      if (lone) { g.beginPath(); g.arc(i * step, y(v), 1.5, 0, 7); g.fill(); }
    });
    if (last) { g.beginPath(); g.arc(last[0], last[1], 2.5, 0, 7); g.fill(); }
    return c;
  }

  function tile(id, text) { $(id).textContent = text; }

  function render(doc) {
    $('where').textContent = 'node ' + doc.node + ' · zone ' + doc.zone;
    $('updated').textContent = 'updated ' + new Date(doc.time).toLocaleTimeString() + ' · every 1 s · last ' + doc.window + ' s';
    var rps = 0, requests = 0, errors = 0, health = {}, unlisted = 0, unlistedUp = 0;
    var root = $('functions'), cards = [];
    doc.functions.forEach(function (f) {
      rps += f.rps; requests += f.requests; errors += f.errors;
      var card = el('section', 'fn');
      card.dataset.func = f.func;
      var head = el('div', 'fn-head');
      head.append(el('h2', 'mono', f.func), el('span', 'badge', f.strategy));
      [['req/s', rate(f.rps)], ['requests', int(f.requests)], ['p50', dur(f.p50)], ['p99', dur(f.p99)], ['errors', int(f.errors)]].forEach(function (p) {
        var s = el('span', 'fig', p[0] + ' ');
        s.append(el('b', '', p[1]));
        head.append(s);
      });
      var all = series(doc, function (s) { return s.func === f.func; });
      var charts = el('div', 'charts');
      var peakTp = Math.max.apply(null, all.tp), peakWait = Math.max.apply(null, all.wait.map(function (v) { return v || 0; }));
      [['throughput, req/s · peak ' + rate(peakTp), all.tp, '--tp', true], ['mean latency · peak ' + dur(peakWait || null), all.wait, '--lat', false]].forEach(function (p) {
        var box = el('div', 'chart');
        box.append(el('div', 'k', p[0]), spark(p[1], 520, 56, color(p[2]), p[3]));
        charts.append(box);
      });
      var table = el('table'), hr = el('tr');
      ['backend', 'weight', 'in flight', 'req/s', 'p50', 'p99', 'errors', 'last minute'].forEach(function (h, i) {
        hr.append(el('th', i >= 2 && i <= 6 ? 'num' : '', h));
      });
      table.append(hr);
      var total = f.backends.reduce(function (a, b) { return a + b.weight; }, 0);
      f.backends.forEach(function (b) {
        health[b.node] = b.up;
        var tr = el('tr');
        tr.dataset.node = b.node;
        var name = el('td', 'mono');
        var dot = el('span', 'dot ' + (b.up ? 'up' : 'down'));
        dot.title = b.up ? 'up' : 'down';
        name.append(dot, b.node + (b.gateway ? ' (gateway)' : ''));
        if (!b.up) name.append(el('span', 'down-label', 'down'));
        var w = el('td', '', String(b.weight)), bar = el('span', 'share'), fill = el('i');
        fill.style.width = (total ? (100 * b.weight) / total : 0).toFixed(1) + '%';
        bar.append(fill); w.append(bar);
        var line = el('td');
        line.append(spark(series(doc, function (s) { return s.func === f.func && s.node === b.node; }).tp, 180, 24, color('--tp'), true));
        tr.append(name, w, el('td', 'num', String(b.inFlight)), el('td', 'num rps', rate(b.rps)), el('td', 'num', dur(b.p50)), el('td', 'num', dur(b.p99)), el('td', 'num', int(b.errors)), line);
        table.append(tr);
      });
      if (f.truncated) {
        var hidden = f.backendsTotal - f.backends.length;
        var hiddenUp = f.backendsUp - f.backends.filter(function (b) { return b.up; }).length;
        unlisted += hidden; unlistedUp += hiddenUp;
        var more = el('tr'), cell = el('td', 'more', '+ ' + int(hidden) + ' more backends, ' + int(hiddenUp) + ' up (all of them: stats?function=' + f.func + ')');
        cell.colSpan = 8;
        more.append(cell);
        table.append(more);
      }
      card.append(head, charts, table);
      cards.push(card);
    });
    if (cards.length === 0) cards.push(el('div', 'empty', 'No functions in the weights table.'));
    root.replaceChildren.apply(root, cards);
    tile('total-rps', rate(rps));
    tile('total-requests', int(requests));
    tile('total-errors', int(errors));
    // golb's own answers (an unknown function, a bad request, no backend, …): no backend's error, but the client saw them.
    var rejected = doc.rejected || {}, reasons = Object.keys(rejected), chips = [];
    tile('total-rejected', int(reasons.reduce(function (n, r) { return n + rejected[r]; }, 0)));
    reasons.forEach(function (r) {
      var chip = el('span', 'reason mono', r + ' ');
      chip.dataset.reason = r;
      chip.title = 'answered by golb itself in the last minute';
      chip.append(el('b', '', int(rejected[r])));
      chips.push(chip);
    });
    var box = $('rejections');
    box.replaceChildren.apply(box, chips);
    var nodes = Object.keys(health);
    tile('backends-up', int(nodes.filter(function (n) { return health[n]; }).length + unlistedUp) + ' / ' + int(nodes.length + unlisted));
    tile('function-count', String(doc.functions.length));
  }

  // The stats entries seen so far, by function, backend and second: after the
  // first poll only the last two seconds are asked for again (the newest was
  // still filling), so a poll stays small however many functions there are.
  var entries = new Map(), since = null;
  function merge(doc) {
    var end = Math.floor(Date.parse(doc.time) / 1000);
    doc.stats.forEach(function (s) { entries.set(s.func + ' ' + s.node + ' ' + s.timestamp, s); });
    entries.forEach(function (s, key) { if (Date.parse(s.timestamp) / 1000 <= end - doc.window) entries.delete(key); });
    doc.stats = Array.from(entries.values());
    since = end - 1;
    return doc;
  }

  function tick() {
    fetch('stats' + (since === null ? '' : '?since=' + since), { headers: headers, cache: 'no-store' })
      .then(function (r) { if (!r.ok) throw new Error('stats answered ' + r.status); return r.json(); })
      .then(function (doc) { $('error').style.display = 'none'; render(merge(doc)); })
      .catch(function (e) { $('error').textContent = 'Cannot read /1/lb/stats: ' + e.message; $('error').style.display = 'block'; })
      .finally(function () { setTimeout(tick, 1000); });
  }
  tick();
})();
`;

/** The dashboard document. */
export const DASH_PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1">
<title>golb dashboard</title>
<link rel="icon" href="data:,">
<style>${STYLE}</style>
</head>
<body>
<header><h1>golb</h1><span id="where" class="muted"></span><span class="grow"></span><span id="updated" class="muted">connecting…</span></header>
<div id="error"></div>
<main>
<section class="tiles">
<div class="tile"><div class="k">Requests / s</div><div class="v" id="total-rps">–</div></div>
<div class="tile"><div class="k">Requests, last minute</div><div class="v" id="total-requests">–</div></div>
<div class="tile"><div class="k">Backend errors, last minute</div><div class="v" id="total-errors">–</div></div>
<div class="tile"><div class="k">Rejected by golb, last minute</div><div class="v" id="total-rejected">–</div></div>
<div class="tile"><div class="k">Backends up</div><div class="v" id="backends-up">–</div></div>
<div class="tile"><div class="k">Functions</div><div class="v" id="function-count">–</div></div>
</section>
<section class="reasons" id="rejections" aria-label="rejected by golb, by reason"></section>
<div id="functions"></div>
</main>
<script>${SCRIPT}</script>
</body>
</html>
`;
