using Regami.Dr.Core.Alarms;
using Regami.Dr.Core.Alerting;

namespace Regami.Dr.Core.Tests.Alarms;

/// <summary>Explicit times and a compact notation for datapoints, the one the CloudWatch User Guide uses.</summary>
internal static class AlarmTestKit
{
    public static readonly TimeSpan Minute = TimeSpan.FromMinutes(1);

    /// <summary>A period boundary for every period used here: 2025-03-03 12:00:00 UTC.</summary>
    public static readonly DateTimeOffset T0 = new(2025, 3, 3, 12, 0, 0, TimeSpan.Zero);

    public const string Metric = "test.metric";

    /// <summary>Within the threshold of <see cref="Alarm"/> ("0" in the notation).</summary>
    public const double Ok = 0;

    /// <summary>Breaching the threshold of <see cref="Alarm"/> ("X" in the notation).</summary>
    public const double Breach = 20;

    /// <summary>A 60 s alarm on <see cref="Metric"/>: Maximum &gt; 10, N of 3 and M of 3 unless told otherwise.</summary>
    public static AlarmDefinition Alarm(
        int evaluationPeriods = 3,
        int datapointsToAlarm = 3,
        MissingDataTreatment treatMissingData = MissingDataTreatment.Missing,
        Statistic statistic = Statistic.Maximum,
        ComparisonOperator comparison = ComparisonOperator.GreaterThanThreshold,
        double threshold = 10) =>
        new("test-alarm", Metric, Minute, statistic, evaluationPeriods, datapointsToAlarm, comparison, threshold, treatMissingData, Severity.Sev3, "A test alarm.");

    /// <summary>
    /// One sample per period for a pattern such as <c>"0 - X - X"</c>, oldest first, the last period ending at
    /// <paramref name="end"/>: <c>0</c> is within the threshold, <c>X</c> breaches it, <c>-</c> has no sample.
    /// </summary>
    public static IReadOnlyList<MetricSample> Pattern(string pattern, DateTimeOffset end)
    {
        var tokens = pattern.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        var start = end - Minute * tokens.Length;
        var samples = new List<MetricSample>();
        for (var i = 0; i < tokens.Length; i++)
        {
            var at = start + Minute * i + TimeSpan.FromSeconds(30);
            switch (tokens[i])
            {
                case "0": samples.Add(new MetricSample(Metric, at, Ok)); break;
                case "X": samples.Add(new MetricSample(Metric, at, Breach)); break;
                case "-": break;
                default: throw new ArgumentException($"Unknown token '{tokens[i]}' in '{pattern}'.");
            }
        }
        return samples;
    }

    /// <summary>Samples of <paramref name="metric"/> every <paramref name="step"/> in <c>[from, to)</c>, all with <paramref name="value"/>.</summary>
    public static IEnumerable<MetricSample> Every(TimeSpan step, DateTimeOffset from, DateTimeOffset to, string metric, double value)
    {
        for (var at = from; at < to; at += step)
            yield return new MetricSample(metric, at, value);
    }
}
