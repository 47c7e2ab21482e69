namespace Regami.Dr.Core.Drills;

/// <summary>An inclusive range of workload seqs.</summary>
public sealed record SeqRange(long First, long Last);

/// <summary>What a region's <c>records</c> table holds, in a form two regions can be compared by.</summary>
/// <param name="Checksum">A digest of every (seq, payload) in seq order; empty for an empty table.</param>
public sealed record RecordsDigest(long Rows, string Checksum)
{
    /// <summary>The checksum's first 8 characters, enough for a person to compare regions.</summary>
    public string ShortChecksum => Checksum[..Math.Min(8, Checksum.Length)];
}

/// <summary>
/// Reads the workload's rows straight from each region's database, below the public name: the
/// ground truth the drill measures against (lab: SQL and pg_ctl on the lab's PostgreSQL clusters).
/// </summary>
public interface IRecordsInspector
{
    /// <summary>The highest seq on <paramref name="region"/> (0 when empty): a new workload starts after it.</summary>
    Task<long> MaxSeqAsync(string region, CancellationToken ct);

    /// <summary>The seqs within <paramref name="range"/> that <paramref name="region"/> holds.</summary>
    Task<IReadOnlySet<long>> PresentSeqsAsync(string region, SeqRange range, CancellationToken ct);

    /// <summary>
    /// The seqs within <paramref name="range"/> that a fenced (stopped) former primary holds, read without
    /// letting anyone else reach it, and left stopped again. Throws when the region's database runs.
    /// </summary>
    Task<IReadOnlySet<long>> ReadFencedPrimaryAsync(string region, SeqRange range, CancellationToken ct);

    Task<RecordsDigest> DigestAsync(string region, CancellationToken ct);

    /// <summary>The database server's version, asked of <paramref name="preferredRegion"/> first, then of any region that answers.</summary>
    Task<string?> ServerVersionAsync(string preferredRegion, CancellationToken ct);

    /// <summary>
    /// <paramref name="standbyRegion"/> stops receiving WAL (not just replaying it: received WAL would be
    /// replayed at promotion and nothing would be lost). Returns what was done.
    /// </summary>
    Task<string> CutReplicationAsync(string standbyRegion, CancellationToken ct);
}
