using System.Diagnostics;

namespace Regami.Dr.Component.Tests.Infrastructure;

/// <summary>
/// Waits for an observable condition instead of sleeping: a test says what it waits for, the
/// poll ends as soon as it holds, and a timeout fails with that description (and the last value
/// seen) rather than with whatever assertion happens to run next.
/// </summary>
internal static class Eventually
{
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(20);

    /// <summary>Polls <paramref name="condition"/> until it is true; fails naming <paramref name="what"/> after <paramref name="timeout"/>.</summary>
    public static async Task WaitUntilAsync(Func<Task<bool>> condition, TimeSpan timeout, string what) =>
        await WaitForAsync(condition, ok => ok, timeout, what);

    /// <inheritdoc cref="WaitUntilAsync(Func{Task{bool}}, TimeSpan, string)"/>
    public static Task WaitUntilAsync(Func<bool> condition, TimeSpan timeout, string what) =>
        WaitUntilAsync(() => Task.FromResult(condition()), timeout, what);

    /// <summary>Polls <paramref name="probe"/> until <paramref name="until"/> accepts its value and returns that value;
    /// fails naming <paramref name="what"/> and the last value after <paramref name="timeout"/>.</summary>
    public static async Task<T> WaitForAsync<T>(Func<Task<T>> probe, Func<T, bool> until, TimeSpan timeout, string what)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            var last = await probe();
            if (until(last)) return last;
            if (clock.Elapsed > timeout)
                throw new Xunit.Sdk.XunitException($"{what}: not reached within {timeout.TotalSeconds:0.###} s (last: {last})");
            await Task.Delay(PollInterval);
        }
    }
}
