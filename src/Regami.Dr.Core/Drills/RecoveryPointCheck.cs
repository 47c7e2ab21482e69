namespace Regami.Dr.Core.Drills;

/// <summary>The judgement of <see cref="RecoveryPointCheck.Judge"/>.</summary>
/// <param name="Holes">Acknowledged writes older than the recovery point that are missing: a restore that skipped data.</param>
public sealed record RecoveryPointVerdict(bool Passed, IReadOnlyList<long> Holes, int OlderPresent, string Detail);

/// <summary>
/// A restore brings back a prefix of history: everything committed before its recovery point. So every
/// acknowledged write that was <b>answered</b> before the point (its commit came earlier still) must be on the
/// recovered primary, whatever the data-loss count says about the writes after it. Pure.
/// </summary>
public static class RecoveryPointCheck
{
    /// <param name="point">
    /// A lower bound of the recovery point: the snapshot's start, the time restored to, or (a restore to
    /// the end of the archive, whose point is only known afterwards) the newest write found minus a margin.
    /// </param>
    public static RecoveryPointVerdict Judge(IReadOnlyList<WriteAttempt> attempts, IReadOnlySet<long> present, DateTimeOffset point, string pointName)
    {
        ArgumentNullException.ThrowIfNull(attempts);
        ArgumentNullException.ThrowIfNull(present);
        var older = attempts.Where(a => a.IsAcknowledged && (a.AnsweredAt ?? a.SentAt) < point).Select(a => a.Seq).Distinct().Order().ToList();
        var holes = older.Where(s => !present.Contains(s)).ToList();
        var detail = older.Count == 0
            ? $"no acknowledged write of the workload is older than {pointName} ({point:HH:mm:ss.fff}Z): everything it wrote came after the recovery point"
            : holes.Count == 0
            ? $"all {older.Count} writes acknowledged before {pointName} ({point:HH:mm:ss.fff}Z) are there"
            : $"{holes.Count} of {older.Count} writes acknowledged before {pointName} ({point:HH:mm:ss.fff}Z) are missing: seqs {DrillReport.FormatSeqs(holes)}";
        return new RecoveryPointVerdict(holes.Count == 0, holes, older.Count - holes.Count, detail);
    }

}
