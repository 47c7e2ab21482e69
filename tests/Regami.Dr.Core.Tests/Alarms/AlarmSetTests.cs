using Regami.Dr.Core.Alarms;
using Regami.Dr.Core.Alerting;
using static Regami.Dr.Core.Tests.Alarms.AlarmTestKit;

namespace Regami.Dr.Core.Tests.Alarms;

public class AlarmSetTests
{
    private static readonly TimeSpan Probe = TimeSpan.FromSeconds(10);

    [Fact]
    public void A_new_alarm_starts_in_insufficient_data_like_a_new_cloudwatch_alarm()
    {
        var set = new AlarmSet([Alarm()]);

        var status = Assert.Single(set.Current);
        Assert.Equal(AlarmState.InsufficientData, status.State);
        Assert.Equal("Unchecked: Initial alarm creation", status.Reason);
        Assert.Null(status.Since);
        Assert.Null(status.LastEvaluation);
    }

    [Fact]
    public void An_alarm_transitions_once_into_alarm_and_once_back_to_ok()
    {
        var set = new AlarmSet([Alarm()]);
        var transitions = new List<(int Minute, AlarmState From, AlarmState To)>();

        // As the monitor loop does: a minute of probes every 10 s, then an evaluation at the minute's end.
        // Minutes 0-2 are good, 3-6 breaching, 7-9 good.
        for (var minute = 0; minute < 10; minute++)
        {
            Record(set, T0 + minute * Minute, T0 + (minute + 1) * Minute, minute is >= 3 and <= 6 ? Breach : Ok);
            foreach (var change in set.Evaluate(T0 + (minute + 1) * Minute))
                transitions.Add((minute + 1, change.From, change.To));
        }

        Assert.Equal(
            [
                (1, AlarmState.InsufficientData, AlarmState.Ok), // one good datapoint, the rest missing
                (6, AlarmState.Ok, AlarmState.Alarm),            // minutes 3, 4, 5 breached: 3 of 3
                (8, AlarmState.Alarm, AlarmState.Ok),            // minute 7 is good again
            ],
            transitions);
    }

    [Fact]
    public void A_transition_carries_what_escalation_and_audit_need()
    {
        var definition = Alarm(1, 1) with { Name = "lag", Severity = Severity.Sev2 };
        var set = new AlarmSet([definition]);
        set.Record(new MetricSample(Metric, T0 + TimeSpan.FromSeconds(5), Breach));
        var at = T0 + Minute;

        var transition = Assert.Single(set.Evaluate(at));

        Assert.Equal(new AlarmTransition("lag", AlarmState.InsufficientData, AlarmState.Alarm, Severity.Sev2,
            "Threshold Crossed: 1 datapoint [20.0] was greater than the threshold (10.0).", at), transition);
        var status = set.StatusOf("lag");
        Assert.Equal(AlarmState.Alarm, status.State);
        Assert.Equal(transition.Reason, status.Reason);
        Assert.Equal(at, status.Since);
    }

    [Fact]
    public void Staying_in_a_state_updates_the_last_evaluation_but_not_since()
    {
        var set = new AlarmSet([Alarm(1, 1)]);
        Record(set, T0, T0 + 3 * Minute, Breach);
        set.Evaluate(T0 + Minute);

        Assert.Empty(set.Evaluate(T0 + 2 * Minute));

        var status = set.StatusOf("test-alarm");
        Assert.Equal(T0 + Minute, status.Since);
        Assert.Equal(T0 + 2 * Minute, status.LastEvaluation!.EvaluatedAt);
    }

    [Fact]
    public void Several_alarms_on_one_metric_report_in_definition_order()
    {
        var fast = Alarm(1, 1) with { Name = "fast" };
        var slow = Alarm(3, 3) with { Name = "slow" };
        var set = new AlarmSet([fast, slow]);
        Record(set, T0, T0 + 3 * Minute, Breach);

        var transitions = set.Evaluate(T0 + 3 * Minute);

        Assert.Equal(["fast", "slow"], transitions.Select(t => t.Alarm));
        Assert.All(transitions, t => Assert.Equal(AlarmState.Alarm, t.To));
    }

    [Fact]
    public void Samples_nobody_watches_or_too_old_to_matter_are_not_kept()
    {
        var set = new AlarmSet([Alarm()]); // reads 5 periods, plus the open one: 6 minutes
        Assert.True(set.Record(new MetricSample(Metric, T0 + 10 * Minute, Ok)));

        Assert.False(set.Record(new MetricSample("unwatched", T0 + 10 * Minute, Ok)));
        Assert.False(set.Record(new MetricSample(Metric, T0 + 3 * Minute, Ok)));
        Assert.True(set.Record(new MetricSample(Metric, T0 + 5 * Minute, Ok)));
        Assert.Equal(2, set.BufferedSamples(Metric));
    }

    [Fact]
    public void The_buffer_holds_only_what_the_longest_alarm_on_the_metric_reads()
    {
        var set = new AlarmSet([Alarm(1, 1) with { Name = "short" }, Alarm(3, 3) with { Name = "long" }]);

        Record(set, T0, T0 + 60 * Minute, Ok);

        Assert.Equal(6 * 6 + 1, set.BufferedSamples(Metric)); // 6 minutes before the newest sample, both ends included
        set.Evaluate(T0 + 63 * Minute);
        Assert.Equal(3 * 6, set.BufferedSamples(Metric));
    }

    [Fact]
    public void A_late_sample_still_counts_in_its_own_period()
    {
        var set = new AlarmSet([Alarm(3, 1)]);
        Record(set, T0, T0 + 3 * Minute, Ok);
        Assert.True(set.Record(new MetricSample(Metric, T0 + Minute + TimeSpan.FromSeconds(5), Breach)));

        set.Evaluate(T0 + 3 * Minute);

        Assert.Equal([Ok, Breach, Ok], set.StatusOf("test-alarm").LastEvaluation!.Datapoints.TakeLast(3));
        Assert.Equal(AlarmState.Alarm, set.StatusOf("test-alarm").State);
    }

    [Fact]
    public void Definitions_are_validated_when_the_set_is_built_and_every_problem_is_reported()
    {
        AlarmDefinition[] definitions =
        [
            Alarm() with { Name = "twice" },
            Alarm() with { Name = "twice" },
            Alarm() with { Name = "broken", Period = TimeSpan.Zero },
        ];

        var error = Assert.Throws<ArgumentException>(() => new AlarmSet(definitions));

        Assert.Contains("alarm 'broken': period must be greater than 0 (found 0 s)", error.Message);
        Assert.Contains("alarm name 'twice' is used 2 times; names must be unique", error.Message);
    }

    [Fact]
    public void Asking_for_an_unknown_alarm_names_it()
    {
        var error = Assert.Throws<KeyNotFoundException>(() => new AlarmSet([]).StatusOf("nope"));

        Assert.Equal("There is no alarm named 'nope'.", error.Message);
    }

    private static void Record(AlarmSet set, DateTimeOffset from, DateTimeOffset to, double value)
    {
        foreach (var sample in Every(Probe, from, to, Metric, value))
            set.Record(sample);
    }
}
