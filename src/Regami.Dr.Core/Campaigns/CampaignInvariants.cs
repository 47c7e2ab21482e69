using Regami.Dr.Core.Drills;
using Regami.Dr.Core.Runbooks.Journal;
using Regami.Dr.Core.Topology;

namespace Regami.Dr.Core.Campaigns;

/// <summary>The invariants a campaign checks after every sequence, by id (as printed and as regression tests are named).</summary>
public static class CampaignInvariantIds
{
    /// <summary>At most one region acknowledges a write sent to every region's load balancer at the same instant.</summary>
    public const string SingleWriter = "single-writer";
    /// <summary>Sync mode: every acknowledged write is on the primary after recovery.</summary>
    public const string NoLostWrites = "no-lost-acknowledged-writes";
    /// <summary>Every run started during the sequence ends completed (succeeded, refused) or resumable (failed, interrupted).</summary>
    public const string RunsEnd = "runs-end-completed-or-resumable";
    /// <summary><c>regami-dr audit verify</c> passes.</summary>
    public const string AuditVerifies = "audit-verifies";
    /// <summary>No failover starts while the primary only flaps below the failure threshold.</summary>
    public const string NoFailoverOnFlapping = "no-failover-on-flapping";
    /// <summary>Heal, resume and failback bring the system back to its home primary with a streaming standby.</summary>
    public const string Recovers = "recovers-to-baseline";
    /// <summary>Liveness: when the primary is lost, a failover succeeds (unless a guard refused it, saying why).</summary>
    public const string FailsOver = "fails-over-when-the-primary-is-lost";
}

/// <summary>One broken invariant, with the evidence.</summary>
public sealed record CampaignViolation(int Sequence, string Invariant, string Detail)
{
    public override string ToString() => $"sequence {Sequence}: {Invariant}: {Detail}";
}

/// <summary>One round of the single-writer sampler: a write sent to every region's load balancer at the same instant.</summary>
/// <param name="Acknowledged">Regions whose load balancer acknowledged the write (HTTP 201 from a database accepting writes).</param>
public sealed record WriterSample(DateTimeOffset At, IReadOnlyList<string> Acknowledged);

/// <summary>A window in which the primary only flapped (plus the detection window after it).</summary>
public sealed record FlapWindow(DateTimeOffset From, DateTimeOffset To);

/// <summary>The campaign's checks: pure functions of what the runner observed.</summary>
public static class CampaignInvariants
{
    public static IEnumerable<CampaignViolation> SingleWriter(int sequence, IEnumerable<WriterSample> samples) =>
        samples.Where(s => s.Acknowledged.Count > 1).Select(s => new CampaignViolation(sequence, CampaignInvariantIds.SingleWriter,
            $"at {s.At:HH:mm:ss.fff} writes were acknowledged through the load balancers of {string.Join(" and ", s.Acknowledged)}"));

    /// <summary>In sync mode a lost acknowledged write is a violation; in async mode it is counted, not judged.</summary>
    public static IEnumerable<CampaignViolation> Losses(int sequence, WriteClassification writes, ReplicationMode mode)
    {
        if (mode == ReplicationMode.Sync && writes.Lost.Count > 0)
            yield return new CampaignViolation(sequence, CampaignInvariantIds.NoLostWrites,
                $"{writes.Lost.Count} acknowledged write(s) missing after recovery (seq {string.Join(", ", writes.Lost.Take(10))}{(writes.Lost.Count > 10 ? ", …" : "")})");
        if (writes.Unexpected.Count > 0)
            yield return new CampaignViolation(sequence, CampaignInvariantIds.NoLostWrites,
                $"{writes.Unexpected.Count} row(s) present that the writer never sent (seq {string.Join(", ", writes.Unexpected.Take(10))})");
    }

    /// <summary>Runs still running when the sequence settled: neither completed nor resumable.</summary>
    public static IEnumerable<CampaignViolation> Runs(int sequence, IEnumerable<RunRecord> runsOfTheSequence) =>
        runsOfTheSequence.Where(r => r.Outcome == RunOutcome.Running).Select(r => new CampaignViolation(sequence, CampaignInvariantIds.RunsEnd,
            $"run {r.Id} still running (step {r.Steps.LastOrDefault()?.Name ?? "none"}) after the sequence settled"));

    public static IEnumerable<CampaignViolation> Flapping(int sequence, IEnumerable<FlapWindow> windows, IEnumerable<RunRecord> runs)
    {
        var failovers = runs.Where(r => r.Kind == "failover").ToList();
        foreach (var w in windows)
            foreach (var r in failovers.Where(r => r.StartedAt >= w.From && r.StartedAt <= w.To))
                yield return new CampaignViolation(sequence, CampaignInvariantIds.NoFailoverOnFlapping,
                    $"failover {r.Id} started at {r.StartedAt:HH:mm:ss.fff} while the primary only flapped ({w.From:HH:mm:ss.fff}–{w.To:HH:mm:ss.fff})");
    }

    /// <summary>
    /// The liveness check: a sequence that took the primary away (kill-db, hang-db, kill-app, region-outage
    /// on the primary) must see a failover succeed, whatever happened to the controller meanwhile — unless
    /// a guard refused it and said so (<paramref name="guardRefusal"/>, e.g. the RPO guard after paused replay).
    /// </summary>
    public static IEnumerable<CampaignViolation> FailsOver(int sequence, string? primaryLostBy, int succeededFailovers, string? guardRefusal)
    {
        if (primaryLostBy is not null && succeededFailovers == 0 && guardRefusal is null)
            yield return new CampaignViolation(sequence, CampaignInvariantIds.FailsOver, $"the primary was lost ({primaryLostBy}) and no failover succeeded, and no guard said why");
    }

    /// <summary>
    /// Client-side RTO of a failover: from the fault to the first write acknowledged by another region than
    /// the one the fault hit; null when no other region acknowledged a write.
    /// </summary>
    public static TimeSpan? Rto(DateTimeOffset faultAt, string faultRegion, IEnumerable<WriteAttempt> attempts)
    {
        var answers = attempts
            .Where(a => a.Outcome == WriteOutcome.Acknowledged && a.SentAt >= faultAt && a.Region is { } r && r != faultRegion)
            .Select(a => a.AnsweredAt ?? a.SentAt).ToList();
        return answers.Count == 0 ? null : answers.Min() - faultAt;
    }
}
