using Regami.Dr.Aws.Cli;
using Regami.Dr.Core.Polling;
using Regami.Dr.Core.Ports;
using Regami.Dr.Core.Providers;

namespace Regami.Dr.Aws.Ports;

/// <summary>
/// The database port on RDS: a primary instance and its encrypted cross-region read replica.
/// <para>
/// <b>Fencing</b> swaps the instance onto the region's fence security group (no ingress) with
/// <c>modify-db-instance --apply-immediately</c>. Chosen over the alternatives because it works on
/// a primary that still has a read replica (RDS refuses <c>stop-db-instance</c> there), it keeps
/// the instance running so it goes on shipping WAL to its replica (a planned switchover needs
/// that), it takes effect without a reboot, a client cannot undo it (unlike
/// <c>default_transaction_read_only</c>, which any session may override), and it is reversible.
/// Connections already open are not cut by a security-group change: the runbook fences compute
/// (ECS desired 0, the app is the only writer) before the database for that reason.
/// </para>
/// <para>
/// A region whose RDS API cannot be reached is reported as <b>not fenced</b> — never as fenced.
/// </para>
/// </summary>
public sealed class RdsDatabasePort(AwsContext aws) : IDatabasePort
{
    public async Task<RdsInstance> DescribeAsync(string region, CancellationToken ct) =>
        RdsInstance.Parse(await aws.CallAsync(aws.Commands.DescribeDbInstance(region), ct));

    public async Task<DatabaseObservation> ObserveAsync(string region, CancellationToken ct)
    {
        RdsInstance db;
        try
        {
            db = await DescribeAsync(region, ct);
        }
        catch (AwsServiceException e) when (e.Kind is AwsFailureKind.Unreachable or AwsFailureKind.Timeout or AwsFailureKind.Transient)
        {
            // The control plane of that region does not answer: we know nothing, and say so.
            return new DatabaseObservation(region, Reachable: false, Running: true, InRecovery: false, Writable: false, null, null, null, null, e.Message);
        }
        var fenced = db.IsFenced(aws.Section.Region(region).FenceSecurityGroup);
        var serving = db.Serving;
        return new DatabaseObservation(
            region,
            Reachable: serving,
            Running: !db.Stopped,
            InRecovery: db.IsReplica,
            Writable: serving && !db.IsReplica && !fenced,
            Lsn: null,
            ReplicaLagBytes: null,
            ReplicaLagSeconds: null,
            // A primary "streams" when RDS lists a read replica of it; a replica when it serves.
            ReplicaStreaming: db.IsReplica ? serving : db.Replicas.Count > 0,
            Error: fenced ? $"fenced: serves only through {aws.Section.Region(region).FenceSecurityGroup}" : serving ? null : $"RDS status {db.Status}");
    }

    public async Task<string> PromoteAsync(string region, CancellationToken ct)
    {
        var db = await DescribeAsync(region, ct);
        if (!db.IsReplica) return $"{db.Identifier} in {region} is not a read replica (already promoted)";
        var what = await aws.ActAsync(aws.Commands.PromoteReadReplica(region), ct);
        var started = aws.Time.GetTimestamp();
        // RDS answers at once with status "modifying"; the instance takes writes once it is available again.
        var after = await Poll.UntilAsync(t => DescribeAsync(region, t), i => i.Status == "available", aws.Section.PollInterval, aws.Time, ct);
        await aws.ActAsync(aws.Commands.TagDbInstance(region, (AwsCommands.PromotedAtTag, AwsCommands.Iso(aws.Time.GetUtcNow()))), ct);
        return $"promoted {after.Identifier} in {region} ({what}); available after {aws.Time.GetElapsedTime(started).TotalSeconds:0.0} s";
    }

    public async Task<string> FenceAsync(string region, CancellationToken ct)
    {
        var fence = aws.Section.Region(region).FenceSecurityGroup;
        RdsInstance db;
        try
        {
            db = await DescribeAsync(region, ct);
        }
        catch (AwsServiceException e) when (e.Kind is AwsFailureKind.Unreachable or AwsFailureKind.Timeout or AwsFailureKind.Transient)
        {
            return $"NOT fenced: RDS in {region} could not be reached ({e.Message}); the instance may still accept writes from anything that reaches it — traffic and compute there are fenced";
        }
        if (db.IsFenced(fence)) return $"{db.Identifier} in {region} was already fenced (serves only through {fence})";
        var serving = string.Join(" ", db.SecurityGroups);
        var what = await aws.ActAsync(aws.Commands.FenceDbSecurityGroups(region), ct);
        // The tags remember when and what was replaced: a switchover waits for the replica to pass
        // this moment, and whoever unfences knows which groups to restore.
        await aws.ActAsync(aws.Commands.TagDbInstance(region, (AwsCommands.FencedAtTag, AwsCommands.Iso(aws.Time.GetUtcNow())), (AwsCommands.ServingSecurityGroupsTag, serving)), ct);
        return $"fenced {db.Identifier} in {region}: security groups [{serving}] replaced by [{fence}] ({what}); it keeps running and shipping WAL, no client can connect";
    }

    /// <summary>Planned: fence (no new connections; compute is already down) and hand on the moment writes stopped.</summary>
    public async Task<string> StopWritesAsync(string region, CancellationToken ct)
    {
        await FenceAsync(region, ct);
        return await LastCheckpointAsync(region, ct);
    }

    /// <summary>RDS shows no LSN: the "position" a replica must pass is the moment the primary was fenced (its tag).</summary>
    public async Task<string> LastCheckpointAsync(string region, CancellationToken ct)
    {
        var db = await DescribeAsync(region, ct);
        return db.FencedAt is { } at ? AwsCommands.Iso(at)
            : throw new ProviderException($"{db.Identifier} in {region} carries no {AwsCommands.FencedAtTag} tag: it was not fenced by regami-dr, so the moment writes stopped is unknown");
    }

    /// <summary>
    /// Waits for a ReplicaLag sample of 0 s taken at least a second after <paramref name="position"/>
    /// (when writes stopped): the replica has then replayed everything written before. CloudWatch
    /// publishes ReplicaLag once a minute, so this takes up to a minute or two on AWS.
    /// </summary>
    public async Task WaitUntilReplayedAsync(string standbyRegion, string position, TimeSpan timeout, CancellationToken ct)
    {
        var stoppedAt = DateTimeOffset.Parse(position);
        var lag = new CloudWatchReplicaLag(aws);
        var ok = await Poll.UntilAsync(async t => (await lag.LatestAsync(standbyRegion, TimeSpan.FromMinutes(10), t, periodSeconds: 1)) is { } s
            && s.At >= stoppedAt + TimeSpan.FromSeconds(1) && s.Seconds <= 0, timeout, aws.Section.PollInterval, aws.Time, ct);
        if (!ok) throw new TimeoutException($"{standbyRegion}: no ReplicaLag sample of 0 s after {position} within {timeout.TotalSeconds:0} s");
    }

    /// <summary>
    /// RDS has no pg_rewind: the former primary is kept (renamed, still fenced) and a new
    /// encrypted read replica of the new primary is created under the configured identifier, with
    /// this region's KMS key. The copy takes time proportional to the storage.
    /// </summary>
    public async Task<RebuildOutcome> RebuildAsReplicaAsync(string region, string primaryRegion, ReclonePolicy reclone, CancellationToken ct)
    {
        var started = aws.Time.GetTimestamp();
        var source = await DescribeAsync(primaryRegion, ct);
        var notes = new List<string> { "RDS has no pg_rewind: a new read replica is copied from the new primary" };
        RdsInstance? old = null;
        try { old = await DescribeAsync(region, ct); }
        catch (AwsServiceException e) when (e.IsNotFound) { }
        if (old is not null && old.IsReplica && old.ReplicaSource == source.Arn)
            return new RebuildOutcome(RebuildPath.AlreadyStandby, aws.Time.GetElapsedTime(started), $"{old.Identifier} in {region} is already a read replica of {source.Arn}");
        if (old is not null)
        {
            var kept = $"{old.Identifier}-retired-{aws.Time.GetUtcNow():yyyyMMddHHmmss}";
            notes.Add($"the former primary is kept as {kept} (fenced; delete it once it is no longer needed): {await aws.ActAsync(aws.Commands.RenameDbInstance(region, kept), ct)}");
            await Poll.UntilAsync(async t =>
            {
                try { await DescribeAsync(region, t); return false; }
                catch (AwsServiceException e) when (e.IsNotFound) { return true; }
            }, Timeout.InfiniteTimeSpan, aws.Section.PollInterval, aws.Time, ct);
        }
        var create = await aws.ActAsync(aws.Commands.CreateReadReplica(region, primaryRegion, source.InstanceClass), ct);
        notes.Add($"created an encrypted read replica with {(aws.Section.Region(region).KmsKeyId is { Length: > 0 } k ? k : "the region's default KMS key")} ({create})");
        notes.Add($"estimated copy time for {source.AllocatedStorageGiB} GiB: {CopyEstimate(source.AllocatedStorageGiB).TotalMinutes:0} min");
        return new RebuildOutcome(RebuildPath.Reclone, aws.Time.GetElapsedTime(started), string.Join("; ", notes));
    }

    /// <summary>A rough figure for the plan output: a cross-region snapshot copy plus restore, ~10 min plus ~1 min per 10 GiB.</summary>
    public static TimeSpan CopyEstimate(int gib) => TimeSpan.FromMinutes(10 + Math.Ceiling(gib / 10.0));

    public async Task<string> StartAsync(string region, CancellationToken ct)
    {
        var db = await DescribeAsync(region, ct);
        var what = db.Status == "stopped" ? await aws.ActAsync(aws.Commands.StartDbInstance(region), ct) : null;
        var started = aws.Time.GetTimestamp();
        var after = await Poll.UntilAsync(t => DescribeAsync(region, t), i => i.Status == "available", aws.Section.PollInterval, aws.Time, ct);
        return $"{after.Identifier} in {region} is available{(what is null ? "" : $" ({what})")} after {aws.Time.GetElapsedTime(started).TotalSeconds:0.0} s";
    }

    public async Task WaitUntilCaughtUpAsync(string primaryRegion, string standbyRegion, long maxLagBytes, TimeSpan timeout, CancellationToken ct)
    {
        var lag = new CloudWatchReplicaLag(aws);
        var since = aws.Time.GetUtcNow();
        var ok = await Poll.UntilAsync(async t => (await lag.LatestAsync(standbyRegion, TimeSpan.FromMinutes(10), t, periodSeconds: 1)) is { } s
            && s.At >= since - TimeSpan.FromMinutes(1) && s.Seconds <= aws.Section.CaughtUpLag.TotalSeconds, timeout, aws.Section.PollInterval, aws.Time, ct);
        if (!ok) throw new TimeoutException($"{standbyRegion} did not report a ReplicaLag ≤ {aws.Section.CaughtUpLag.TotalSeconds:0} s within {timeout.TotalMinutes:0} min");
    }

    public Task SetSynchronousStandbyAsync(string primaryRegion, string? standbyRegion, CancellationToken ct) =>
        standbyRegion is null ? Task.CompletedTask
            : throw new ProviderException("RDS cross-region read replicas replicate asynchronously; synchronous replication is not available with provider: aws") { ExitCode = 2 };
}
