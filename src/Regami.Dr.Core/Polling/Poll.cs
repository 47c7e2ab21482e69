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
    /// condition that became true during the last interval is not missed). With
    /// <see cref="Timeout.InfiniteTimeSpan"/> only <paramref name="ct"/> ends the wait. Cancellation
    /// throws; so does the condition, and its exception ends the wait.
    /// </summary>
    public static async Task<bool> UntilAsync(Func<CancellationToken, Task<bool>> condition, TimeSpan timeout, TimeSpan interval,
        TimeProvider time, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(condition);
        ArgumentNullException.ThrowIfNull(time);
        if (timeout < TimeSpan.Zero && timeout != Timeout.InfiniteTimeSpan)
            throw new ArgumentOutOfRangeException(nameof(timeout), timeout, "a timeout is zero or more, or Timeout.InfiniteTimeSpan");
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(interval, TimeSpan.Zero);
        var start = time.GetTimestamp();
        while (true)
        {
            ct.ThrowIfCancellationRequested();
            // Read the clock before checking: a check that starts before the deadline counts.
            var expired = timeout != Timeout.InfiniteTimeSpan && time.GetElapsedTime(start) >= timeout;
            // A wait has no context to return to (ConfigureAwait(false)): callers on a UI or test
            // context are not blocked by it, and it does not depend on theirs.
            if (await condition(ct).ConfigureAwait(false)) return true;
            if (expired) return false;
            await Task.Delay(interval, time, ct).ConfigureAwait(false);
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
        if (!await UntilAsync(condition, timeout, interval, time, ct).ConfigureAwait(false)) throw new TimeoutException(describeTimeout());
    }

    /// <summary>
    /// Observes every <paramref name="interval"/> until <paramref name="done"/> holds for what was
    /// observed, and returns that observation. No timeout of its own: the caller's
    /// <paramref name="ct"/> bounds it (a runbook step's timeout, for instance).
    /// </summary>
    public static async Task<T> UntilAsync<T>(Func<CancellationToken, Task<T>> observe, Func<T, bool> done, TimeSpan interval,
        TimeProvider time, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(observe);
        ArgumentNullException.ThrowIfNull(done);
        T last = default!;
        await UntilAsync(async c => done(last = await observe(c).ConfigureAwait(false)), Timeout.InfiniteTimeSpan, interval, time, ct)
            .ConfigureAwait(false);
        return last;
    }
}
