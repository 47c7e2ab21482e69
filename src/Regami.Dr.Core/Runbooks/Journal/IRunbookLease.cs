namespace Regami.Dr.Core.Runbooks.Journal;

/// <summary>
/// The lease that keeps two runbooks from running at once (port). Whoever holds it may run a
/// runbook; it is released when the handle is disposed, or by the system when the holder dies.
/// </summary>
public interface IRunbookLease
{
    /// <summary>
    /// Takes the lease for <paramref name="holderRunId"/> (a run id, or any text naming the holder),
    /// or returns null at once when someone else holds it.
    /// </summary>
    Task<RunbookLeaseHandle?> TryAcquireAsync(string holderRunId, CancellationToken ct);

    /// <summary>The holder text given to <see cref="TryAcquireAsync"/> by the current holder, or null when free.</summary>
    Task<string?> CurrentHolderAsync(CancellationToken ct);
}

/// <summary>A held lease; disposing it releases the lease (once, however often it is disposed).</summary>
public sealed class RunbookLeaseHandle(string holderRunId, Func<ValueTask> release) : IAsyncDisposable
{
    private Func<ValueTask>? _release = release ?? throw new ArgumentNullException(nameof(release));

    /// <summary>The holder text the lease was taken for.</summary>
    public string HolderRunId { get; } = holderRunId ?? throw new ArgumentNullException(nameof(holderRunId));

    /// <summary>False once released.</summary>
    public bool IsHeld => Volatile.Read(ref _release) is not null;

    public ValueTask DisposeAsync() =>
        Interlocked.Exchange(ref _release, null) is { } release ? release() : ValueTask.CompletedTask;
}
