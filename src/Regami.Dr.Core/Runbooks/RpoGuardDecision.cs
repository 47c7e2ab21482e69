using System.Globalization;
using Regami.Dr.Core.Ports;
using Regami.Dr.Core.Status;

namespace Regami.Dr.Core.Runbooks;

/// <summary>The RPO guard as a pure function: the last known lag and the policy in, a verdict with its reason out.</summary>
public sealed record RpoVerdict(bool Pass, string Reason);

/// <summary>
/// The RPO guard, conservative: a failover may go ahead without --force only when the data at
/// risk is known to be within the RPO. The data at risk is at least the lag measured plus
/// everything written since the sample was taken, so <c>seconds + age ≤ maxLag</c> is what is
/// checked (the age counted here, and only here: lag memories keep the sample's own time).
/// Everything else is refused, each time saying what was measured, how long ago, and the limit:
/// no sample; a sample older than <see cref="RpoGuardPolicy.SampleAgeLimit"/>; a standby the
/// primary reported as not connected or not streaming; more bytes behind than
/// <see cref="RpoGuardPolicy.MaxLagBytes"/>; lag in seconds unknown (bytes behind but no
/// seconds; <see cref="LagMemoryExtensions.RecordAsync"/> bounds them from the sample before when it
/// can); seconds + age over <see cref="RpoGuardPolicy.MaxLag"/>. The one exception to "seconds
/// must be known" is the idle rule of <see cref="ReplicationLag.Seconds"/>: 0 bytes behind is 0 s.
/// The controller's automatic failover, the failover runbook's rpo-guard step and the drills all
/// decide through <see cref="Evaluate"/>; only the runbook's --force goes past a refusal.
/// </summary>
public static class RpoGuardDecision
{
    public static RpoVerdict Evaluate(LagSample? sample, DateTimeOffset now, RpoGuardPolicy policy)
    {
        ArgumentNullException.ThrowIfNull(policy);
        var maxLag = policy.MaxLag.TotalSeconds;
        var limit = Inv($"limit: lag + sample age ≤ {maxLag:0} s");
        if (sample is null)
            return new(false, $"no replication lag was ever measured, so the data at risk is unknown ({limit})");

        var age = AgeSeconds(sample, now);
        var bytes = sample.Bytes;
        var seconds = LagSeconds(sample);
        var measured = Inv($"last known lag of {sample.Standby} {Describe(bytes, seconds, sample.SecondsBoundFrom is not null)} measured {age:0.0} s ago");

        var ageLimit = policy.SampleAgeLimit.TotalSeconds;
        if (age > ageLimit)
            return new(false, Inv($"{measured}: older than {ageLimit:0} s (rpoGuard.maxSampleAge, at most maxLag), so the data at risk is unknown ({limit})"));
        if (sample.StandbyStreaming == false)
            return new(false, Inv($"{measured}: the primary reported {sample.Standby} not connected or not streaming, so the data at risk is unknown and growing ({limit})"));
        if (bytes < 0)
            return new(false, Inv($"{measured}: a negative byte count is not a measurement, so the data at risk is unknown ({limit})"));
        if (bytes is { } b && b > policy.MaxLagBytes)
            return new(false, Inv($"{measured}: {b} bytes behind exceeds {policy.MaxLagBytes} bytes (rpoGuard.maxLagBytes)"));
        if (seconds is not { } s)
            return new(false, Inv($"{measured}: lag in seconds unknown, so the data at risk is unknown ({limit})"));
        var atRisk = s + age;
        if (atRisk > maxLag)
            return new(false, Inv($"{measured}: {s:0.0} s + {age:0.0} s since = {atRisk:0.0} s of data at risk exceeds {maxLag:0} s (rpoGuard.maxLag)"));
        var bytesBound = bytes is { } ok ? Inv($" and {ok} ≤ {policy.MaxLagBytes} bytes") : " (bytes not measured)";
        return new(true, Inv($"{measured}: {s:0.0} s + {age:0.0} s since = {atRisk:0.0} s of data at risk ≤ {maxLag:0} s{bytesBound}"));
    }

    /// <summary>
    /// The data at risk a sample proves at most, in seconds: its lag (the idle rule applied) plus
    /// its age at <paramref name="now"/>; null when the sample does not bound it (seconds unknown,
    /// standby not streaming, impossible bytes). What the guard compares with maxLag, for reports.
    /// </summary>
    public static double? DataAtRiskSeconds(LagSample sample, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(sample);
        if (sample.StandbyStreaming == false || sample.Bytes < 0) return null;
        return LagSeconds(sample) is { } s ? s + AgeSeconds(sample, now) : null;
    }

    /// <summary>
    /// Seconds since the sample was taken. A sample dated in the future (another host's clock
    /// ahead of ours) counts as taken now: its age cannot be known, only that it is not negative.
    /// </summary>
    private static double AgeSeconds(LagSample sample, DateTimeOffset now) => Math.Max(0, (now - sample.At).TotalSeconds);

    /// <summary>
    /// The lag in seconds with the idle rule (0 bytes behind is 0 s, whatever was reported); null
    /// when unknown. The idle rule holds for a streaming standby only: one that is not connected is
    /// missing every write from then on, however few bytes its slot says.
    /// </summary>
    private static double? LagSeconds(LagSample sample) =>
        sample.StandbyStreaming != false
        && ReplicationLag.Seconds(sample.Bytes, sample.Seconds, replayTimestampAgeSeconds: null) is { } s && !double.IsNaN(s) ? s : null;

    /// <summary>"bytes / seconds"; a bound carried from an earlier sample reads "≤ N s (bound)".</summary>
    private static string Describe(long? bytes, double? seconds, bool bound) =>
        Inv($"{(bytes is { } b ? Inv($"{b} bytes") : "? bytes")} / {(seconds is { } s ? (bound ? Inv($"≤ {s:0.0} s (bound from an earlier sample)") : Inv($"{s:0.0} s")) : "? s")}");

    private static string Inv(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
