using Regami.Dr.Core.Topology;

namespace Regami.Dr.Core.Campaigns;

/// <summary>What one sequence did and found.</summary>
/// <param name="Faults">The faults injected, as planned (names).</param>
/// <param name="Failovers">Failover runs the controller (or anyone) started during the sequence.</param>
/// <param name="Rto">Client-side RTO of the sequence's failover, when there was one.</param>
/// <param name="Acknowledged">Writes the independent writer had acknowledged.</param>
/// <param name="Lost">Of those, missing after recovery.</param>
/// <param name="Recovery">How the sequence was brought back (e.g. "heal, resume failover-…, failback").</param>
/// <param name="ProbeRounds">Rounds of the single-writer sampler.</param>
/// <param name="ProbeRoundsAcknowledged">Rounds in which some region acknowledged: the sampler saw a writable database
/// (a sampler that never does would pass the single-writer check without looking).</param>
public sealed record SequenceResult(
    int Number,
    IReadOnlyList<string> Faults,
    int Failovers,
    TimeSpan? Rto,
    int Acknowledged,
    int Lost,
    IReadOnlyList<CampaignViolation> Violations,
    TimeSpan Duration,
    string Recovery,
    int ProbeRounds = 0,
    int ProbeRoundsAcknowledged = 0);

/// <summary>The campaign's outcome: one row per sequence, and the totals the table prints.</summary>
public sealed record CampaignReport(int Seed, ReplicationMode Mode, IReadOnlyList<SequenceResult> Sequences, DateTimeOffset StartedAt, TimeSpan Duration)
{
    public int Faults => Sequences.Sum(s => s.Faults.Count);
    public int Violations => Sequences.Sum(s => s.Violations.Count);
    public int Failovers => Sequences.Sum(s => s.Failovers);
    public int Acknowledged => Sequences.Sum(s => s.Acknowledged);
    public int Lost => Sequences.Sum(s => s.Lost);

    /// <summary>Faults injected, by name.</summary>
    public IReadOnlyDictionary<string, int> FaultCounts =>
        Sequences.SelectMany(s => s.Faults).GroupBy(f => f).OrderBy(g => g.Key, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Count());

    /// <summary>Median client-side RTO over the sequences that failed over; null when none did.</summary>
    public TimeSpan? MedianRto
    {
        get
        {
            var rtos = Sequences.Where(s => s.Rto is not null).Select(s => s.Rto!.Value).Order().ToList();
            if (rtos.Count == 0) return null;
            return rtos.Count % 2 == 1 ? rtos[rtos.Count / 2] : (rtos[rtos.Count / 2 - 1] + rtos[rtos.Count / 2]) / 2;
        }
    }

    /// <summary>Why the campaign stopped before its last sequence (the lab could not be brought back); null when it ran them all.</summary>
    public string? StoppedEarly { get; init; }

    /// <summary>The campaign's time limit ended it before the last sequence of its plan (not a failure: fewer sequences ran).</summary>
    public bool TimeLimited { get; init; }

    public bool Passed => Violations == 0 && StoppedEarly is null;
}
