namespace Regami.Dr.Core.Polling;

/// <summary>
/// The one way to wait for a condition: check it now, then every <c>interval</c> until it holds
/// or <c>timeout</c> has passed. Time comes from the given <see cref="TimeProvider"/> (Core does
/// no I/O and keeps no clock of its own), so a <c>FakeTimeProvider</c> drives it in tests and
/// adapters that wait on another process pass <see cref="TimeProvider.System"/>.
/// </summary>
public static class Poll
{
    /// <summary>
    /// True as soon as <paramref name="condition"/> returns true; false when it still does not
    /// after <paramref name="timeout"/> (it is checked once more once the timeout has passed, so a
    /// condition that became true during the last interval is not missed). Cancellation throws.
    /// </summary>
    public static async Task<bool> UntilAsync(Func<CancellationToken, Task<bool>> condition, TimeSpan timeout, TimeSpan interval,
        TimeProvider time, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(condition);
        ArgumentNullException.ThrowIfNull(time);
        ArgumentOutOfRangeException.ThrowIfLessThan(timeout, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(interval, TimeSpan.Zero);
        var start = time.GetTimestamp();
        while (true)
        {
            ct.ThrowIfCancellationRequested();
            // Read the clock before checking: a check that starts before the deadline counts.
            var expired = time.GetElapsedTime(start) >= timeout;
            if (await condition(ct)) return true;
            if (expired) return false;
            await Task.Delay(interval, time, ct);
        }
    }

    /// <summary>
    /// Like <see cref="UntilAsync(Func{CancellationToken, Task{bool}}, TimeSpan, TimeSpan, TimeProvider, CancellationToken)"/>,
    /// but a timeout throws a <see cref="TimeoutException"/> naming what was awaited: the message
    /// is <paramref name="describeTimeout"/>'s, called then, so it can say what was last seen.
    /// </summary>
    public static async Task UntilOrThrowAsync(Func<CancellationToken, Task<bool>> condition, TimeSpan timeout, TimeSpan interval,
        TimeProvider time, Func<string> describeTimeout, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(describeTimeout);
        if (!await UntilAsync(condition, timeout, interval, time, ct)) throw new TimeoutException(describeTimeout());
    }
}
