namespace Regami.Dr.Core.Drills;

/// <summary>
/// Every attempted write sorted into exactly one class by comparing the workload's outcomes with the
/// rows present on the new primary after recovery, the way Jepsen's set checker does. Seq lists are
/// ascending.
/// </summary>
/// <param name="Ok">Acknowledged and present.</param>
/// <param name="Lost">Acknowledged and missing: the data loss that counts against RPO.</param>
/// <param name="Recovered">Not acknowledged (unknown outcome, or refused after COMMIT may have been sent) but present.</param>
/// <param name="Failed">Not acknowledged and absent: never committed, nothing was promised.</param>
/// <param name="Unexpected">Present but never attempted by this workload: must be empty.</param>
/// <param name="RefusedButPresent">The part of <paramref name="Recovered"/> whose answer was a refusal (e.g. a 502/503
/// after COMMIT was sent, or a 409 caused by a transport-level resend): a refusal that was not definite.</param>
public sealed record WriteClassification(
    IReadOnlyList<long> Ok,
    IReadOnlyList<long> Lost,
    IReadOnlyList<long> Recovered,
    IReadOnlyList<long> Failed,
    IReadOnlyList<long> Unexpected,
    IReadOnlyList<long> RefusedButPresent)
{
    public static readonly WriteClassification Empty = new([], [], [], [], [], []);

    /// <summary>Distinct seqs attempted (ok + lost + recovered + failed).</summary>
    public int Attempted => Ok.Count + Lost.Count + Recovered.Count + Failed.Count;

    /// <summary>Writes the service acknowledged (ok + lost).</summary>
    public int Acknowledged => Ok.Count + Lost.Count;

    /// <summary>Jepsen's verdict for the set: nothing acknowledged was lost and nothing appeared from nowhere.</summary>
    public bool IsValid => Lost.Count == 0 && Unexpected.Count == 0;
}

/// <summary>Jepsen's set checker for the drill workload: see <see cref="Classify"/>.</summary>
public static class WriteSetChecker
{
    /// <summary>
    /// Classifies every attempted seq against <paramref name="presentSeqs"/>, the seqs found on the new primary
    /// after recovery. The caller restricts <paramref name="presentSeqs"/> to this workload's seq range (rows of
    /// earlier drills or of smoke tests would otherwise be "unexpected"). When a seq was attempted more than once,
    /// its strongest outcome counts (acknowledged, then unknown, then refused).
    /// </summary>
    public static WriteClassification Classify(IReadOnlyList<WriteAttempt> attempts, IReadOnlySet<long> presentSeqs)
    {
        ArgumentNullException.ThrowIfNull(attempts);
        ArgumentNullException.ThrowIfNull(presentSeqs);

        var strongest = new Dictionary<long, WriteOutcome>(attempts.Count);
        foreach (var attempt in attempts)
        {
            if (!strongest.TryGetValue(attempt.Seq, out var seen) || Strength(attempt.Outcome) > Strength(seen))
                strongest[attempt.Seq] = attempt.Outcome;
        }

        List<long> ok = [], lost = [], recovered = [], failed = [], refusedButPresent = [];
        foreach (var (seq, outcome) in strongest.OrderBy(p => p.Key))
        {
            var present = presentSeqs.Contains(seq);
            switch (outcome)
            {
                case WriteOutcome.Acknowledged:
                    (present ? ok : lost).Add(seq);
                    break;
                case WriteOutcome.Unknown:
                    (present ? recovered : failed).Add(seq);
                    break;
                default:
                    if (present)
                    {
                        recovered.Add(seq);
                        refusedButPresent.Add(seq);
                    }
                    else
                    {
                        failed.Add(seq);
                    }
                    break;
            }
        }

        var unexpected = presentSeqs.Where(s => !strongest.ContainsKey(s)).Order().ToList();
        return new WriteClassification(ok, lost, recovered, failed, unexpected, refusedButPresent);
    }

    private static int Strength(WriteOutcome outcome) => outcome switch
    {
        WriteOutcome.Acknowledged => 2,
        WriteOutcome.Unknown => 1,
        _ => 0,
    };
}

/// <summary>
/// The set check run the other way, from a fenced old primary's rows: what it holds and the new
/// primary lacks must be exactly the acknowledged writes measured as lost plus writes it committed
/// but never acknowledged. Seq lists are ascending.
/// </summary>
/// <param name="OnlyOnOldPrimary">Rows on the old primary and not on the new one.</param>
/// <param name="LostConfirmed">Lost writes the old primary holds: the loss is real and measured right.</param>
/// <param name="LostNotOnOldPrimary">Writes measured as lost that the old primary lacks too: acknowledged but never
/// committed where it was acknowledged — must be empty.</param>
/// <param name="CommittedUnacknowledged">Writes the workload saw fail (refused or unknown) that the old primary did commit.</param>
/// <param name="Unexplained">Rows only on the old primary that are neither lost nor a failed attempt (never attempted by
/// this workload) — must be empty.</param>
public sealed record OldPrimaryReconciliation(
    IReadOnlyList<long> OnlyOnOldPrimary,
    IReadOnlyList<long> LostConfirmed,
    IReadOnlyList<long> LostNotOnOldPrimary,
    IReadOnlyList<long> CommittedUnacknowledged,
    IReadOnlyList<long> Unexplained)
{
    /// <summary>Old − new = lost + committed-but-unacknowledged, with every lost write on the old primary.</summary>
    public bool Balances => LostNotOnOldPrimary.Count == 0 && Unexplained.Count == 0;

    /// <summary>
    /// Compares <paramref name="oldPrimaryRows"/> (restricted to the workload's seq range) with the classification made
    /// against the new primary: the new primary's rows are the classification's ok, recovered and unexpected seqs.
    /// </summary>
    public static OldPrimaryReconciliation From(WriteClassification writes, IReadOnlySet<long> oldPrimaryRows)
    {
        ArgumentNullException.ThrowIfNull(writes);
        ArgumentNullException.ThrowIfNull(oldPrimaryRows);
        var onNewPrimary = writes.Ok.Concat(writes.Recovered).Concat(writes.Unexpected).ToHashSet();
        var lost = writes.Lost.ToHashSet();
        var failed = writes.Failed.ToHashSet();
        var onlyOnOld = oldPrimaryRows.Where(s => !onNewPrimary.Contains(s)).Order().ToList();
        return new OldPrimaryReconciliation(
            onlyOnOld,
            writes.Lost.Where(oldPrimaryRows.Contains).ToList(),
            writes.Lost.Where(s => !oldPrimaryRows.Contains(s)).ToList(),
            onlyOnOld.Where(failed.Contains).ToList(),
            onlyOnOld.Where(s => !lost.Contains(s) && !failed.Contains(s)).ToList());
    }
}
