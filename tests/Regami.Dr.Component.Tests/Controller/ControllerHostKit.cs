using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text.Json;
using Regami.Dr.Component.Tests.Infrastructure;
using Regami.Dr.Core.Alerting;
using Regami.Dr.Core.Controller;
using Regami.Dr.Core.Ports;
using Regami.Dr.Core.Providers;
using Regami.Dr.Core.Runbooks;
using Regami.Dr.Core.Tests.Drills;
using Regami.Dr.Server;
using Regami.Dr.Server.Controller;
using Regami.Dr.Server.Leases;
using Regami.Dr.Store;

namespace Regami.Dr.Component.Tests.Controller;

/// <summary>
/// One real controller host (Kestrel on a free loopback port, the decision loop, a real SQLite
/// store and a real lock-file lease) over the two in-memory regions of the unit tests' kit.
/// </summary>
internal sealed class TestController : IAsyncDisposable
{
    public const string Token = "component-test-token";

    private readonly CancellationTokenSource stop = new();
    private readonly LocalFileLease lease;
    private Task? host;

    private TestController(string directory, string owner, LocalFileLease lease, StateStore store, Uri url)
    {
        Directory = directory;
        Owner = owner;
        this.lease = lease;
        Store = store;
        Url = url;
        Client = new HttpClient { BaseAddress = url, Timeout = TimeSpan.FromSeconds(30) };
        Client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Token);
    }

    public string Directory { get; }
    public string Owner { get; }
    public StateStore Store { get; }
    public Uri Url { get; }

    /// <summary>A client that sends the bearer token.</summary>
    public HttpClient Client { get; }

    /// <summary>
    /// Starts a controller named <paramref name="owner"/> in <paramref name="directory"/> (its store
    /// and token), competing for the lease at <paramref name="leasePath"/>, acting through
    /// <paramref name="regions"/> (its database port replaced by <paramref name="database"/> if given).
    /// </summary>
    public static async Task<TestController> StartAsync(FakeRegions regions, string directory, string leasePath, string owner, IDatabasePort? database = null)
    {
        System.IO.Directory.CreateDirectory(directory);
        var tokenFile = Path.Combine(directory, "controller.token");
        await File.WriteAllTextAsync(tokenFile, Token);
        var time = TimeProvider.System;
        var store = StateStore.Open(directory, time);
        var lease = new LocalFileLease(leasePath, time);
        var ports = new DrPorts(database ?? regions, regions, regions, regions, regions);
        var deps = new ControllerDependencies(ports, new RunbookCatalog(ports, new FailoverPolicy()), store.Journal, store.Audit, store.Lease, lease,
            new NoAlerts(), null, new AlwaysHealthy(regions), time);
        var options = new ControllerOptions
        {
            Regions = [FakeRegions.Home, FakeRegions.Away],
            Policy = new ControllerPolicy { Interval = TimeSpan.FromMilliseconds(200) },
            LeaseTtl = TimeSpan.FromSeconds(2),
            ListenUrl = new Uri($"http://127.0.0.1:{FreePort()}/"),
            Owner = owner,
            TokenFile = tokenFile,
        };
        var views = new ControllerViews(regions.ReadAsync, () => Array.Empty<object>(), () => Array.Empty<object>(), (_, _) => false);
        var controller = new TestController(directory, owner, lease, store, options.ListenUrl);
        controller.host = Task.Run(() => ControllerHost.RunAsync(options, deps, views, controller.stop.Token));
        // Up once it has ticked at least once (the lease is then taken or known taken, the lag remembered).
        await Eventually.WaitUntilAsync(async () =>
        {
            if (controller.host.IsFaulted) await controller.host;
            return await controller.TryControllerAsync() is { } c && c.GetProperty("ticks").GetInt64() >= 1;
        }, TimeSpan.FromSeconds(20), $"controller {owner} up on {options.ListenUrl}");
        return controller;
    }

    /// <summary>GET /api/controller, or null while it does not answer.</summary>
    public async Task<JsonElement?> TryControllerAsync()
    {
        try { return JsonDocument.Parse(await Client.GetStringAsync("/api/controller")).RootElement.Clone(); }
        catch (HttpRequestException) { return null; }
    }

    /// <summary>GET <paramref name="location"/> until the run it names has finished; its JSON.</summary>
    public Task<JsonElement> FinishedRunAsync(string location) =>
        Eventually.WaitForAsync(async () => JsonDocument.Parse(await Client.GetStringAsync(location)).RootElement.Clone(),
            run => run.GetProperty("finished").GetBoolean(), TimeSpan.FromSeconds(30), $"the run at {location} finished");

    public async ValueTask DisposeAsync()
    {
        await stop.CancelAsync();
        if (host is not null)
        {
            try { await host.WaitAsync(TimeSpan.FromSeconds(30)); }
            catch (OperationCanceledException) { }
        }
        Client.Dispose();
        lease.Dispose();
        Store.Dispose();
        stop.Dispose();
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private sealed class NoAlerts : IAlertSink
    {
        public Task RaiseAsync(Severity severity, string key, string title, string body, CancellationToken ct) => Task.CompletedTask;
        public Task ResolveAsync(string key, string note, CancellationToken ct) => Task.CompletedTask;
        public Task TickAsync(CancellationToken ct) => Task.CompletedTask;
    }

    /// <summary>Every region answers its health check: the controller never fails over by itself here.</summary>
    private sealed class AlwaysHealthy(FakeRegions regions) : IHealthSource
    {
        public async Task<IReadOnlyList<ProbeResult>> ProbeAsync(CancellationToken ct) =>
            (await regions.GetAsync(ct)).Regions.Select(r => new ProbeResult(r, "local", true, "200 OK")).ToList();
    }
}

/// <summary>
/// The regions' database port, with promote-standby held at a gate until the test releases it; the
/// wait honours the step's token, as a real promotion's does (a cancelled token stops it).
/// </summary>
internal sealed class PromoteGate(IDatabasePort inner) : IDatabasePort
{
    private readonly TaskCompletionSource entered = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource released = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Completes when a promotion reaches the gate.</summary>
    public Task Entered => entered.Task;

    /// <summary>True once a promotion waiting at the gate was cancelled.</summary>
    public bool Cancelled { get; private set; }

    public void Release() => released.TrySetResult();

    public async Task<string> PromoteAsync(string region, CancellationToken ct)
    {
        entered.TrySetResult();
        try { await released.Task.WaitAsync(ct); }
        catch (OperationCanceledException) { Cancelled = true; throw; }
        return await inner.PromoteAsync(region, ct);
    }

    public Task<DatabaseObservation> ObserveAsync(string region, CancellationToken ct) => inner.ObserveAsync(region, ct);
    public Task<string> FenceAsync(string region, CancellationToken ct) => inner.FenceAsync(region, ct);
    public Task<string> StopWritesAsync(string region, CancellationToken ct) => inner.StopWritesAsync(region, ct);
    public Task WaitUntilReplayedAsync(string standbyRegion, string lsn, TimeSpan timeout, CancellationToken ct) => inner.WaitUntilReplayedAsync(standbyRegion, lsn, timeout, ct);
    public Task<string> LastCheckpointAsync(string region, CancellationToken ct) => inner.LastCheckpointAsync(region, ct);
    public Task<RebuildOutcome> RebuildAsReplicaAsync(string region, string primaryRegion, ReclonePolicy reclone, CancellationToken ct) => inner.RebuildAsReplicaAsync(region, primaryRegion, reclone, ct);
    public Task<string> StartAsync(string region, CancellationToken ct) => inner.StartAsync(region, ct);
    public Task WaitUntilCaughtUpAsync(string primaryRegion, string standbyRegion, long maxLagBytes, TimeSpan timeout, CancellationToken ct) => inner.WaitUntilCaughtUpAsync(primaryRegion, standbyRegion, maxLagBytes, timeout, ct);
    public Task SetSynchronousStandbyAsync(string primaryRegion, string? standbyRegion, CancellationToken ct) => inner.SetSynchronousStandbyAsync(primaryRegion, standbyRegion, ct);
}
