using Microsoft.Extensions.Time.Testing;
using Regami.Dr.Core.Polling;

namespace Regami.Dr.Core.Tests.Polling;

public sealed class PollTests
{
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(5);
    private readonly WaitObservingTime _time = new();

    /// <summary>
    /// A fake clock that says when a wait has begun: the poll's next check runs on another thread
    /// once a wait ends, so the test advances the clock only after the poll has started its next
    /// wait (a wait started after the advance would not see it).
    /// </summary>
    private sealed class WaitObservingTime() : FakeTimeProvider(new DateTimeOffset(2026, 11, 29, 9, 0, 0, TimeSpan.Zero))
    {
        private readonly SemaphoreSlim _waits = new(0);

        public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
        {
            var timer = base.CreateTimer(callback, state, dueTime, period);
            _waits.Release();
            return timer;
        }

        /// <summary>Waits for the poll to begin its next wait, then lets that wait's interval pass.</summary>
        public async Task AdvanceWhenWaitingAsync(TimeSpan by)
        {
            Assert.True(await _waits.WaitAsync(TimeSpan.FromSeconds(10)), "the poll never started to wait");
            Advance(by);
        }

        public async Task UntilWaitingAsync() =>
            Assert.True(await _waits.WaitAsync(TimeSpan.FromSeconds(10)), "the poll never started to wait");
    }

    [Fact]
    public async Task A_condition_that_holds_at_once_is_checked_once_and_no_time_passes()
    {
        var checks = 0;
        var held = await Poll.UntilAsync(_ => Task.FromResult(++checks > 0), Timeout, Interval, _time, default);

        Assert.True(held);
        Assert.Equal(1, checks);
    }

    [Fact]
    public async Task The_condition_is_checked_every_interval_until_it_holds()
    {
        var checks = 0;
        var poll = Poll.UntilAsync(_ => Task.FromResult(Interlocked.Increment(ref checks) == 3), Timeout, Interval, _time, default);

        await _time.AdvanceWhenWaitingAsync(Interval);
        await _time.UntilWaitingAsync();
        Assert.Equal(2, Volatile.Read(ref checks));
        Assert.False(poll.IsCompleted);
        _time.Advance(Interval);

        Assert.True(await poll);
        Assert.Equal(3, checks);
    }

    [Fact]
    public async Task A_condition_that_never_holds_is_false_after_the_timeout_with_one_last_check_at_the_deadline()
    {
        var checks = 0;
        var poll = Poll.UntilAsync(_ => Task.FromResult(Interlocked.Increment(ref checks) < 0), Timeout, Interval, _time, default);

        for (var i = 0; i < 4; i++) await _time.AdvanceWhenWaitingAsync(Interval);
        await _time.UntilWaitingAsync();
        Assert.False(poll.IsCompleted); // 4 s of 5
        _time.Advance(Interval);

        Assert.False(await poll);
        Assert.Equal(6, checks); // at 0, 1, 2, 3, 4 and 5 s
    }

    [Fact]
    public async Task Cancellation_ends_the_wait_with_an_exception()
    {
        using var cts = new CancellationTokenSource();
        var poll = Poll.UntilAsync(_ => Task.FromResult(false), Timeout, Interval, _time, cts.Token);

        await cts.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => poll);
    }

    [Fact]
    public async Task UntilOrThrow_names_what_was_awaited_and_what_was_last_seen()
    {
        var seen = "state startup";
        var poll = Poll.UntilOrThrowAsync(_ => { seen = "state catchup"; return Task.FromResult(false); }, Timeout, Interval, _time,
            () => $"standby did not catch up within 5 s: {seen}", default);

        for (var i = 0; i < 5; i++) await _time.AdvanceWhenWaitingAsync(Interval);

        var e = await Assert.ThrowsAsync<TimeoutException>(() => poll);
        Assert.Equal("standby did not catch up within 5 s: state catchup", e.Message);
    }

    [Fact]
    public async Task The_observing_form_returns_the_observation_that_satisfied_it()
    {
        var answers = new Queue<string?>(["eu-west-3", null, "eu-central-1"]);
        var poll = Poll.UntilAsync(_ => Task.FromResult(answers.Dequeue()), r => r == "eu-central-1", Interval, _time, default);

        await _time.AdvanceWhenWaitingAsync(Interval);
        await _time.AdvanceWhenWaitingAsync(Interval);

        Assert.Equal("eu-central-1", await poll);
    }
}
