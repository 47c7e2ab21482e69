// Probe overhead benchmark (bench/probe-overhead.sh). Two processes, so the prober's CPU time is
// its own:
//   servers --address A --first-port P --count N
//       one Kestrel server listening on N ports (A:P .. A:P+N-1); GET /health → 200 {"status":"healthy"}.
//       Prints "ready" once listening; stops on SIGTERM/SIGINT.
//   probe --address A --first-port P --count N [--seconds 60] [--warmup 5] [--interval 1]
//         [--threshold 3] [--timeout 1] [--timed] [--server-pid PID]
//       the controller's real prober: Regami.Dr.Probes.HttpHealthProber with its own
//       health-check client (as `regami-dr monitor` builds it) + Regami.Dr.Core.Controller.RegionHealth,
//       all targets probed in parallel each tick (Task.WhenAll), every result recorded, each
//       region's verdict computed, then the rest of the interval waited — as ControllerLoop does.
//       Prints one JSON object: CPU time of this process over the measured window (after the
//       warm-up ticks: JIT, 1,000 TCP connects), tick durations, and with --timed the per-probe
//       latency (a Stopwatch around each ProbeAsync; without --timed the loop is exactly the
//       controller's and latency comes only from the prober's own "HTTP 200 in N ms" text).
using System.Diagnostics;
using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Regami.Dr.Core.Controller;
using Regami.Dr.Probes;
using Regami.Dr.Server.Controller;

var mode = args.Length > 0 ? args[0] : "";
string Arg(string name, string fallback)
{
    var i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length ? args[i + 1] : fallback;
}
bool Flag(string name) => Array.IndexOf(args, name) >= 0;

var address = Arg("--address", "127.0.70.9");
var firstPort = int.Parse(Arg("--first-port", "20000"));
var count = int.Parse(Arg("--count", "1000"));

switch (mode)
{
    case "servers":
        return await Servers();
    case "probe":
        return await Probe();
    default:
        Console.Error.WriteLine("usage: servers|probe --address A --first-port P --count N [...]");
        return 2;
}

async Task<int> Servers()
{
    var builder = WebApplication.CreateSlimBuilder();
    builder.Logging.ClearProviders();
    builder.WebHost.ConfigureKestrel(k =>
    {
        var ip = IPAddress.Parse(address);
        for (var i = 0; i < count; i++) k.Listen(ip, firstPort + i);
    });
    var app = builder.Build();
    var body = "{\"status\":\"healthy\"}"u8.ToArray();
    app.MapGet("/health", (HttpContext ctx) =>
    {
        ctx.Response.StatusCode = 200;
        ctx.Response.ContentType = "application/json";
        return ctx.Response.Body.WriteAsync(body).AsTask();
    });
    await app.StartAsync();
    Console.WriteLine($"ready {count} endpoints on {address}:{firstPort}-{firstPort + count - 1} (pid {Environment.ProcessId})");
    await app.WaitForShutdownAsync();
    return 0;
}

async Task<int> Probe()
{
    var seconds = double.Parse(Arg("--seconds", "60"));
    var warmupTicks = int.Parse(Arg("--warmup", "5"));
    var interval = TimeSpan.FromSeconds(double.Parse(Arg("--interval", "1")));
    var threshold = int.Parse(Arg("--threshold", "3"));
    var timeout = TimeSpan.FromSeconds(double.Parse(Arg("--timeout", "1")));
    var timed = Flag("--timed");
    var serverPid = int.TryParse(Arg("--server-pid", ""), out var sp) ? sp : (int?)null;

    var prober = new HttpHealthProber(timeout, TimeProvider.System);   // as MonitorCommand
    var health = new RegionHealth(threshold, new ControllerPolicy().UnhealthyVantageShare, TimeProvider.System);
    string[] regions = ["eu-west-3", "eu-central-1"];
    // 1,000 checks: each target is its own (region, vantage) check, half per region.
    var targets = Enumerable.Range(0, count)
        .Select(i => new HealthTarget(regions[i % 2], $"vantage-{i}", new Uri($"http://{address}:{firstPort + i}/health?check=db")))
        .ToList();

    var latencies = new List<double>(count * (int)Math.Ceiling(seconds + 1));
    var tickLatencies = new double[count];
    var reasonMs = new List<int>(count * (int)Math.Ceiling(seconds + 1));
    var ticks = new List<double>();
    var warmTicks = new List<double>();
    int failures = 0, probesMeasured = 0;
    var failureSamples = new Dictionary<string, int>();
    using var stop = new CancellationTokenSource();
    Console.CancelKeyPress += (_, e) => { e.Cancel = true; stop.Cancel(); };
    var ct = stop.Token;

    async Task<ProbeResult> Timed(HealthTarget t, int j)
    {
        var s = Stopwatch.GetTimestamp();
        var r = await prober.ProbeAsync(t, ct);
        tickLatencies[j] = Stopwatch.GetElapsedTime(s).TotalMilliseconds;
        return r;
    }

    var self = Process.GetCurrentProcess();
    Process? server = serverPid is { } pid ? Process.GetProcessById(pid) : null;
    TimeSpan cpu0 = default, user0 = default, sys0 = default, srv0 = default;
    long alloc0 = 0; int gc0 = 0, gc1 = 0, gc2 = 0;
    var wall = new Stopwatch();
    var measuring = false;
    var tickNo = 0;
    var deadline = TimeSpan.MaxValue;

    while (!ct.IsCancellationRequested)
    {
        if (!measuring && tickNo == warmupTicks)
        {
            self.Refresh(); server?.Refresh();
            cpu0 = self.TotalProcessorTime; user0 = self.UserProcessorTime; sys0 = self.PrivilegedProcessorTime;
            srv0 = server?.TotalProcessorTime ?? default;
            alloc0 = GC.GetTotalAllocatedBytes(); gc0 = GC.CollectionCount(0); gc1 = GC.CollectionCount(1); gc2 = GC.CollectionCount(2);
            wall.Start(); measuring = true; deadline = TimeSpan.FromSeconds(seconds);
        }
        if (measuring && wall.Elapsed >= deadline) break;

        var started = Stopwatch.GetTimestamp();
        // The controller's observe step, probing part (ControllerLoop.ObserveAsync).
        var probes = timed
            ? await Task.WhenAll(targets.Select((t, j) => Timed(t, j)))
            : await Task.WhenAll(targets.Select(t => prober.ProbeAsync(t, ct)));
        foreach (var p in probes) health.Record(p);
        foreach (var r in regions) _ = health.Verdict(r);
        var elapsed = Stopwatch.GetElapsedTime(started);

        if (measuring)
        {
            ticks.Add(elapsed.TotalMilliseconds);
            probesMeasured += probes.Length;
            if (timed) latencies.AddRange(tickLatencies);
            foreach (var p in probes)
            {
                if (!p.Succeeded)
                {
                    failures++;
                    var key = p.Reason.Length > 80 ? p.Reason[..80] : p.Reason;
                    failureSamples[key] = failureSamples.GetValueOrDefault(key) + 1;
                }
                else if (p.Reason.StartsWith("HTTP ") && p.Reason.EndsWith(" ms"))
                {
                    var parts = p.Reason.Split(' ');
                    if (parts.Length >= 4 && int.TryParse(parts[^2], out var ms)) reasonMs.Add(ms);
                }
            }
        }
        else warmTicks.Add(elapsed.TotalMilliseconds);
        tickNo++;

        var wait = interval - elapsed;
        if (wait > TimeSpan.Zero)
        {
            try { await Task.Delay(wait, ct); } catch (OperationCanceledException) { break; }
        }
    }
    wall.Stop();
    self.Refresh(); server?.Refresh();
    var cpu = self.TotalProcessorTime - cpu0;
    var user = self.UserProcessorTime - user0;
    var sys = self.PrivilegedProcessorTime - sys0;
    var srv = server is null ? (TimeSpan?)null : server.TotalProcessorTime - srv0;
    var w = wall.Elapsed.TotalSeconds;

    static double Pct(List<double> xs, double q)
    {
        if (xs.Count == 0) return double.NaN;
        var s = xs.OrderBy(x => x).ToList();
        var idx = (int)Math.Ceiling(q * s.Count) - 1;
        return Math.Round(s[Math.Clamp(idx, 0, s.Count - 1)], 3);
    }
    var reasonMsD = reasonMs.Select(x => (double)x).ToList();
    var result = new
    {
        mode = timed ? "timed (Stopwatch around each ProbeAsync)" : "exact (the controller's loop as is)",
        endpoints = count,
        intervalSeconds = interval.TotalSeconds,
        timeoutSeconds = timeout.TotalSeconds,
        failureThreshold = threshold,
        warmupTicks,
        warmupTickMs = warmTicks.Select(x => Math.Round(x, 1)).ToArray(),
        measuredSeconds = Math.Round(w, 3),
        ticks = ticks.Count,
        probes = probesMeasured,
        failures,
        failureSamples,
        cpu = new
        {
            seconds = Math.Round(cpu.TotalSeconds, 3),
            userSeconds = Math.Round(user.TotalSeconds, 3),
            systemSeconds = Math.Round(sys.TotalSeconds, 3),
            percentOfOneCore = Math.Round(100 * cpu.TotalSeconds / w, 2),
            microsecondsPerProbe = probesMeasured > 0 ? Math.Round(1e6 * cpu.TotalSeconds / probesMeasured, 1) : double.NaN,
        },
        serverCpu = srv is { } s2 ? new { seconds = Math.Round(s2.TotalSeconds, 3), percentOfOneCore = Math.Round(100 * s2.TotalSeconds / w, 2) } : null,
        tickMs = new { p50 = Pct(ticks, 0.50), p90 = Pct(ticks, 0.90), p99 = Pct(ticks, 0.99), max = ticks.Count > 0 ? Math.Round(ticks.Max(), 3) : double.NaN },
        probeLatencyMs = timed ? new { p50 = Pct(latencies, 0.50), p90 = Pct(latencies, 0.90), p99 = Pct(latencies, 0.99), max = Math.Round(latencies.Max(), 3) } : null,
        proberReportedMs = new { p50 = Pct(reasonMsD, 0.50), p99 = Pct(reasonMsD, 0.99), max = reasonMsD.Count > 0 ? reasonMsD.Max() : double.NaN },
        allocatedBytesPerTick = ticks.Count > 0 ? (GC.GetTotalAllocatedBytes() - alloc0) / ticks.Count : 0,
        gcCollections = new { gen0 = GC.CollectionCount(0) - gc0, gen1 = GC.CollectionCount(1) - gc1, gen2 = GC.CollectionCount(2) - gc2 },
        runtime = new { System.Runtime.InteropServices.RuntimeInformation.FrameworkDescription, serverGc = System.Runtime.GCSettings.IsServerGC, Environment.ProcessorCount },
        verdicts = regions.Select(r => health.Verdict(r)).Select(v => new { v.Region, v.Healthy, v.UnhealthyVantages, v.Vantages }).ToArray(),
    };
    Console.WriteLine(JsonSerializer.Serialize(result, new JsonSerializerOptions { WriteIndented = false }));
    return 0;
}
