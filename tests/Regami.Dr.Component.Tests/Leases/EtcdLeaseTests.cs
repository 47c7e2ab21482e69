using System.Diagnostics;
using Regami.Dr.Component.Tests.Infrastructure;
using Regami.Dr.Server.Leases;
using Xunit.Abstractions;

namespace Regami.Dr.Component.Tests.Leases;

/// <summary>
/// Two controllers contending for the leader key in a real etcd (Debian <c>etcd-server</c>).
/// The ttl asked is 2 s, etcd's minimum with its default 1 s election timeout; every wait is a
/// condition polled against a deadline.
/// </summary>
public sealed class EtcdLeaseTests(EtcdServerFixture etcd, ITestOutputHelper output) : IClassFixture<EtcdServerFixture>, IDisposable
{
    private static readonly TimeSpan Ttl = TimeSpan.FromSeconds(2);
    private const string ControllerA = "controller@eu-west-3 pid 101";
    private const string ControllerB = "controller@eu-central-1 pid 202";

    private readonly HttpClient _http = new(new SocketsHttpHandler { UseProxy = false });
    private readonly string _key = $"/regami-dr-test/{Guid.NewGuid():N}/leader";

    public void Dispose() => _http.Dispose();

    private EtcdLease Lease(Uri? endpoint = null) => new(endpoint ?? etcd.Server.ClientUrl, _key, _http, TimeProvider.System);

    [Fact]
    public async Task Two_controllers_contend_and_exactly_one_acquires()
    {
        output.WriteLine($"etcd started in {etcd.Server.StartedIn.TotalSeconds:0.00} s");
        var a = Lease();
        var b = Lease();

        var results = await Task.WhenAll(a.TryAcquireOrRenewAsync(ControllerA, Ttl, default), b.TryAcquireOrRenewAsync(ControllerB, Ttl, default));

        Assert.Single(results, held => held);
        Assert.Null(a.LastError);
        Assert.Null(b.LastError);
        var (winner, loser) = results[0] ? (ControllerA, ControllerB) : (ControllerB, ControllerA);
        var holder = await a.CurrentAsync(default);
        Assert.NotNull(holder);
        Assert.Equal(winner, holder.Owner);
        var seenByB = await b.CurrentAsync(default);
        Assert.Equal(holder.Owner, seenByB?.Owner);
        Assert.Equal(holder.AcquiredAt, seenByB!.AcquiredAt);
        Assert.True(holder.ExpiresAt > holder.AcquiredAt, $"expires {holder.ExpiresAt:O}, acquired {holder.AcquiredAt:O}");
        // The loser keeps losing while the winner's ttl runs.
        var loserLease = results[0] ? b : a;
        Assert.False(await loserLease.TryAcquireOrRenewAsync(loser, Ttl, default));
        Assert.Equal("/v3", a.GatewayPrefix); // etcd 3.4 and later
        Assert.Equal($"etcd {etcd.Server.ClientUrl.GetLeftPart(UriPartial.Authority)}", a.Name);
    }

    [Fact]
    public async Task A_holder_that_renews_keeps_the_lease_past_its_ttl()
    {
        var a = Lease();
        var b = Lease();
        Assert.True(await a.TryAcquireOrRenewAsync(ControllerA, Ttl, default));
        var acquiredAt = a.Held!.AcquiredAt;

        var clock = Stopwatch.StartNew();
        var renewals = 0;
        while (clock.Elapsed < Ttl * 1.75)
        {
            await Task.Delay(Ttl / 4); // the controller's tick: renew well inside the ttl
            Assert.True(await a.TryAcquireOrRenewAsync(ControllerA, Ttl, default), a.LastError);
            Assert.False(await b.TryAcquireOrRenewAsync(ControllerB, Ttl, default), b.LastError);
            Assert.Null(b.LastError);
            renewals++;
        }

        var holder = await b.CurrentAsync(default);
        Assert.Equal(ControllerA, holder?.Owner);
        Assert.Equal(acquiredAt, holder!.AcquiredAt); // renewed, not re-acquired
        Assert.Equal(acquiredAt, a.Held!.AcquiredAt);
        output.WriteLine($"{renewals} renewals over {clock.Elapsed.TotalSeconds:0.0} s with a {Ttl.TotalSeconds} s ttl");
    }

    [Fact]
    public async Task When_the_holder_stops_renewing_the_other_controller_takes_over_after_the_ttl()
    {
        var a = Lease();
        var b = Lease();
        Assert.True(await a.TryAcquireOrRenewAsync(ControllerA, Ttl, default));
        var clock = Stopwatch.StartNew();

        // A stops renewing (hung, partitioned, dead); B keeps trying. The wait's bound is generous:
        // it only stops a hung test; how soon after the ttl B gets in is not asserted.
        await Eventually.WaitUntilAsync(() => b.TryAcquireOrRenewAsync(ControllerB, Ttl, default), Ttl + TimeSpan.FromSeconds(30), "B takes over");
        var tookOverAfter = clock.Elapsed;
        output.WriteLine($"B took over {tookOverAfter.TotalSeconds:0.00} s after A's last renewal (ttl {Ttl.TotalSeconds} s)");

        // The safety property: never before A's ttl ran out. A lower bound, which a slow machine
        // cannot break (slowness only makes the take-over later).
        Assert.True(tookOverAfter >= Ttl - TimeSpan.FromMilliseconds(300), $"taken over after {tookOverAfter}, before the ttl");
        // A comes back: it has lost the lease and learns so.
        Assert.False(await a.TryAcquireOrRenewAsync(ControllerA, Ttl, default));
        Assert.Null(a.Held);
        Assert.Equal(ControllerB, (await a.CurrentAsync(default))?.Owner);
    }

    [Fact]
    public async Task Release_lets_the_other_controller_take_over_at_once()
    {
        var a = Lease();
        var b = Lease();
        Assert.True(await a.TryAcquireOrRenewAsync(ControllerA, Ttl, default));
        Assert.False(await b.TryAcquireOrRenewAsync(ControllerB, Ttl, default));

        await b.ReleaseAsync(ControllerB, default); // not the holder: changes nothing
        Assert.Equal(ControllerA, (await b.CurrentAsync(default))?.Owner);

        await a.ReleaseAsync(ControllerA, default);
        Assert.Null(a.LastError);
        Assert.Null(await b.CurrentAsync(default));
        Assert.True(await b.TryAcquireOrRenewAsync(ControllerB, Ttl, default));
        Assert.Equal(ControllerB, (await a.CurrentAsync(default))?.Owner);
    }

    [Fact]
    public async Task A_ttl_below_etcds_minimum_is_raised_and_a_changed_ttl_keeps_the_lease()
    {
        var a = Lease();
        Assert.True(await a.TryAcquireOrRenewAsync(ControllerA, TimeSpan.FromMilliseconds(300), default));
        Assert.Equal(TimeSpan.FromSeconds(2), a.GrantedTtl); // 1.5 × 1 s election timeout, rounded up
        var first = a.Held!;
        Assert.True(first.ExpiresAt - first.AcquiredAt >= TimeSpan.FromSeconds(2), $"expires {first.ExpiresAt - first.AcquiredAt} after acquiring");

        // A new ttl needs a new etcd lease; the key moves onto it without ever being free.
        Assert.True(await a.TryAcquireOrRenewAsync(ControllerA, TimeSpan.FromSeconds(5), default));
        Assert.Equal(TimeSpan.FromSeconds(5), a.GrantedTtl);
        Assert.Equal(first.AcquiredAt, a.Held!.AcquiredAt);
        var holder = await Lease().CurrentAsync(default);
        Assert.Equal(ControllerA, holder?.Owner);
        await a.ReleaseAsync(ControllerA, default);
    }

    [Fact]
    public async Task When_etcd_hangs_or_stops_the_holder_is_told_false_and_why()
    {
        using var own = await EtcdServer.StartAsync(); // this test stops its etcd
        output.WriteLine($"second etcd started in {own.StartedIn.TotalSeconds:0.00} s");
        var a = new EtcdLease(own.ClientUrl, _key, _http, TimeProvider.System) { RequestTimeout = TimeSpan.FromSeconds(1) };
        Assert.True(await a.TryAcquireOrRenewAsync(ControllerA, Ttl, default));

        // Hung (SIGSTOP): no answer within the request timeout.
        own.Freeze();
        var clock = Stopwatch.StartNew();
        Assert.False(await a.TryAcquireOrRenewAsync(ControllerA, Ttl, default));
        output.WriteLine($"hung etcd: refused after {clock.Elapsed.TotalSeconds:0.00} s (request timeout 1 s)");
        Assert.NotNull(a.LastError);
        Assert.Contains(own.ClientUrl.GetLeftPart(UriPartial.Authority), a.LastError);
        Assert.Contains("did not answer within 1 s", a.LastError);
        Assert.Null(a.Held);
        output.WriteLine($"hung: {a.LastError}");

        // Back: it still holds (its ttl had not run out in etcd's eyes), and the error clears.
        own.Thaw();
        Assert.True(await a.TryAcquireOrRenewAsync(ControllerA, Ttl, default), a.LastError);
        Assert.Null(a.LastError);

        // Stopped (SIGKILL): connection refused at once.
        own.Kill();
        clock.Restart();
        Assert.False(await a.TryAcquireOrRenewAsync(ControllerA, Ttl, default));
        output.WriteLine($"stopped etcd: refused after {clock.Elapsed.TotalSeconds:0.00} s");
        Assert.NotNull(a.LastError);
        Assert.Contains(own.ClientUrl.GetLeftPart(UriPartial.Authority), a.LastError);
        output.WriteLine($"stopped: {a.LastError}");

        // A controller starting now cannot get the lease either, and is not told it is free.
        var b = new EtcdLease(own.ClientUrl, _key, _http, TimeProvider.System) { RequestTimeout = TimeSpan.FromSeconds(1) };
        Assert.False(await b.TryAcquireOrRenewAsync(ControllerB, Ttl, default));
        Assert.NotNull(b.LastError);
        await Assert.ThrowsAsync<EtcdException>(() => b.CurrentAsync(default));
        await a.ReleaseAsync(ControllerA, default); // does not throw; says why in LastError
        Assert.NotNull(a.LastError);
    }
}
