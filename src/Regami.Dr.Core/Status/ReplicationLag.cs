namespace Regami.Dr.Core.Status;

/// <summary>
/// Turns raw replication measurements into the lag we report and guard on.
/// </summary>
public static class ReplicationLag
{
    /// <summary>
    /// Lag in seconds as an operator should read it. On an idle primary
    /// <c>now() - pg_last_xact_replay_timestamp()</c> grows forever although the standby has
    /// everything, so a fully replayed standby (0 bytes behind) reports 0 s; otherwise the
    /// server's own <c>replay_lag</c> is preferred, then the replay-timestamp estimate.
    /// </summary>
    public static double? Seconds(long? lagBytes, double? replayLagSeconds, double? replayTimestampAgeSeconds)
    {
        if (lagBytes == 0) return 0.0;
        if (replayLagSeconds is { } r) return Math.Max(0, r);
        if (replayTimestampAgeSeconds is { } t) return Math.Max(0, t);
        return null;
    }
}
