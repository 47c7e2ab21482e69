using Regami.Dr.Core.Backups;

namespace Regami.Dr.Core.Drills;

/// <summary>What a data-loss fault did.</summary>
/// <param name="At">
/// When the data was gone: the RTO clock starts here. For a deletion, the instant just before its
/// transaction began, which is also the point in time to recover to.
/// </param>
/// <param name="Rows">Rows destroyed; null when unknown (a dropped table, a lost database).</param>
/// <param name="Actions">What was done, one sentence each.</param>
public sealed record DataLossResult(DateTimeOffset At, long? Rows, IReadOnlyList<string> Actions);

/// <summary>
/// Destroys data on purpose, for the recovery drills that are not failovers (database corruption,
/// accidental deletion, the loss of a whole provider), and puts rows back from a restored instance.
/// Lab: real SQL on the lab's PostgreSQL, real processes killed and real directories removed.
/// </summary>
public interface IDataLossInjector
{
    /// <summary><c>DROP TABLE records</c> on <paramref name="region"/>'s database (the application re-creates it empty on its next write).</summary>
    Task<DataLossResult> DropRecordsAsync(string region, CancellationToken ct);

    /// <summary>Deletes the rows of <paramref name="range"/> in one transaction; <see cref="DataLossResult.At"/> is the clock just before it.</summary>
    Task<DataLossResult> DeleteRecordsAsync(string region, SeqRange range, CancellationToken ct);

    /// <summary>
    /// The provider is lost: every region's database is killed and its data directory removed, and so is the
    /// backup repository of <paramref name="lostRepositoryRegion"/>. What survives is the other regions' repositories.
    /// </summary>
    Task<DataLossResult> LoseProviderAsync(string lostRepositoryRegion, CancellationToken ct);

    /// <summary>
    /// Copies the rows of <paramref name="range"/> from a restored instance into <paramref name="toRegion"/>'s
    /// database, keeping rows that are there already (by seq). Returns how many rows were copied.
    /// </summary>
    Task<long> CopyRecordsBackAsync(RestoredInstance from, string toRegion, SeqRange range, CancellationToken ct);
}
