namespace Regami.Dr.Core.Audit;

/// <summary>
/// The tamper-evident audit trail (port). Every failover event is appended here, kept at least
/// <see cref="AuditChain.MinimumRetention"/>, and can be verified end to end.
/// </summary>
public interface IAuditLog
{
    /// <summary>
    /// Appends one entry at the end of the chain. Atomic across processes: the last hash is read
    /// and the new event inserted in one write transaction, so two writers never fork the chain.
    /// </summary>
    Task<AuditEvent> AppendAsync(AuditEntry entry, CancellationToken ct);

    /// <summary>
    /// Events at or after <paramref name="since"/> in chain order; with <paramref name="limit"/>,
    /// only the newest that many (still oldest first).
    /// </summary>
    Task<IReadOnlyList<AuditEvent>> ListAsync(DateTimeOffset? since, int? limit, CancellationToken ct);

    /// <summary>Checks every stored event against its hash, its predecessor and its place in the sequence.</summary>
    Task<AuditVerification> VerifyAsync(CancellationToken ct);

    /// <summary>
    /// Removes the oldest events up to <paramref name="olderThan"/>, never one younger than
    /// <paramref name="now"/> − <see cref="AuditChain.MinimumRetention"/> (the cutoff is clamped and
    /// the result says so). Writes the <see cref="AuditAnchor"/> in the same transaction so the
    /// remaining chain still verifies. Refuses (<see cref="AuditChainBrokenException"/>) when the
    /// chain does not verify, because pruning would erase the evidence.
    /// </summary>
    Task<AuditPruneResult> PruneAsync(DateTimeOffset olderThan, DateTimeOffset now, bool dryRun, CancellationToken ct);
}

/// <summary>What a prune removed (or, in a dry run, would remove).</summary>
/// <param name="Pruned">Events removed (or that would be).</param>
/// <param name="EffectiveCutoff">Events older than this were eligible.</param>
/// <param name="Clamped">True when the requested cutoff was younger than the minimum retention allows.</param>
/// <param name="Anchor">The anchor the chain verifies from after the prune (the current one when nothing was pruned).</param>
public sealed record AuditPruneResult(int Pruned, DateTimeOffset EffectiveCutoff, bool Clamped, AuditAnchor? Anchor)
{
    /// <summary>One line for the operator, e.g. "pruned 12 events older than 2026-08-26 09:00:00 UTC (…)".</summary>
    public string Describe(bool dryRun = false)
    {
        var verb = dryRun ? "would prune" : "pruned";
        var events = Pruned == 1 ? "1 event" : $"{Pruned} events";
        var clamp = Clamped
            ? $" (the requested cutoff was clamped to the {AuditChain.MinimumRetention.TotalDays:0}-day minimum retention)"
            : "";
        var chain = Anchor is null ? "" : $"; the chain starts at event {Anchor.FirstSequence}";
        return $"{verb} {events} older than {EffectiveCutoff.UtcDateTime:yyyy-MM-dd HH:mm:ss} UTC{clamp}{chain}";
    }
}

/// <summary>Raised when an operation that would destroy evidence (a prune) meets a chain that does not verify.</summary>
public sealed class AuditChainBrokenException(AuditVerification verification)
    : Exception($"the audit chain does not verify, so nothing was pruned: {verification.Sentence}")
{
    public AuditVerification Verification { get; } = verification;
}
