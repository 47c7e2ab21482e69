using System.Globalization;
using CsCheck;
using Regami.Dr.Core.Ports;
using Regami.Dr.Core.Runbooks;

namespace Regami.Dr.Core.Tests.Runbooks;

/// <summary>
/// Properties of the RPO guard (<see cref="RpoGuardDecision.Evaluate"/>) over generated samples and
/// policies: it is conservative (what passes is proven within the RPO) and monotone (worse never
/// looks better). Whole numbers are generated more often than fractions so the bounds are hit exactly.
/// </summary>
public sealed class RpoGuardPropertyTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 24, 12, 0, 0, TimeSpan.Zero);

    /// <summary>The guard is a few comparisons: many samples cost milliseconds.</summary>
    private const int Iterations = 5_000;

    /// <summary>Seconds: mostly whole (to land on the bounds), sometimes fractional.</summary>
    private static Gen<double> Seconds(int max) =>
        Gen.Frequency<double>((3, Gen.Int[0, max].Select(i => (double)i)), (1, Gen.Double[0, max]));

    private static readonly Gen<RpoGuardPolicy> GenPolicy =
        Gen.Select(Gen.Int[0, 600], Gen.Long[0, 1_000_000], Gen.Int[1, 900], (lag, bytes, age) =>
            new RpoGuardPolicy { MaxLag = TimeSpan.FromSeconds(lag), MaxLagBytes = bytes, MaxSampleAge = TimeSpan.FromSeconds(age) });

    private static readonly Gen<long?> GenBytes =
        Gen.Frequency<long?>((2, Gen.Const<long?>(0)), (5, Gen.Long[1, 2_000_000].Select(b => (long?)b)), (1, Gen.Const((long?)null)));

    private static readonly Gen<double?> GenSeconds =
        Gen.Frequency<double?>((6, Seconds(900).Select(s => (double?)s)), (2, Gen.Const((double?)null)), (1, Gen.Const<double?>(double.NaN)));

    private static readonly Gen<bool?> GenStreaming = Gen.Frequency<bool?>((4, Gen.Const<bool?>(true)), (1, Gen.Const<bool?>(false)), (2, Gen.Const((bool?)null)));

    /// <summary>Age in seconds at <see cref="Now"/>; a few samples come from a clock ahead of ours.</summary>
    private static readonly Gen<double> GenAge = Gen.Frequency<double>((8, Seconds(900)), (1, Gen.Int[-60, -1].Select(i => (double)i)));

    private static LagSample Sample(long? bytes, double? seconds, double age, bool? streaming) =>
        new(Now.AddSeconds(-age), "eu-west-3", "eu-central-1", bytes, seconds, streaming);

    private static readonly Gen<LagSample> GenSample = Gen.Select(GenBytes, GenSeconds, GenAge, GenStreaming, Sample);

    private static string Show(LagSample s, RpoGuardPolicy p) =>
        string.Create(CultureInfo.InvariantCulture,
            $"sample {s.Bytes?.ToString(CultureInfo.InvariantCulture) ?? "null"} bytes / {s.Seconds?.ToString("R", CultureInfo.InvariantCulture) ?? "null"} s, {(Now - s.At).TotalSeconds} s old, streaming {s.StandbyStreaming?.ToString() ?? "null"}; policy maxLag {p.MaxLag.TotalSeconds} s, maxLagBytes {p.MaxLagBytes}, maxSampleAge {p.MaxSampleAge.TotalSeconds} s");

    private static double AgeOf(LagSample s) => Math.Max(0, (Now - s.At).TotalSeconds);

    [Fact]
    public void A_pass_is_proven_within_the_rpo_lag_plus_age_bytes_age_and_streaming()
    {
        Gen.Select(GenSample, GenPolicy).Sample((sample, policy) =>
        {
            var v = RpoGuardDecision.Evaluate(sample, Now, policy);
            if (!v.Pass) return true;
            var age = AgeOf(sample);
            // The idle rule is the one way unknown or lying seconds count: 0 bytes behind is 0 s.
            var seconds = sample.Bytes == 0 ? 0 : sample.Seconds;
            return seconds is { } s && !double.IsNaN(s)
                && s + age <= policy.MaxLag.TotalSeconds
                && age <= policy.MaxSampleAge.TotalSeconds && age <= policy.MaxLag.TotalSeconds
                && (sample.Bytes ?? 0) <= policy.MaxLagBytes
                && sample.StandbyStreaming != false;
        }, iter: Iterations, print: t => Show(t.Item1, t.Item2));
    }

    [Fact]
    public void A_larger_lag_never_turns_a_refusal_into_a_pass()
    {
        Gen.Select(GenSample, GenPolicy, Gen.Long[0, 1_000_000], Seconds(600)).Sample((sample, policy, moreBytes, moreSeconds) =>
        {
            var worse = sample with { Bytes = sample.Bytes + moreBytes, Seconds = sample.Seconds + moreSeconds };
            return !RpoGuardDecision.Evaluate(worse, Now, policy).Pass || RpoGuardDecision.Evaluate(sample, Now, policy).Pass;
        }, iter: Iterations, print: t => $"{Show(t.Item1, t.Item2)}; +{t.Item3} bytes, +{t.Item4} s");
    }

    [Fact]
    public void An_older_sample_never_turns_a_refusal_into_a_pass()
    {
        Gen.Select(GenSample, GenPolicy, Seconds(900)).Sample((sample, policy, older) =>
        {
            var aged = sample with { At = sample.At.AddSeconds(-older) };
            return !RpoGuardDecision.Evaluate(aged, Now, policy).Pass || RpoGuardDecision.Evaluate(sample, Now, policy).Pass;
        }, iter: Iterations, print: t => $"{Show(t.Item1, t.Item2)}; {t.Item3} s older");
    }

    [Fact]
    public void The_age_is_counted_a_sample_passes_only_while_its_lag_plus_its_age_fits()
    {
        // The same measurement, read later: it passes until lag + age exceeds maxLag, never after.
        Gen.Select(Gen.Long[1, 1_000_000], Seconds(600), GenPolicy).Sample((bytes, seconds, policy) =>
        {
            var policyWithRoom = policy with { MaxLagBytes = Math.Max(policy.MaxLagBytes, bytes), MaxSampleAge = policy.MaxLag + TimeSpan.FromSeconds(1) };
            var room = policyWithRoom.MaxLag.TotalSeconds - seconds;
            var justInside = RpoGuardDecision.Evaluate(Sample(bytes, seconds, Math.Max(0, Math.Floor(room)), true), Now, policyWithRoom);
            var justOutside = RpoGuardDecision.Evaluate(Sample(bytes, seconds, Math.Floor(room) + 1, true), Now, policyWithRoom);
            return (room < 0 || justInside.Pass) && !justOutside.Pass;
        }, iter: Iterations);
    }

    [Fact]
    public void Unknown_seconds_with_bytes_behind_never_pass()
    {
        Gen.Select(Gen.Long[1, long.MaxValue], Gen.OneOf<double?>(null, double.NaN), GenAge, GenStreaming, GenPolicy).Sample((bytes, seconds, age, streaming, policy) =>
        {
            var v = RpoGuardDecision.Evaluate(Sample(bytes, seconds, age, streaming), Now, policy);
            return !v.Pass && (v.Reason.Contains("lag in seconds unknown", StringComparison.Ordinal) || v.Reason.Contains("exceeds", StringComparison.Ordinal)
                || v.Reason.Contains("older than", StringComparison.Ordinal) || v.Reason.Contains("not streaming", StringComparison.Ordinal));
        }, iter: Iterations);
    }

    [Fact]
    public void A_standby_reported_not_streaming_never_passes()
    {
        Gen.Select(GenBytes, GenSeconds, GenAge, GenPolicy).Sample((bytes, seconds, age, policy) =>
            !RpoGuardDecision.Evaluate(Sample(bytes, seconds, age, streaming: false), Now, policy).Pass, iter: Iterations);
    }

    [Fact]
    public void Zero_bytes_behind_in_a_fresh_sample_passes_whatever_the_seconds_said()
    {
        Gen.Select(GenSeconds, GenPolicy, Gen.Double.Unit, Gen.OneOf<bool?>(true, null)).Sample((seconds, policy, fraction, streaming) =>
        {
            var fresh = fraction * policy.SampleAgeLimit.TotalSeconds; // within maxSampleAge and maxLag
            return RpoGuardDecision.Evaluate(Sample(0, seconds, fresh, streaming), Now, policy).Pass;
        }, iter: Iterations);
    }

    [Fact]
    public void Every_refusal_says_what_was_measured_how_long_ago_and_the_limit()
    {
        Gen.Select(GenSample, GenPolicy).Sample((sample, policy) =>
        {
            var v = RpoGuardDecision.Evaluate(sample, Now, policy);
            if (v.Pass) return true;
            string Inv(FormattableString f) => f.ToString(CultureInfo.InvariantCulture);
            var age = Inv($"measured {AgeOf(sample):0.0} s ago");
            var bytes = sample.Bytes is { } b ? Inv($"{b} bytes / ") : "? bytes / ";
            var limits = new[]
            {
                Inv($"lag + sample age ≤ {policy.MaxLag.TotalSeconds:0} s"), Inv($"exceeds {policy.MaxLag.TotalSeconds:0} s"),
                Inv($"exceeds {policy.MaxLagBytes} bytes"), Inv($"older than {policy.SampleAgeLimit.TotalSeconds:0} s"),
            };
            return v.Reason.StartsWith("last known lag of eu-central-1 " + bytes, StringComparison.Ordinal)
                && v.Reason.Contains(age, StringComparison.Ordinal)
                && limits.Any(l => v.Reason.Contains(l, StringComparison.Ordinal));
        }, iter: Iterations, print: t => Show(t.Item1, t.Item2));
    }

    [Fact]
    public void The_guard_is_a_function_of_its_inputs()
    {
        Gen.Select(GenSample, GenPolicy).Sample((sample, policy) =>
            RpoGuardDecision.Evaluate(sample, Now, policy) == RpoGuardDecision.Evaluate(sample with { }, Now, policy with { }), iter: Iterations);
    }
}
