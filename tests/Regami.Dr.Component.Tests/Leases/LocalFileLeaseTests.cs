using System.Diagnostics;
using Microsoft.Extensions.Time.Testing;
using Regami.Dr.Server.Leases;
using Regami.Dr.Component.Tests.Infrastructure;

namespace Regami.Dr.Component.Tests.Leases;

/// <summary>
/// The single-host controller lease on a real lock file. The ttl runs on a fake clock; what the
/// kernel does (flock between open files, release on process death) is real.
/// </summary>
public sealed class LocalFileLeaseTests : IDisposable
{
    private static readonly TimeSpan Ttl = TimeSpan.FromSeconds(30);
    private const string ControllerA = "controller@eu-west-3 pid 101";
    private const string ControllerB = "controller@eu-central-1 pid 202";

    private readonly string _dir = Path.Combine(Path.GetTempPath(), $"regami-lease-{Guid.NewGuid():N}");
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 24, 3, 0, 0, TimeSpan.Zero));

    private string LockPath => Path.Combine(_dir, "controller.lock");

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (DirectoryNotFoundException) { }
    }

    private LocalFileLease Lease() => new(LockPath, _time) { HolderWriteWait = TimeSpan.FromMilliseconds(200) };

    [Fact]
    public async Task The_first_owner_acquires_and_a_second_is_refused_while_it_holds()
    {
        using var a = Lease();
        using var b = Lease();

        Assert.Null(await b.CurrentAsync(default));
        Assert.True(await a.TryAcquireOrRenewAsync(ControllerA, Ttl, default));
        Assert.False(await b.TryAcquireOrRenewAsync(ControllerB, Ttl, default));
        // The same instance does not hand the lease to another owner either.
        Assert.False(await a.TryAcquireOrRenewAsync(ControllerB, Ttl, default));

        var expected = new Regami.Dr.Core.Leases.LeaseHolder(ControllerA, _time.GetUtcNow(), _time.GetUtcNow() + Ttl);
        Assert.Equal(expected, await a.CurrentAsync(default));
        Assert.Equal(expected, await b.CurrentAsync(default)); // read from the holder file beside the lock
        Assert.Equal($"local file {LockPath}", a.Name);
    }

    [Fact]
    public async Task The_holder_renews_past_its_first_ttl_and_keeps_the_lease()
    {
        using var a = Lease();
        using var b = Lease();
        var acquiredAt = _time.GetUtcNow();
        Assert.True(await a.TryAcquireOrRenewAsync(ControllerA, Ttl, default));

        for (var tick = 0; tick < 4; tick++)
        {
            _time.Advance(Ttl / 2);
            Assert.True(await a.TryAcquireOrRenewAsync(ControllerA, Ttl, default));
            Assert.False(await b.TryAcquireOrRenewAsync(ControllerB, Ttl, default));
        }

        var holder = await b.CurrentAsync(default);
        Assert.Equal(ControllerA, holder?.Owner);
        Assert.Equal(acquiredAt, holder!.AcquiredAt);
        Assert.Equal(_time.GetUtcNow() + Ttl, holder.ExpiresAt);
    }

    [Fact]
    public async Task Release_lets_another_owner_acquire_at_once()
    {
        using var a = Lease();
        using var b = Lease();
        Assert.True(await a.TryAcquireOrRenewAsync(ControllerA, Ttl, default));

        await a.ReleaseAsync(ControllerB, default); // not the holder's name: nothing happens
        Assert.False(await b.TryAcquireOrRenewAsync(ControllerB, Ttl, default));

        await a.ReleaseAsync(ControllerA, default);
        Assert.False(File.Exists(a.HolderFilePath));
        Assert.Null(await b.CurrentAsync(default));
        Assert.True(await b.TryAcquireOrRenewAsync(ControllerB, Ttl, default));
        Assert.Equal(ControllerB, (await a.CurrentAsync(default))?.Owner);
    }

    [Fact]
    public async Task A_holder_that_stops_renewing_gives_the_lock_up_when_its_ttl_passes()
    {
        using var a = Lease();
        using var b = Lease();
        Assert.True(await a.TryAcquireOrRenewAsync(ControllerA, Ttl, default));

        _time.Advance(Ttl - TimeSpan.FromSeconds(1));
        Assert.False(await b.TryAcquireOrRenewAsync(ControllerB, Ttl, default));

        _time.Advance(TimeSpan.FromSeconds(1)); // the holder's timer closes its lock file
        await WaitUntil(async () => await b.TryAcquireOrRenewAsync(ControllerB, Ttl, default), "B acquires after A's ttl");
        Assert.Null(a.LastError);

        // A renewing too late finds the lease taken.
        Assert.False(await a.TryAcquireOrRenewAsync(ControllerA, Ttl, default));
        Assert.Equal(ControllerB, (await a.CurrentAsync(default))?.Owner);
    }

    [Fact]
    public async Task A_late_renewal_with_nobody_waiting_is_a_fresh_acquisition()
    {
        using var a = Lease();
        Assert.True(await a.TryAcquireOrRenewAsync(ControllerA, Ttl, default));
        _time.Advance(Ttl + TimeSpan.FromSeconds(5));

        var now = _time.GetUtcNow();
        Assert.True(await a.TryAcquireOrRenewAsync(ControllerA, Ttl, default));
        Assert.Equal(now, (await a.CurrentAsync(default))!.AcquiredAt);
    }

    [Fact]
    public async Task A_killed_holder_process_frees_the_lease()
    {
        var flock = "/usr/bin/flock";
        Assert.True(File.Exists(flock), "flock(1) from util-linux is needed to hold the lock from a child process");
        Directory.CreateDirectory(_dir);
        var marker = Path.Combine(_dir, "child-holds-lock");

        // The child takes the same kernel lock (flock LOCK_EX) and holds it until it is killed.
        var info = new ProcessStartInfo(flock) { UseShellExecute = false };
        foreach (var arg in new[] { "--exclusive", LockPath, "sh", "-c", $"touch '{marker}'; exec sleep 600" }) info.ArgumentList.Add(arg);
        using var child = Process.Start(info)!;
        try
        {
            await WaitUntil(() => Task.FromResult(File.Exists(marker)), "the child holds the lock");
            using var lease = Lease();

            Assert.False(await lease.TryAcquireOrRenewAsync(ControllerB, Ttl, default));
            Assert.Equal(LocalFileLease.UnknownOwner, (await lease.CurrentAsync(default))?.Owner);

            child.Kill(entireProcessTree: true); // SIGKILL: no chance to clean up
            await child.WaitForExitAsync();

            await WaitUntil(async () => await lease.TryAcquireOrRenewAsync(ControllerB, Ttl, default), "the lease is free after the kill");
            Assert.Equal(ControllerB, (await lease.CurrentAsync(default))?.Owner);
        }
        finally
        {
            if (!child.HasExited) child.Kill(entireProcessTree: true);
        }
    }

    private static Task WaitUntil(Func<Task<bool>> condition, string what) => Eventually.WaitUntilAsync(condition, TimeSpan.FromSeconds(5), what);
}
