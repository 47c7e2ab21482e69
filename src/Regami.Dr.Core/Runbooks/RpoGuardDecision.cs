using Regami.Dr.Core.Ports;

namespace Regami.Dr.Core.Runbooks;

/// <summary>The RPO guard as a pure function: the last known lag and the policy in, a verdict with its reason out.</summary>
public sealed record RpoVerdict(bool Pass, string Reason);

public static class RpoGuardDecision
{
    public static RpoVerdict Evaluate(LagSample? sample, DateTimeOffset now, RpoGuardPolicy policy)
    {
        if (sample is null)
            return new(false, "no replication lag was ever measured, so the data at risk is unknown");
        var age = now - sample.At;
        if (age > policy.MaxSampleAge)
            return new(false, $"the last lag measurement is {age.TotalSeconds:0} s old (older than {policy.MaxSampleAge.TotalSeconds:0} s), so the data at risk is unknown");
        var bytes = sample.Bytes;
        var seconds = sample.Seconds ?? (bytes == 0 ? 0 : null);
        var measured = $"last known lag {Describe(bytes, seconds)} measured {age.TotalSeconds:0.0} s ago";
        if (bytes is { } b && b > policy.MaxLagBytes)
            return new(false, $"{measured} exceeds {policy.MaxLagBytes} bytes");
        if (seconds is { } s && s > policy.MaxLag.TotalSeconds)
            return new(false, $"{measured} exceeds {policy.MaxLag.TotalSeconds:0} s");
        if (seconds is null && bytes is null)
            return new(false, "the last lag measurement has neither bytes nor seconds");
        return new(true, $"{measured} ≤ {policy.MaxLag.TotalSeconds:0} s / {policy.MaxLagBytes} bytes");
    }

    private static string Describe(long? bytes, double? seconds) =>
        $"{(bytes is { } b ? $"{b} bytes" : "? bytes")} / {(seconds is { } s ? $"{s:0.0} s" : "? s")}";
}
