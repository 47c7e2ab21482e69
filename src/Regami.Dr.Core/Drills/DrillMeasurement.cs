namespace Regami.Dr.Core.Drills;

/// <summary>One consecutive part of the RTO: from the previous observed mark (or the fault) to this phase's mark.</summary>
public sealed record DrillPhase(string Name, double Seconds, DateTimeOffset From, DateTimeOffset To);

/// <summary>When service came back, as seen by the workload (see <see cref="DrillMeasurement.MeasureRecovery"/>).</summary>
/// <param name="RecoveredAt">The first acknowledgement of the final unbroken run of acknowledged writes; null when never recovered.</param>
/// <param name="Rto">Fault → <paramref name="RecoveredAt"/>; null when never recovered.</param>
/// <param name="OutagePeriods">Runs of unacknowledged writes sent after the fault (1 for a clean failover, more when the service flapped).</param>
/// <param name="Reason">One sentence saying how the point was found, or why there is none.</param>
public sealed record DrillRecovery(DateTimeOffset? RecoveredAt, TimeSpan? Rto, int OutagePeriods, string Reason);

/// <summary>The data loss, in writes and in time (see <see cref="DrillMeasurement.MeasureDataLoss"/>).</summary>
/// <param name="Window">The data-loss window (the measured RPO); zero when no acknowledged write was lost.</param>
/// <param name="LastSafeCommitAt">Commit time of the newest surviving acknowledged write older than every lost one; null when none.</param>
/// <param name="WindowEnd">The fault, or the newest lost commit when that came after the fault.</param>
public sealed record DrillDataLoss(TimeSpan Window, DateTimeOffset? LastSafeCommitAt, DateTimeOffset? WindowEnd);

/// <summary>
/// What a drill measured: the set check of every write, the RTO, the RPO (data-loss window) and the RTO's phases.
/// Pure: computed from the workload's attempts, the seqs present on the new primary and the timeline marks.
/// </summary>
public sealed record DrillMeasurement(
    DateTimeOffset FaultInjectedAt,
    WriteClassification Writes,
    DrillRecovery Recovery,
    DrillDataLoss DataLoss,
    IReadOnlyList<DrillPhase> Phases,
    int AttemptedWrites,
    int RefusedAttempts,
    int UnknownAttempts)
{
    /// <summary>Fault → first acknowledged write after recovery; null when service never recovered.</summary>
    public TimeSpan? Rto => Recovery.Rto;

    /// <summary>The data-loss window; zero when nothing acknowledged was lost.</summary>
    public TimeSpan Rpo => DataLoss.Window;

    /// <summary>RTO recovered and within its target, and RPO within its target.</summary>
    public bool MeetsTargets(DrillTargets targets) =>
        Rto is { } rto && rto.TotalSeconds <= targets.RtoSeconds && Rpo.TotalSeconds <= targets.RpoSeconds;

    public static DrillMeasurement Measure(IReadOnlyList<WriteAttempt> attempts, IReadOnlySet<long> presentSeqs, DrillMarks marks)
    {
        ArgumentNullException.ThrowIfNull(attempts);
        ArgumentNullException.ThrowIfNull(presentSeqs);
        ArgumentNullException.ThrowIfNull(marks);
        var writes = WriteSetChecker.Classify(attempts, presentSeqs);
        var recovery = WithDataRestored(MeasureRecovery(attempts, marks.FaultInjected), marks);
        var dataLoss = MeasureDataLoss(attempts, writes, marks.FaultInjected);
        var phases = MeasurePhases(marks, marks.FirstSuccess ?? recovery.RecoveredAt);
        return new DrillMeasurement(marks.FaultInjected, writes, recovery, dataLoss, phases,
            attempts.Count,
            attempts.Count(a => a.Outcome == WriteOutcome.Refused),
            attempts.Count(a => a.Outcome == WriteOutcome.Unknown));
    }

    /// <summary>
    /// The recovery point: of the writes <b>sent</b> at or after the fault, ordered by send time, take the final
    /// unbroken run of acknowledgements (everything after the last unacknowledged write); service recovered at the
    /// earliest answer in that run, and RTO = that answer − fault. Writes the old primary still acknowledged just
    /// after the fault therefore do not count as recovery, and a flap after a first success moves the point to the
    /// end of the flap. Never recovered (null) when no write was sent after the fault or the last one sent was not
    /// acknowledged. A write that only fails by outliving the workload's stop is the workload's job to avoid: it
    /// drains in-flight requests before it returns.
    /// </summary>
    public static DrillRecovery MeasureRecovery(IReadOnlyList<WriteAttempt> attempts, DateTimeOffset faultAt)
    {
        var after = attempts.Where(a => a.SentAt >= faultAt).OrderBy(a => a.SentAt).ThenBy(a => a.Seq).ToList();
        if (after.Count == 0)
            return new DrillRecovery(null, null, 0, "no write was sent after the fault");

        var outages = 0;
        for (var i = 0; i < after.Count; i++)
        {
            if (!after[i].IsAcknowledged && (i == 0 || after[i - 1].IsAcknowledged))
                outages++;
        }

        var lastFailure = after.FindLastIndex(a => !a.IsAcknowledged);
        if (lastFailure == after.Count - 1)
        {
            var last = after[^1];
            return new DrillRecovery(null, null, outages,
                $"never recovered: the last write sent (seq {last.Seq}) was {Describe(last)}");
        }

        var run = after.Skip(lastFailure + 1).ToList();
        var first = run.MinBy(a => a.AnsweredAt ?? a.SentAt)!;
        var recoveredAt = first.AnsweredAt ?? first.SentAt;
        var rto = recoveredAt - faultAt;
        var reason = lastFailure < 0
            ? $"every write sent after the fault was acknowledged; first answer seq {first.Seq}"
            : $"seq {first.Seq} starts the final run of {run.Count} acknowledged writes, after seq {after[lastFailure].Seq} was {Describe(after[lastFailure])}";
        return new DrillRecovery(recoveredAt, rto < TimeSpan.Zero ? TimeSpan.Zero : rto, outages, reason);
    }

    /// <summary>
    /// A scenario whose data came back after the service did (rows copied back from a restore while the service
    /// kept answering): recovery is when the data was back. The outage periods stay the workload's.
    /// </summary>
    public static DrillRecovery WithDataRestored(DrillRecovery service, DrillMarks marks)
    {
        if (marks.DataRestored is not { } back || service.RecoveredAt is not { } answered || back <= answered) return service;
        var rto = back - marks.FaultInjected;
        return new DrillRecovery(back, rto < TimeSpan.Zero ? TimeSpan.Zero : rto, service.OutagePeriods,
            $"the lost rows were back at {back:HH:mm:ss.fff}Z; the service answered from {answered:HH:mm:ss.fff}Z ({service.Reason})");
    }

    /// <summary>
    /// The data-loss window, per DESIGN §2: zero when nothing acknowledged is missing; otherwise the end of the
    /// window (the fault, or the newest lost commit if one was acknowledged after the fault) minus the commit time
    /// of the last safe write — the newest surviving acknowledged write committed before the oldest lost one, so the
    /// window covers every lost write. With no surviving write before the oldest loss, the window starts at the oldest
    /// lost commit. A write without a commit time from its 201 body counts at its send time.
    /// </summary>
    public static DrillDataLoss MeasureDataLoss(IReadOnlyList<WriteAttempt> attempts, WriteClassification writes, DateTimeOffset faultAt)
    {
        if (writes.Lost.Count == 0)
            return new DrillDataLoss(TimeSpan.Zero, null, null);

        var commitBySeq = new Dictionary<long, DateTimeOffset>();
        foreach (var a in attempts)
        {
            if (a.IsAcknowledged)
                commitBySeq.TryAdd(a.Seq, a.CommittedAt ?? a.SentAt);
        }

        var lostCommits = writes.Lost.Select(s => commitBySeq[s]).ToList();
        var oldestLost = lostCommits.Min();
        var newestLost = lostCommits.Max();
        DateTimeOffset? lastSafe = writes.Ok
            .Select(s => commitBySeq[s])
            .Where(c => c < oldestLost)
            .Select(c => (DateTimeOffset?)c)
            .Max();
        var end = newestLost > faultAt ? newestLost : faultAt;
        var window = end - (lastSafe ?? oldestLost);
        return new DrillDataLoss(window < TimeSpan.Zero ? TimeSpan.Zero : window, lastSafe, end);
    }

    /// <summary>
    /// The RTO as consecutive phases (detection, decision, fencing, restore, promotion, compute, traffic switch, copy back, first success):
    /// each runs from the latest earlier observed mark (the fault for the first) to its own mark. A phase whose mark is
    /// missing is left out and its time falls into the next observed phase; a mark earlier than the one before it gives a
    /// 0 s phase. So the phases always add up to <paramref name="firstSuccess"/> − fault (the RTO) when it is known.
    /// </summary>
    public static IReadOnlyList<DrillPhase> MeasurePhases(DrillMarks marks, DateTimeOffset? firstSuccess)
    {
        (string Name, DateTimeOffset? At)[] ordered =
        [
            (DrillPhaseNames.Detection, marks.Detected),
            (DrillPhaseNames.Decision, marks.Decided),
            (DrillPhaseNames.Fencing, marks.Fenced),
            (DrillPhaseNames.Restore, marks.Restored),
            (DrillPhaseNames.Promotion, marks.Promoted),
            (DrillPhaseNames.Compute, marks.ComputeReady),
            (DrillPhaseNames.TrafficSwitch, marks.TrafficSwitched),
            (DrillPhaseNames.CopyBack, marks.DataRestored),
            (DrillPhaseNames.FirstSuccess, firstSuccess),
        ];

        var phases = new List<DrillPhase>();
        var start = marks.FaultInjected;
        foreach (var (name, at) in ordered)
        {
            if (at is not { } end) continue;
            if (end < start) end = start;
            phases.Add(new DrillPhase(name, (end - start).TotalSeconds, start, end));
            start = end;
        }
        return phases;
    }

    private static string Describe(WriteAttempt a) => a.Outcome switch
    {
        WriteOutcome.Refused when a.StatusCode is { } code => $"refused (HTTP {code})",
        WriteOutcome.Refused => "refused" + (a.Error is null ? "" : $" ({a.Error})"),
        WriteOutcome.Unknown => "unknown" + (a.Error is null ? "" : $" ({a.Error})"),
        _ => "acknowledged",
    };
}
