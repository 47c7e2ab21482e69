using Regami.Dr.Core.Ports;

namespace Regami.Dr.Aws.Ports;

/// <summary>One ReplicaLag datapoint: when CloudWatch says it was taken, and the lag then (whole seconds).</summary>
public sealed record ReplicaLagSample(DateTimeOffset At, double Seconds);

/// <summary>The standby's ReplicaLag as CloudWatch reports it (AWS/RDS, per-minute maximum).</summary>
public sealed class CloudWatchReplicaLag(AwsContext aws)
{
    /// <param name="periodSeconds">60 for the per-minute maximum (the RPO guard); 1 for each datapoint as published (waits for a sample after a moment).</param>
    public async Task<ReplicaLagSample?> LatestAsync(string standbyRegion, TimeSpan window, CancellationToken ct, int periodSeconds = 60)
    {
        var body = await aws.CallAsync(aws.Commands.ReplicaLag(standbyRegion, aws.Time.GetUtcNow(), window, periodSeconds), ct);
        var result = body["MetricDataResults"]?[0];
        var stamps = result?["Timestamps"]?.AsArray().Select(t => DateTimeOffset.Parse(t!.GetValue<string>())).ToList() ?? [];
        var values = result?["Values"]?.AsArray().Select(v => v!.GetValue<double>()).ToList() ?? [];
        return stamps.Zip(values, (at, v) => new ReplicaLagSample(at, v)).MaxBy(s => s.At);
    }
}

/// <summary>
/// The RPO guard's memory on AWS is CloudWatch itself: the newest ReplicaLag of the standby,
/// still there when the primary's region is gone. The sample keeps CloudWatch's own figures — the
/// lag as published, dated when it was taken — and the RPO guard adds its age (the replica may
/// have fallen further behind since), once, in <see cref="Core.Runbooks.RpoGuardDecision"/>.
/// </summary>
public sealed class CloudWatchLagMemory(AwsContext aws, ITopologyPort topology, TimeSpan window) : ILagMemory
{
    public Task RememberAsync(LagSample sample, CancellationToken ct) => Task.CompletedTask;

    public async Task<LagSample?> LastAsync(CancellationToken ct)
    {
        var t = await topology.GetAsync(ct);
        if (t.Standby is not { } standby) return null;
        var primary = t.Primary ?? t.Others(standby).First();
        var sample = await new CloudWatchReplicaLag(aws).LatestAsync(standby, window, ct);
        if (sample is null) return null;
        return new LagSample(sample.At, primary, standby, Bytes: null, Seconds: sample.Seconds);
    }
}
