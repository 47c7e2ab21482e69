using System.Diagnostics;
using Regami.Dr.Core.Tests.Store;
using Regami.Dr.Store;
using Regami.Dr.Component.Tests.Infrastructure;

namespace Regami.Dr.Component.Tests.Store;

public class FileRunbookLeaseTests : IDisposable
{
    private readonly TempStateDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private FileRunbookLease NewLease() => new(Path.Combine(_dir.Path, StateStore.LeaseFileName), StoreTimes.Clock());

    [Fact]
    public async Task A_second_acquisition_is_refused_and_names_the_holder()
    {
        var lease = NewLease();

        await using var first = await lease.TryAcquireAsync("failover-20261124T213000Z-ab12", default);
        var second = await NewLease().TryAcquireAsync("switchover-20261124T213001Z-cd34", default);

        Assert.NotNull(first);
        Assert.Null(second);
        Assert.Equal("failover-20261124T213000Z-ab12", await lease.CurrentHolderAsync(default));
        Assert.Equal("failover-20261124T213000Z-ab12", await NewLease().CurrentHolderAsync(default));
    }

    [Fact]
    public async Task After_release_the_lease_is_free_and_can_be_taken_again()
    {
        var lease = NewLease();
        var first = await lease.TryAcquireAsync("failover-1", default);
        await first!.DisposeAsync();

        Assert.Null(await lease.CurrentHolderAsync(default));
        Assert.False(File.Exists(lease.HolderFilePath));
        await using var again = await lease.TryAcquireAsync("failback-2", default);
        Assert.NotNull(again);
        Assert.Equal("failback-2", await lease.CurrentHolderAsync(default));
    }

    [Fact]
    public async Task Asking_who_holds_a_free_lease_leaves_it_free()
    {
        var lease = NewLease();

        Assert.Null(await lease.CurrentHolderAsync(default));
        await using var taken = await lease.TryAcquireAsync("failover-1", default);

        Assert.NotNull(taken);
    }

    [Fact]
    public async Task A_lease_held_by_a_killed_process_is_free_again()
    {
        var lease = NewLease();
        var ready = Path.Combine(_dir.Path, "child-ready");
        // util-linux flock(1) takes the same flock(2) lock .NET takes; -o keeps it in the flock
        // process itself. The child records itself as holder the way FileLease does.
        var holderJson = "{\"Owner\":\"failover-child\",\"Pid\":'$$',\"AcquiredAt\":\"2026-11-24T21:30:00+00:00\"}";
        var child = Process.Start(new ProcessStartInfo("flock")
        {
            ArgumentList =
            {
                "-n", "-o", lease.LockFilePath, "sh", "-c",
                $"echo '{holderJson}' > '{lease.HolderFilePath}' && touch '{ready}' && exec sleep 300",
            },
            UseShellExecute = false,
        })!;
        try
        {
            await Eventually.WaitUntilAsync(() => File.Exists(ready), TimeSpan.FromSeconds(10), "the child process takes the lock");

            Assert.Null(await lease.TryAcquireAsync("failover-parent", default));
            Assert.Equal("failover-child", await lease.CurrentHolderAsync(default));

            child.Kill(entireProcessTree: true);
            await child.WaitForExitAsync();
        }
        finally
        {
            if (!child.HasExited) child.Kill(entireProcessTree: true);
            child.Dispose();
        }

        // The kernel released the lock; the holder file the child left behind is ignored.
        Assert.True(File.Exists(lease.HolderFilePath));
        Assert.Null(await lease.CurrentHolderAsync(default));
        await using var taken = await lease.TryAcquireAsync("failover-parent", default);
        Assert.NotNull(taken);
        Assert.Equal("failover-parent", await lease.CurrentHolderAsync(default));
    }

    [Fact]
    public async Task The_store_exposes_a_lease_beside_its_database()
    {
        using var store = StateStore.Open(_dir.Path, StoreTimes.Clock());

        await using var handle = await store.Lease.TryAcquireAsync("drill-1", default);

        Assert.NotNull(handle);
        Assert.Equal("drill-1", await NewLease().CurrentHolderAsync(default));
    }
}
