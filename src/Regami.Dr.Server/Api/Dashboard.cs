namespace Regami.Dr.Server.Api;

/// <summary>A one-page dashboard: both regions, traffic, replication, the controller's last decision and recent events. No external assets.</summary>
public static class Dashboard
{
    public const string Html = """
        <!doctype html>
        <html lang="en"><head><meta charset="utf-8"><title>Regami DR</title>
        <style>
          body{font:14px system-ui,sans-serif;margin:24px;color:#1d2330;background:#f6f7f9}
          h1{font-size:20px} .grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(320px,1fr));gap:16px}
          .card{background:#fff;border-radius:8px;padding:16px;box-shadow:0 1px 3px #0002}
          .ok{color:#137333;font-weight:600}.bad{color:#c5221f;font-weight:600}.muted{color:#667}
          table{border-collapse:collapse;width:100%} td,th{padding:4px 6px;border-bottom:1px solid #eee;text-align:left;font-size:13px}
          code{background:#eef;padding:1px 4px;border-radius:3px}
        </style></head>
        <body>
        <h1>Regami DR <span id="env" class="muted"></span></h1>
        <div class="grid" id="regions"></div>
        <div class="grid" style="margin-top:16px">
          <div class="card"><h3>Traffic &amp; replication</h3><div id="traffic"></div></div>
          <div class="card"><h3>Controller</h3><div id="controller"></div></div>
        </div>
        <div class="card" style="margin-top:16px"><h3>Recent events</h3><table id="events"></table></div>
        <script>
        const esc = s => String(s ?? '').replace(/[&<>"]/g, c => ({'&':'&amp;','<':'&lt;','>':'&gt;','"':'&quot;'}[c]));
        async function refresh() {
          try {
            const [s, c, e] = await Promise.all([fetch('api/status'), fetch('api/controller'), fetch('api/events?limit=15')].map(p => p.then(r => r.json())));
            document.getElementById('env').textContent = s.environment + ' · primary ' + (s.primaryRegion ?? 'none');
            document.getElementById('regions').innerHTML = s.regions.map(r => `<div class="card"><h3>${esc(r.name)} — ${esc(r.role)}</h3>
              <div class="${r.healthy ? 'ok' : 'bad'}">${r.healthy ? 'healthy' : 'unhealthy'}</div>
              <table><tr><td>database</td><td>${esc(r.database.state)} ${r.database.writable ? '(writable)' : '(read-only)'} ${esc(r.database.host)}:${r.database.port}</td></tr>
              <tr><td>lag</td><td>${r.database.lagBytes ?? '?'} B / ${r.database.lagSeconds ?? '?'} s</td></tr>
              <tr><td>compute</td><td>${r.compute.running}/${r.compute.desired} running</td></tr></table></div>`).join('');
            document.getElementById('traffic').innerHTML = `<p><code>${esc(s.traffic.name)}</code> → <b>${esc(s.traffic.activeRegion ?? 'no answer')}</b> (TTL ${s.traffic.ttlSeconds} s)</p>
              <p class="muted">${esc(s.traffic.reason)}</p><p>replication ${esc(s.replication.mode)}, ${s.replication.streaming ? '<span class="ok">streaming</span>' : '<span class="bad">not streaming</span>'}, lag ${s.replication.lagBytes ?? '?'} B</p>`;
            document.getElementById('controller').innerHTML = `<p>${esc(c.situation)}</p><p class="muted">lease: ${esc(c.lease)} ${c.holdsLease ? '(held)' : '(not held)'} · ticks ${c.ticks} · errors ${c.tickErrors}</p>
              ${(c.guards ?? []).map(g => `<div class="${g.passed ? 'ok' : 'bad'}">${esc(g.guard)}: ${esc(g.reason)}</div>`).join('')}`;
            document.getElementById('events').innerHTML = '<tr><th>time</th><th>actor</th><th>action</th><th>outcome</th><th>details</th></tr>' +
              e.reverse().map(x => `<tr><td>${esc(x.entry.at)}</td><td>${esc(x.entry.actor)}</td><td>${esc(x.entry.action)}</td><td>${esc(x.entry.outcome)}</td><td>${esc(String(x.entry.details ?? '').slice(0, 160))}</td></tr>`).join('');
          } catch (err) { document.getElementById('env').textContent = 'controller unreachable: ' + err; }
        }
        refresh(); setInterval(refresh, 1000);
        </script>
        </body></html>
        """;
}
