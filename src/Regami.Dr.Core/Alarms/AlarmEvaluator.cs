using System.Globalization;

namespace Regami.Dr.Core.Alarms;

/// <summary>
/// Evaluates one metric alarm the way CloudWatch does, as a pure function of the definition, the samples,
/// the time and the alarm's current state.
/// </summary>
/// <remarks>
/// <para>
/// <b>Periods.</b> Periods are aligned to multiples of <see cref="AlarmDefinition.Period"/> since the Unix
/// epoch (CloudWatch's datapoints are stamped 12:01:00, 12:02:00, …). The period containing
/// <c>now</c> is still open and is not evaluated; the evaluation reads the
/// <see cref="AlarmDefinition.EvaluationRange"/> complete periods before it (N evaluation periods plus
/// the look-back). A sample belongs to the period <c>[start, start + Period)</c> that contains it. A period
/// without a sample has no datapoint: it is <i>missing</i>.
/// </para>
/// <para>
/// <b>Deciding</b> (CloudWatch User Guide, "How alarm state is evaluated when data is missing";
/// awsdocs/amazon-cloudwatch-user-guide, doc_source/AlarmThatSendsEmail.md):
/// </para>
/// <list type="number">
/// <item>If the range holds at least N real datapoints, the newest N real ones decide, skipping missing
/// periods; the treatment of missing data is not used. ALARM when at least M of them breach, else OK.</item>
/// <item>If the range holds no datapoint at all: <c>missing</c> → INSUFFICIENT_DATA, <c>ignore</c> → keep the
/// current state, <c>breaching</c> → ALARM, <c>notBreaching</c> → OK.</item>
/// <item>Otherwise every real datapoint counts, and for <c>breaching</c>/<c>notBreaching</c> only as many
/// missing periods as are needed to make N are filled in ("CloudWatch uses missing data points only as few
/// times as possible"), newest first.</item>
/// <item>For <c>missing</c> with too few real datapoints, the real ones decide, except for CloudWatch's rule
/// against premature transitions read the other way: when every datapoint since the oldest breaching one is
/// breaching or missing and that one is at least M periods old, the alarm goes to ALARM. <c>ignore</c> does the
/// same as <c>missing</c> but keeps the current state where that ALARM would rest on missing periods.</item>
/// </list>
/// <para>
/// These rules reproduce every row of the two example tables in that guide (3 of 3 and 2 of 3, range 5);
/// the tests hold them as data. Where the guide's prose and tables disagree (the premature-ALARM rule with
/// an older non-breaching datapoint in range, "0 - X - -"), the tables win: a real OK datapoint in range
/// keeps the alarm out of ALARM unless M datapoints really breach.
/// </para>
/// </remarks>
public static class AlarmEvaluator
{
    /// <summary>
    /// Evaluates <paramref name="definition"/> over the samples of its metric (others are skipped) at
    /// <paramref name="now"/>. <paramref name="current"/> is the alarm's state before this evaluation; only
    /// <see cref="MissingDataTreatment.Ignore"/> can keep it.
    /// </summary>
    /// <exception cref="ArgumentException">The definition is invalid (see <see cref="AlarmDefinition.Validate"/>).</exception>
    public static AlarmEvaluation Evaluate(AlarmDefinition definition, IEnumerable<MetricSample> samples, DateTimeOffset now, AlarmState current)
    {
        ArgumentNullException.ThrowIfNull(definition);
        ArgumentNullException.ThrowIfNull(samples);
        var errors = definition.Validate();
        if (errors.Count > 0)
            throw new ArgumentException($"Alarm '{definition.Name}' is invalid: {string.Join("; ", errors)}.", nameof(definition));

        var firstPeriodStart = LastCompletePeriodEnd(definition.Period, now) - definition.EvaluationRangeDuration;
        var datapoints = Aggregate(definition, samples, firstPeriodStart);
        var (state, reason) = Decide(definition, datapoints, current);
        return new AlarmEvaluation(state, reason, datapoints, now, firstPeriodStart);
    }

    /// <summary>
    /// The end of the newest complete period at <paramref name="now"/>: the last multiple of
    /// <paramref name="period"/> since the Unix epoch that is not after <paramref name="now"/>.
    /// </summary>
    public static DateTimeOffset LastCompletePeriodEnd(TimeSpan period, DateTimeOffset now)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(period, TimeSpan.Zero);
        var sinceEpoch = now.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks;
        var intoPeriod = sinceEpoch % period.Ticks;
        if (intoPeriod < 0) intoPeriod += period.Ticks;
        return new DateTimeOffset(now.UtcTicks - intoPeriod, TimeSpan.Zero);
    }

    private static IReadOnlyList<double?> Aggregate(AlarmDefinition definition, IEnumerable<MetricSample> samples, DateTimeOffset firstPeriodStart)
    {
        var range = definition.EvaluationRange;
        var periodTicks = definition.Period.Ticks;
        var count = new int[range];
        var sum = new double[range];
        var min = new double[range];
        var max = new double[range];
        foreach (var sample in samples)
        {
            if (sample is null || !string.Equals(sample.Metric, definition.Metric, StringComparison.Ordinal) || !double.IsFinite(sample.Value))
                continue;
            var offset = sample.At.UtcTicks - firstPeriodStart.UtcTicks;
            if (offset < 0) continue;
            var index = offset / periodTicks;
            if (index >= range) continue;
            var i = (int)index;
            min[i] = count[i] == 0 ? sample.Value : Math.Min(min[i], sample.Value);
            max[i] = count[i] == 0 ? sample.Value : Math.Max(max[i], sample.Value);
            sum[i] += sample.Value;
            count[i]++;
        }

        var datapoints = new double?[range];
        for (var i = 0; i < range; i++)
        {
            if (count[i] == 0) continue;
            datapoints[i] = definition.Statistic switch
            {
                Statistic.Minimum => min[i],
                Statistic.Maximum => max[i],
                Statistic.Average => sum[i] / count[i],
                Statistic.Sum => sum[i],
                Statistic.SampleCount => count[i],
                _ => throw new InvalidOperationException($"Unknown statistic {definition.Statistic}."),
            };
        }
        return Array.AsReadOnly(datapoints);
    }

    private static (AlarmState State, string Reason) Decide(AlarmDefinition definition, IReadOnlyList<double?> points, AlarmState current)
    {
        var n = definition.EvaluationPeriods;
        var m = definition.DatapointsToAlarm;
        var range = points.Count;
        var newestFirst = Enumerable.Range(0, range).Reverse().ToList();
        var real = newestFirst.Where(i => points[i] is not null).ToList();
        bool Breaches(int i) => definition.IsBreaching(points[i]!.Value);

        // Rule 1: N real datapoints in range; the treatment of missing data is not needed.
        if (real.Count >= n)
        {
            var used = real.Take(n).ToList();
            return Crossed(definition, points, used, used.Count(Breaches), note: "");
        }

        // Rule 2: nothing at all in range.
        if (real.Count == 0)
        {
            return definition.TreatMissingData switch
            {
                MissingDataTreatment.Missing =>
                    (AlarmState.InsufficientData, $"Insufficient Data: {range} datapoints were unknown."),
                MissingDataTreatment.Ignore =>
                    (current, $"Missing data ignored: all {range} datapoints were unknown, so the alarm stays {current.ToCloudWatchName()}."),
                MissingDataTreatment.Breaching =>
                    (AlarmState.Alarm, $"Threshold Crossed: no datapoints were received for {range} periods and {Missing(n)} {WasOrWere(n)} treated as [Breaching]."),
                _ =>
                    (AlarmState.Ok, $"Threshold Crossed: no datapoints were received for {range} periods and {Missing(n)} {WasOrWere(n)} treated as [NotBreaching]."),
            };
        }

        var shortfall = n - real.Count;
        var realBreaching = real.Count(Breaches);

        // Rule 3: fill only the shortfall, with the newest missing periods; every real datapoint counts.
        if (definition.TreatMissingData is MissingDataTreatment.Breaching or MissingDataTreatment.NotBreaching)
        {
            var fillAsBreaching = definition.TreatMissingData == MissingDataTreatment.Breaching;
            var filled = newestFirst.Where(i => points[i] is null).Take(shortfall);
            var slots = real.Concat(filled).OrderDescending().ToList();
            var breaching = realBreaching + (fillAsBreaching ? shortfall : 0);
            var treatedAs = fillAsBreaching ? "breaching" : "not breaching";
            return Crossed(definition, points, slots, breaching, note: $" ({Missing(shortfall)} treated as {treatedAs})");
        }

        // Rule 4: missing / ignore with too few real datapoints.
        var leftOut = $" ({Missing(shortfall)} left out)";
        if (realBreaching >= m)
            return Crossed(definition, points, real, realBreaching, leftOut);

        var oldestAge = range - real[^1];
        if (realBreaching == real.Count && oldestAge >= m)
        {
            // Every datapoint since the oldest breaching one breaches or is missing, for at least M periods.
            var since = newestFirst.Take(oldestAge).ToList();
            var finding = $"every datapoint of the last {oldestAge} periods [{List(points, since)}] was {definition.Comparison.ToPhrase()} the threshold ({Format(definition.Threshold)}) or missing";
            return definition.TreatMissingData == MissingDataTreatment.Ignore
                ? (current, $"Missing data ignored: {finding}; an ALARM would rest on missing data, so the alarm stays {current.ToCloudWatchName()}.")
                : (AlarmState.Alarm, $"Threshold Crossed: {finding}.");
        }
        return Crossed(definition, points, real, realBreaching, leftOut);
    }

    /// <summary>ALARM when at least M of the <paramref name="slots"/> breach, else OK, with CloudWatch's sentence.</summary>
    private static (AlarmState, string) Crossed(AlarmDefinition definition, IReadOnlyList<double?> points, IReadOnlyList<int> slots, int breaching, string note)
    {
        var state = breaching >= definition.DatapointsToAlarm ? AlarmState.Alarm : AlarmState.Ok;
        var counted = state == AlarmState.Alarm ? breaching : slots.Count - breaching;
        var subject = slots.Count == 1 ? "1 datapoint" : $"{counted} out of the last {slots.Count} datapoints";
        var verb = WasOrWere(counted) + " " + (state == AlarmState.Alarm ? "" : "not ") + definition.Comparison.ToPhrase();
        return (state, $"Threshold Crossed: {subject} [{List(points, slots)}] {verb} the threshold ({Format(definition.Threshold)}){note}.");
    }

    private static string List(IReadOnlyList<double?> points, IEnumerable<int> newestFirst) =>
        string.Join(", ", newestFirst.Select(i => points[i] is { } value ? Format(value) : "missing"));

    /// <summary>CloudWatch writes values with at least one decimal: 0.0, 1.0, 300.5.</summary>
    private static string Format(double value) => value.ToString("0.0###############", CultureInfo.InvariantCulture);

    private static string WasOrWere(int count) => count == 1 ? "was" : "were";

    private static string Missing(int count) => count == 1 ? "1 missing datapoint" : $"{count} missing datapoints";
}
