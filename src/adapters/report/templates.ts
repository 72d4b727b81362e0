/**
 * The report's templates (eta, auto-escaping on: `<%= %>` escapes, `<%~ %>` is used only for
 * the constant style sheet and script and for other templates' output), its style sheet and
 * its one script. Nothing here loads anything from the network (docs/reports.md).
 */

export const STYLE = `
:root{--ref:#7b93b8;--cur:#e0702e;--unseen:#b3122e;--ep:rgba(214,40,40,.13);--ink:#1d2330;--mute:#5d6678;--line:#d9dde5;--bg:#f6f7f9}
*{box-sizing:border-box}
body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;color:var(--ink);background:var(--bg)}
header,main{max-width:1640px;margin:0 auto;padding:16px 24px}
h1{font-size:22px;margin:4px 0}h2{font-size:17px;margin:22px 0 8px}h3{font-size:15px;margin:0 0 6px;word-break:break-all}
a{color:#2558a8}
.verdict{display:inline-block;padding:6px 12px;border-radius:6px;font-weight:600;margin:8px 0}
.verdict.drift{background:#fde2e1;color:#8c1212}.verdict.ok{background:#e0f3e6;color:#17602f}.verdict.insufficient{background:#fff2cc;color:#6b5000}
dl.facts{display:grid;grid-template-columns:repeat(auto-fill,minmax(190px,1fr));gap:6px 18px;margin:8px 0}
dl.facts div{background:#fff;border:1px solid var(--line);border-radius:6px;padding:6px 10px}
dt{color:var(--mute);font-size:12px}dd{margin:0;font-weight:600;word-break:break-all}dd .instant{white-space:nowrap}
table{border-collapse:collapse;background:#fff;width:100%;font-size:13px}
th,td{border-bottom:1px solid var(--line);padding:4px 8px;text-align:right;white-space:nowrap}
th:first-child,td:first-child,td.text,th.text{text-align:left}
td:first-child{white-space:normal;word-break:break-all;max-width:340px}
thead th{position:sticky;top:0;background:#eef1f6;z-index:1}
th button{all:unset;cursor:pointer}th button:focus-visible{outline:2px solid #2558a8}
th[aria-sort=ascending] button::after{content:" ▲"}th[aria-sort=descending] button::after{content:" ▼"}
tr.drifted td{background:#fff3f2}tr.drifted td:first-child{box-shadow:inset 3px 0 #d62828}
.tablewrap{max-height:70vh;overflow:auto;border:1px solid var(--line);border-radius:6px}
.badge{display:inline-block;border-radius:4px;padding:0 6px;font-size:12px;font-weight:600;margin-left:4px}
.badge.drift{background:#d62828;color:#fff}.badge.critical{background:#6d0a0a;color:#fff}.badge.na{background:#e4e4e4;color:#444}
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(800px,1fr));gap:14px}
.card{background:#fff;border:1px solid var(--line);border-radius:8px;padding:12px;content-visibility:auto;contain-intrinsic-size:auto 300px}
.card.drifted{border-color:#e6a1a1}
.charts{display:flex;flex-wrap:wrap;gap:8px}
.chart figcaption{font-size:12px;color:var(--mute)}
figure{margin:0}
svg{display:block;overflow:visible}
svg text{font-size:10px;fill:var(--mute)}
.axis line,.grid line{stroke:var(--line)}
rect.bar.reference{fill:var(--ref)}rect.bar.current{fill:var(--cur)}
rect.bar.current.unseen{fill:var(--unseen);stroke:#000;stroke-width:.6;stroke-dasharray:2 1}
text.unseen{fill:var(--unseen);font-weight:700}
path.line{fill:none;stroke-width:1.6}path.line.reference{stroke:var(--ref)}path.line.current{stroke:var(--cur)}
path.line.score{stroke:#2558a8}path.line.threshold{stroke:#d62828;stroke-dasharray:5 3}
line.ks-gap{stroke:#111;stroke-width:2}
rect.episode{fill:var(--ep)}rect.bar.samples{fill:#9aa6bb}
circle.drifted{fill:#d62828}
.legend{font-size:12px;color:var(--mute);margin:4px 0}
.legend i{display:inline-block;width:10px;height:10px;margin:0 4px 0 10px;vertical-align:-1px}
.note{font-size:12px;color:var(--mute)}
.unseen-list{font-size:12px;color:var(--unseen);word-break:break-all}
footer{color:var(--mute);font-size:12px;max-width:1640px;margin:0 auto;padding:8px 24px 24px}
`;

/** Sorts the feature table: a click on a column header sorts by it, again reverses. Reads `data-v` (numbers) or the text. */
export const SCRIPT = `(function(){
var table=document.getElementById('features');if(!table)return;
var body=table.tBodies[0];var heads=table.tHead.rows[0].cells;
Array.prototype.forEach.call(heads,function(th,col){var b=th.querySelector('button');if(!b)return;
b.addEventListener('click',function(){var dir=th.getAttribute('aria-sort')==='ascending'?'descending':'ascending';
Array.prototype.forEach.call(heads,function(h){h.removeAttribute('aria-sort')});th.setAttribute('aria-sort',dir);
var num=th.dataset.type==='number';var rows=Array.prototype.slice.call(body.rows);
rows.sort(function(a,b){var x=a.cells[col].dataset.v,y=b.cells[col].dataset.v;
if(num){var u=x===''?null:Number(x),w=y===''?null:Number(y);if(u===null||w===null)return u===w?0:u===null?1:-1;return dir==='ascending'?u-w:w-u}
var c=String(x).localeCompare(String(y));return dir==='ascending'?c:-c});
rows.forEach(function(r){body.appendChild(r)})})})})();`;

const AXES = `<g class="axis"><line x1="<%= it.c.x0 %>" x2="<%= it.c.x0 %>" y1="<%= it.c.y0 %>" y2="<%= it.c.y1 %>"/><line x1="<%= it.c.x0 %>" x2="<%= it.c.x1 %>" y1="<%= it.c.y1 %>" y2="<%= it.c.y1 %>"/></g>
<g class="grid"><% it.c.yTicks.forEach(function(t){ %><line x1="<%= it.c.x0 - 3 %>" x2="<%= it.c.x0 %>" y1="<%= t.at %>" y2="<%= t.at %>"/><text x="<%= it.c.x0 - 5 %>" y="<%= t.at + 3 %>" text-anchor="end"><%= t.text %></text><% }) %>
<% it.c.xTicks.forEach(function(t){ %><line x1="<%= t.at %>" x2="<%= t.at %>" y1="<%= it.c.y1 %>" y2="<%= it.c.y1 + 3 %>"/><text x="<%= t.at %>" y="<%= it.c.y1 + 14 %>" text-anchor="middle"><%= t.text %></text><% }) %></g>`;

export const BAR_CHART = `<svg class="chart-svg distribution" role="img" width="<%= it.c.width %>" height="<%= it.c.height %>" viewBox="0 0 <%= it.c.width %> <%= it.c.height %>"><title><%= it.title %></title>
<%~ include('@axes', { c: it.c }) %>
<% it.c.bars.forEach(function(b){ %><rect class="bar <%= b.series %><%= b.unseen ? ' unseen' : '' %>" x="<%= b.x %>" y="<%= b.y %>" width="<%= b.width %>" height="<%= b.height %>"><title><%= b.title %></title></rect><% }) %>
<% it.c.labels.forEach(function(l){ %><text class="label<%= l.unseen ? ' unseen' : '' %>" x="<%= l.at %>" y="<%= it.c.y1 + 12 %>" text-anchor="end" transform="rotate(-30 <%= l.at %> <%= it.c.y1 + 12 %>)"><%= l.text %><title><%= l.full %></title></text><% }) %>
</svg>`;

export const CDF_CHART = `<svg class="chart-svg cdf" role="img" width="<%= it.c.width %>" height="<%= it.c.height %>" viewBox="0 0 <%= it.c.width %> <%= it.c.height %>"><title><%= it.title %></title>
<%~ include('@axes', { c: it.c }) %>
<% it.c.lines.forEach(function(l){ %><path class="line <%= l.series %>" d="<%= l.d %>"/><% }) %>
<% if (it.c.gap) { %><line class="ks-gap" x1="<%= it.c.gap.x %>" x2="<%= it.c.gap.x %>" y1="<%= it.c.gap.y1 %>" y2="<%= it.c.gap.y2 %>"><title><%= it.c.gap.title %></title></line><% } %>
</svg>`;

export const TIMELINE_CHART = `<svg class="chart-svg timeline <%= it.kind %>" role="img" width="<%= it.c.width %>" height="<%= it.c.height %>" viewBox="0 0 <%= it.c.width %> <%= it.c.height %>"><title><%= it.title %></title>
<%~ include('@axes', { c: it.c }) %>
<% it.c.bars.forEach(function(b){ %><rect class="bar samples" x="<%= b.x %>" y="<%= b.y %>" width="<%= b.width %>" height="<%= b.height %>"><title><%= b.title %></title></rect><% }) %>
<% it.c.episodes.forEach(function(e){ %><rect class="episode" x="<%= e.x %>" y="<%= it.c.y0 %>" width="<%= e.width %>" height="<%= it.c.y1 - it.c.y0 %>"><title><%= e.title %></title></rect><% }) %>
<% it.c.lines.forEach(function(l){ %><path class="line <%= l.series %>" d="<%= l.d %>"/><% }) %>
<% it.c.dots.forEach(function(d){ %><circle class="drifted" cx="<%= d.cx %>" cy="<%= d.cy %>" r="2.5"><title><%= d.title %></title></circle><% }) %>
</svg>`;

const HEAD = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="<%= it.csp %>">
<title><%= it.title %></title><style><%~ it.style %></style></head>`;

export const REPORT = `${HEAD}
<body>
<header>
<% if (it.v.input.homeHref) { %><a href="<%= it.v.input.homeHref %>">← all models</a><% } %>
<h1>Drift report: <%= it.v.input.model ?? 'batch check' %><% if (it.v.input.modelVersion) { %> <small><%= it.v.input.modelVersion %></small><% } %></h1>
<div class="verdict <%= it.v.verdict.kind %>" id="verdict"><%= it.v.verdict.text %><% if (it.v.input.check.severity !== 'none') { %> · severity <%= it.v.input.check.severity %><% } %></div>
<dl class="facts">
<div><dt>model</dt><dd id="model"><%= it.v.input.model ?? '—' %></dd></div>
<div><dt>model version</dt><dd id="model-version"><%= it.v.input.modelVersion ?? '—' %></dd></div>
<% if (it.v.input.window) { %><div><dt>window</dt><dd id="window"><span class="instant"><%= it.fmt.instant(it.v.input.window.startMs) %></span> → <span class="instant"><%= it.fmt.instant(it.v.input.window.endMs) %></span></dd></div><% } %>
<div><dt>current rows</dt><dd id="current-rows"><%= it.fmt.count(it.v.input.check.sample_count) %></dd></div>
<div><dt>reference rows</dt><dd id="reference-rows"><%= it.fmt.count(it.v.input.referenceRows) %></dd></div>
<div><dt>features</dt><dd><%= it.v.features.length %> (<%= Object.keys(it.v.input.check.drifted_features).length %> drifted)</dd></div>
<div><dt>score</dt><dd><%= it.v.input.check.metric %>, threshold <%= it.v.input.check.threshold %><% if (it.v.input.check.feature_alpha !== undefined) { %> (α <%= it.v.input.check.alpha %>, <%= it.v.input.check.correction %>)<% } %></dd></div>
<div><dt>max score</dt><dd><%= it.fmt.stat(it.v.input.check.max_drift_score) %></dd></div>
<% if (it.v.windows > 0) { %><div><dt>windows in the timeline</dt><dd><%= it.v.windows %> (<%= it.v.episodes %> drift episode<%= it.v.episodes === 1 ? '' : 's' %>)</dd></div><% } %>
</dl>
</header>
<main>
<% if (it.v.samples) { %>
<section id="timeline"><h2>Timeline</h2>
<p class="legend">rows per window<i style="background:#9aa6bb"></i>samples<i style="background:var(--ep)"></i>drift episode (hysteresis state drifting)</p>
<%~ include('@timeline', { c: it.v.samples, kind: 'samples', title: 'rows per window, drift episodes shaded' }) %>
</section>
<% } %>
<section><h2>Features</h2>
<div class="tablewrap"><table id="features"><thead><tr>
<% it.columns.forEach(function(c){ %><th scope="col" data-type="<%= c.type %>" class="<%= c.type === 'text' ? 'text' : '' %>"><button type="button"><%= c.label %></button></th><% }) %>
</tr></thead><tbody>
<% it.v.features.forEach(function(f){ const r = f.result; %><tr class="<%= r.drifted ? 'drifted' : '' %>" data-feature="<%= f.name %>">
<td data-v="<%= f.name %>"><a href="#f-<%= f.index %>"><%= f.name %></a></td>
<td class="text" data-v="<%= r.type %>"><%= r.type %></td>
<td class="text" data-v="<%= r.drifted ? (r.severity === 'critical' ? 2 : 1) : 0 %>"><%= r.status === 'insufficient_samples' ? 'n/a' : r.drifted ? 'yes' : 'no' %><% if (r.severity === 'critical') { %> <span class="badge critical">critical</span><% } %></td>
<td class="text" data-v="<%= r.reasons.join(',') %>"><%= r.reasons.join(', ') %></td>
<td class="text" data-v="<%= r.metric %>"><%= r.metric %></td>
<% [r.score, r.threshold, r.psi, r.ks, r.ks_pvalue, r.js, r.wasserstein, r.chi2_pvalue, r.missing_rate, r.reference_missing_rate].forEach(function(x){ %><td data-v="<%= it.fmt.sortKey(x) %>"><%= it.fmt.stat(x) %></td><% }) %>
<td data-v="<%= r.sample_count %>"><%= it.fmt.count(r.sample_count) %></td>
<td data-v="<%= it.fmt.sortKey(r.unseen_categories) %>"><%= r.unseen_categories ?? '—' %></td>
</tr><% }) %>
</tbody></table></div>
</section>
<section><h2>Distributions</h2>
<p class="legend"><i style="background:var(--ref)"></i>reference<i style="background:var(--cur)"></i>current<i style="background:var(--unseen)"></i>unseen category<i style="background:#111;width:3px"></i>KS gap<% if (it.v.samples) { %><i style="background:#2558a8;height:3px"></i>score<i style="background:#d62828;height:3px"></i>threshold<% } %></p>
<div class="cards">
<% it.v.features.forEach(function(f){ const r = f.result; %><article class="card<%= r.drifted ? ' drifted' : '' %>" id="f-<%= f.index %>" data-feature="<%= f.name %>">
<h3><%= f.name %><% if (r.drifted) { %> <span class="badge drift">drifted: <%= r.reasons.join(', ') %></span><% } %><% if (r.status === 'insufficient_samples') { %> <span class="badge na">insufficient samples</span><% } %></h3>
<div class="note"><%= r.type %> · <%= r.metric %> <%= it.fmt.stat(r.score) %> (threshold <%= it.fmt.stat(r.threshold) %>) · psi <%= it.fmt.stat(r.psi) %> · ks <%= it.fmt.stat(r.ks) %> · missing <%= it.fmt.stat(r.missing_rate, 3) %> · <%= it.fmt.count(r.sample_count) %> values</div>
<div class="charts">
<% if (f.distribution) { %><figure class="chart"><%~ include('@bars', { c: f.distribution, title: (r.type === 'numeric' ? 'share per PSI bin: ' : 'share per category: ') + f.name }) %><figcaption><%= r.type === 'numeric' ? 'share of values per PSI bin' : 'share of values per category' %><% if (f.hiddenCategories > 0) { %>; <%= f.hiddenCategories %> smaller categories not shown<% } %></figcaption></figure><% } %>
<% if (f.cdf) { %><figure class="chart"><%~ include('@cdf', { c: f.cdf, title: 'CDFs: ' + f.name }) %><figcaption>cumulative share; the black segment is the KS gap D = <%= it.fmt.stat(r.ks) %></figcaption></figure><% } %>
<% if (!f.distribution) { %><p class="note">No histogram of the current values was kept for this check.</p><% } %>
</div>
<% if (f.unseen.length > 0) { %><div class="unseen-list">unseen categories (<%= f.unseen.length %>): <% f.unseen.slice(0, 50).forEach(function(u, i){ %><%= i > 0 ? ', ' : '' %><code><%= u %></code><% }) %><%= f.unseen.length > 50 ? ', …' : '' %></div><% } %>
<% if (f.timeline) { %><figure class="chart"><%~ include('@timeline', { c: f.timeline, kind: 'score', title: 'score per window: ' + f.name }) %><figcaption>score per window, threshold dashed, drifted windows as dots, drift episodes shaded</figcaption></figure><% } %>
</article><% }) %>
</div>
</section>
</main>
<footer>driftwatch · generated <%= it.fmt.instant(it.v.input.generatedAt.getTime()) %> · check at <%= it.v.input.check.timestamp %> · this page loads nothing from the network</footer>
<script><%~ it.script %></script>
</body></html>`;

export const INDEX = `${HEAD}
<body>
<header><h1>driftwatch: models</h1>
<p class="note">The latest check of every model version this service evaluated; each links to its live report (the last window and the timeline of the last <%= it.windows %> windows).</p></header>
<main>
<% if (it.rows.length === 0) { %><p id="empty">No window has been evaluated yet.</p><% } else { %>
<div class="tablewrap"><table id="models"><thead><tr><th class="text">model</th><th class="text">version</th><th class="text">state</th><th class="text">last check</th><th class="text">window end</th><th>rows</th><th>max score</th><th>drifted features</th></tr></thead><tbody>
<% it.rows.forEach(function(r){ %><tr class="<%= r.state === 'drifting' ? 'drifted' : '' %>">
<td><a href="<%= r.href %>"><%= r.model %></a></td><td class="text"><%= r.modelVersion %></td>
<td class="text"><%= r.state %><% if (r.state === 'drifting') { %> <span class="badge drift">drifting</span><% } %></td>
<td class="text"><%= r.lastCheck %></td><td class="text"><%= r.windowEnd %></td><td><%= it.fmt.count(r.rows) %></td><td><%= it.fmt.stat(r.maxScore) %></td><td><%= r.drifted %></td>
</tr><% }) %>
</tbody></table></div>
<% } %>
</main>
<footer>driftwatch · <a href="drift">/drift</a> (JSON) · <a href="metrics">/metrics</a> · this page loads nothing from the network</footer>
</body></html>`;

export const TEMPLATE_PARTS = { '@axes': AXES, '@bars': BAR_CHART, '@cdf': CDF_CHART, '@timeline': TIMELINE_CHART } as const;
