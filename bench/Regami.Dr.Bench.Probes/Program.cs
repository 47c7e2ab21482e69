// Probe overhead benchmark (bench/probe-overhead.sh). Two kinds of process, so the prober's CPU
// time is its own:
//   servers --address A --first-port P --count N
//       one Kestrel server listening on N ports (A:P .. A:P+N-1); GET /health → 200 {"status":"healthy"}.
//       Prints "ready" once listening; stops on SIGTERM/SIGINT. The script starts one per 2,500
//       ports: a listener and an accepted connection each take a descriptor (`ulimit -n` is 20,000
//       here), and one server on 5,000 ports died "Out of memory" under a 5,000-probe burst on a
//       loaded machine (vm.max_map_count is 65,530 here).
//   probe --address A --first-port P --count N [--seconds 60] [--warmup 5] [--interval 1]
//         [--threshold 3] [--timeout 1] [--timed] [--server-pid PID[,PID…]] [--variant prober|keepalive|raw]
//         [--alloc-profile]
//       the controller's real prober: Regami.Dr.Server.Controller.ProbingHealthSource over
//       Regami.Dr.Probes.HttpHealthProber with its own health-check client (as `regami-dr monitor`
//       builds it) + Regami.Dr.Core.Controller.RegionHealth: all targets probed in parallel each
//       tick, every result recorded, each region's verdict computed, then the rest of the interval
//       waited — as ControllerLoop does. Prints one JSON object over the measured window (after the
//       warm-up ticks: JIT, first connects): CPU time of this process (user/system, per probe), tick
//       durations split into the probing phase and the bookkeeping phase (Record + Verdict, and the
//       bytes it allocates), bytes allocated per probe, GC counts and pause, thread-pool work items
//       per probe; with --timed the per-probe latency (a Stopwatch around each ProbeAsync; without
//       it the loop is exactly the controller's); with --alloc-profile the allocated types (the
//       runtime's AllocationTick events, no external tool). --variant keepalive|raw replace the
//       prober, for attribution only: a pooled HttpClient reusing its connections (what a new
//       connection per probe costs), and bare sockets doing the same connect/GET/read/close (the
//       kernel's and the socket layer's floor, without HttpClient).
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
    // Attribution only (never the headline): "keepalive" = a plain pooled HttpClient reusing one
    // connection per origin (what the per-probe connection costs); "raw" = bare sockets doing the same
    // connect / GET / read / close as the prober (the kernel's share, no HttpClient at all).
    var variant = Arg("--variant", "prober");
    // The endpoint servers' pids (comma-separated: one server process per 2,500 ports), for their CPU.
    var serverPids = Arg("--server-pid", "").Split(',', StringSplitOptions.RemoveEmptyEntries).Select(int.Parse).ToArray();
    // Where the allocations go: the runtime's AllocationTick events (one per ~100 KB allocated,
    // naming the type that crossed the mark), summed by type over the measured window.
    using var allocations = Flag("--alloc-profile") ? new AllocationSampler() : null;

    using var prober = new HttpHealthProber(timeout, TimeProvider.System);   // as MonitorCommand / LabProvider
    var health = new RegionHealth(threshold, new ControllerPolicy().UnhealthyVantageShare, TimeProvider.System);
    string[] regions = ["eu-west-3", "eu-central-1"];
    // N checks: each target is its own (region, vantage) check, half per region.
    var targets = Enumerable.Range(0, count)
        .Select(i => new HealthTarget(regions[i % 2], $"vantage-{i}", new Uri($"http://{address}:{firstPort + i}/health?check=db")))
        .ToList();
    var source = new ProbingHealthSource(targets, prober);   // the controller's IHealthSource (ControllerLoop.ObserveAsync)
    using var keepAlive = new HttpClient(new SocketsHttpHandler { UseProxy = false, AllowAutoRedirect = false }) { Timeout = Timeout.InfiniteTimeSpan };

    var latencies = new List<double>(count * (int)Math.Ceiling(seconds + 1));
    var tickLatencies = new double[count];
    var reasonMs = new List<int>(count * (int)Math.Ceiling(seconds + 1));
    List<double> ticks = [], probePhase = [], bookkeeping = [], warmTicks = [];
    long bookkeepingBytes = 0;
    int failures = 0, probesMeasured = 0;
    var failureSamples = new Dictionary<string, int>();
    using var stop = new CancellationTokenSource();
    Console.CancelKeyPress += (_, e) => { e.Cancel = true; stop.Cancel(); };
    var ct = stop.Token;

    async Task<ProbeResult> Timed(HealthTarget t, int j)
    {
        var s = Stopwatch.GetTimestamp();
        var r = await prober.ProbeAsync(t.Url, ct);
        tickLatencies[j] = Stopwatch.GetElapsedTime(s).TotalMilliseconds;
        return new ProbeResult(t.Region, t.Vantage, r.Succeeded, r.Reason);
    }
    async Task<ProbeResult> KeepAlive(HealthTarget t)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        cts.CancelAfter(timeout);
        try
        {
            using var response = await keepAlive.GetAsync(t.Url, HttpCompletionOption.ResponseHeadersRead, cts.Token);
            return new ProbeResult(t.Region, t.Vantage, response.IsSuccessStatusCode, $"HTTP {(int)response.StatusCode}");
        }
        catch (Exception e) when (!ct.IsCancellationRequested) { return new ProbeResult(t.Region, t.Vantage, false, e.GetType().Name); }
    }
    var rawRequest = System.Text.Encoding.ASCII.GetBytes($"GET /health?check=db HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\r\n");
    var endpoints = targets.Select(t => new IPEndPoint(IPAddress.Parse(t.Url.Host), t.Url.Port)).ToArray();
    async Task<ProbeResult> Raw(HealthTarget t, int j)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        cts.CancelAfter(timeout);
        try
        {
            using var socket = new System.Net.Sockets.Socket(System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp);
            await socket.ConnectAsync(endpoints[j], cts.Token);
            await socket.SendAsync(rawRequest, cts.Token);
            var buffer = new byte[512];
            var n = await socket.ReceiveAsync(buffer, cts.Token);
            var ok = n > 12 && buffer[9] == (byte)'2';
            return new ProbeResult(t.Region, t.Vantage, ok, ok ? "HTTP 200" : "bad");
        }
        catch (Exception e) when (!ct.IsCancellationRequested) { return new ProbeResult(t.Region, t.Vantage, false, e.GetType().Name); }
    }
    Task<ProbeResult[]> ProbeAll() => variant switch
    {
        "keepalive" => Task.WhenAll(targets.Select(KeepAlive)),
        "raw" => Task.WhenAll(targets.Select(Raw)),
        _ when timed => Task.WhenAll(targets.Select(Timed)),
        _ => Task.WhenAll(targets.Select(t => prober.ProbeAsync(t, ct))),
    };

    var self = Process.GetCurrentProcess();
    var servers = serverPids.Select(Process.GetProcessById).ToArray();
    TimeSpan ServerCpu()
    {
        var total = TimeSpan.Zero;
        foreach (var p in servers)
        {
            p.Refresh();
            // A server that died mid-run is counted up to nothing; the script reports the death.
            if (!p.HasExited) total += p.TotalProcessorTime;
        }
        return total;
    }
    TimeSpan cpu0 = default, user0 = default, sys0 = default, srv0 = default;
    long alloc0 = 0, work0 = 0, contention0 = 0; var pause0 = TimeSpan.Zero; int gc0 = 0, gc1 = 0, gc2 = 0;
    var wall = new Stopwatch();
    var measuring = false;
    var tickNo = 0;
    var deadline = TimeSpan.MaxValue;

    while (!ct.IsCancellationRequested)
    {
        if (!measuring && tickNo == warmupTicks)
        {
            self.Refresh();
            cpu0 = self.TotalProcessorTime; user0 = self.UserProcessorTime; sys0 = self.PrivilegedProcessorTime;
            srv0 = ServerCpu();
            alloc0 = GC.GetTotalAllocatedBytes(); gc0 = GC.CollectionCount(0); gc1 = GC.CollectionCount(1); gc2 = GC.CollectionCount(2);
            work0 = ThreadPool.CompletedWorkItemCount; contention0 = Monitor.LockContentionCount; pause0 = GC.GetTotalPauseDuration();
            wall.Start(); measuring = true; deadline = TimeSpan.FromSeconds(seconds);
            allocations?.Start();
        }
        if (measuring && wall.Elapsed >= deadline) break;

        var started = Stopwatch.GetTimestamp();
        // The controller's observe step, probing part (ControllerLoop.ObserveAsync): the health
        // source probes every target, every result is recorded, each region's verdict computed.
        IReadOnlyList<ProbeResult> probes = variant == "prober" && !timed ? await source.ProbeAsync(ct) : await ProbeAll();
        var probed = Stopwatch.GetTimestamp();
        var bytes0 = GC.GetAllocatedBytesForCurrentThread();   // the bookkeeping runs synchronously on this thread
        foreach (var p in probes) health.Record(p);
        foreach (var r in regions) _ = health.Verdict(r);
        var bytes1 = GC.GetAllocatedBytesForCurrentThread();
        var elapsed = Stopwatch.GetElapsedTime(started);

        if (measuring)
        {
            ticks.Add(elapsed.TotalMilliseconds);
            probePhase.Add(Stopwatch.GetElapsedTime(started, probed).TotalMilliseconds);
            bookkeeping.Add(Stopwatch.GetElapsedTime(probed).TotalMilliseconds);
            bookkeepingBytes += bytes1 - bytes0;
            probesMeasured += probes.Count;
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
    self.Refresh();
    var cpu = self.TotalProcessorTime - cpu0;
    var user = self.UserProcessorTime - user0;
    var sys = self.PrivilegedProcessorTime - sys0;
    var srv = servers.Length == 0 ? (TimeSpan?)null : ServerCpu() - srv0;
    var allocated = GC.GetTotalAllocatedBytes() - alloc0;
    var w = wall.Elapsed.TotalSeconds;

    static double Pct(List<double> xs, double q)
    {
        if (xs.Count == 0) return double.NaN;
        var s = xs.OrderBy(x => x).ToList();
        var idx = (int)Math.Ceiling(q * s.Count) - 1;
        return Math.Round(s[Math.Clamp(idx, 0, s.Count - 1)], 3);
    }
    static object Dist(List<double> xs) => new { p50 = Pct(xs, 0.50), p90 = Pct(xs, 0.90), p99 = Pct(xs, 0.99), max = xs.Count > 0 ? Math.Round(xs.Max(), 3) : double.NaN };
    double PerProbe(double x) => probesMeasured > 0 ? Math.Round(x / probesMeasured, 1) : double.NaN;
    var reasonMsD = reasonMs.Select(x => (double)x).ToList();
    var result = new
    {
        mode = timed ? "timed (Stopwatch around each ProbeAsync)" : variant == "prober" ? "exact (the controller's loop as is)" : $"{variant} (attribution only)",
        variant,
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
            microsecondsPerProbe = PerProbe(1e6 * cpu.TotalSeconds),
            userMicrosecondsPerProbe = PerProbe(1e6 * user.TotalSeconds),
            systemMicrosecondsPerProbe = PerProbe(1e6 * sys.TotalSeconds),
        },
        serverCpu = srv is { } s2 ? new { seconds = Math.Round(s2.TotalSeconds, 3), percentOfOneCore = Math.Round(100 * s2.TotalSeconds / w, 2) } : null,
        tickMs = Dist(ticks),
        probePhaseMs = Dist(probePhase),
        bookkeepingMs = Dist(bookkeeping),
        bookkeepingBytesPerProbe = PerProbe(bookkeepingBytes),
        probeLatencyMs = timed ? Dist(latencies) : null,
        proberReportedMs = new { p50 = Pct(reasonMsD, 0.50), p99 = Pct(reasonMsD, 0.99), max = reasonMsD.Count > 0 ? reasonMsD.Max() : double.NaN },
        allocatedBytesPerTick = ticks.Count > 0 ? allocated / ticks.Count : 0,
        allocatedBytesPerProbe = PerProbe(allocated),
        threadPoolWorkItemsPerProbe = PerProbe(ThreadPool.CompletedWorkItemCount - work0),
        lockContentions = Monitor.LockContentionCount - contention0,
        threadPoolThreads = ThreadPool.ThreadCount,
        gcCollections = new { gen0 = GC.CollectionCount(0) - gc0, gen1 = GC.CollectionCount(1) - gc1, gen2 = GC.CollectionCount(2) - gc2 },
        gcPauseMs = Math.Round((GC.GetTotalPauseDuration() - pause0).TotalMilliseconds, 1),
        runtime = new { System.Runtime.InteropServices.RuntimeInformation.FrameworkDescription, serverGc = System.Runtime.GCSettings.IsServerGC, Environment.ProcessorCount },
        allocationSamplesByType = allocations?.Top(25),
        verdicts = regions.Select(r => health.Verdict(r)).Select(v => new { v.Region, v.Healthy, v.UnhealthyVantages, v.Vantages, v.Suspect }).ToArray(),
    };
    Console.WriteLine(JsonSerializer.Serialize(result, new JsonSerializerOptions { NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals }));
    return 0;
}

/// <summary>Samples allocations by type through the runtime's own event source (no tool needed offline).</summary>
sealed class AllocationSampler : System.Diagnostics.Tracing.EventListener
{
    private readonly Dictionary<string, long> bytesByType = [];
    private volatile bool on;
    public void Start() => on = true;

    protected override void OnEventSourceCreated(System.Diagnostics.Tracing.EventSource source)
    {
        if (source.Name == "Microsoft-Windows-DotNETRuntime")
            EnableEvents(source, System.Diagnostics.Tracing.EventLevel.Verbose, (System.Diagnostics.Tracing.EventKeywords)0x1);   // GC keyword: AllocationTick
    }

    protected override void OnEventWritten(System.Diagnostics.Tracing.EventWrittenEventArgs e)
    {
        if (!on || e.EventName is not { } name || !name.StartsWith("GCAllocationTick") || e.Payload is null) return;
        var i = e.PayloadNames!.IndexOf("TypeName");
        var j = e.PayloadNames.IndexOf("AllocationAmount64");
        if (i < 0 || j < 0) return;
        var type = e.Payload[i] as string ?? "?";
        var amount = Convert.ToInt64(e.Payload[j]);
        lock (bytesByType) bytesByType[type] = bytesByType.GetValueOrDefault(type) + amount;
    }

    public object Top(int n)
    {
        lock (bytesByType)
        {
            var total = bytesByType.Values.Sum();
            return bytesByType.OrderByDescending(kv => kv.Value).Take(n)
                .Select(kv => new { type = kv.Key, share = Math.Round((double)kv.Value / Math.Max(1, total), 3) }).ToArray();
        }
    }
}
