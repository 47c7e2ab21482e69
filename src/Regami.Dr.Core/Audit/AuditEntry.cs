namespace Regami.Dr.Core.Audit;

/// <summary>One thing that happened, as the audit trail records it.</summary>
/// <param name="At">When it happened (stored and hashed as UTC with 100 ns precision).</param>
/// <param name="Actor"><c>user@host</c> for a person at the CLI, <c>controller</c> for the daemon.</param>
/// <param name="Command">The command line that caused it, e.g. <c>failover --to eu-central-1</c>.</param>
/// <param name="Region">The region it concerns, when it concerns one.</param>
/// <param name="Action">What was done, e.g. <c>step.promote-standby</c>, <c>guard.rpo</c>, <c>role.change</c>, <c>fence</c>.</param>
/// <param name="Outcome">How it went; see <see cref="AuditOutcome"/> for the usual words.</param>
/// <param name="Details">Free text or JSON.</param>
public sealed record AuditEntry(
    DateTimeOffset At,
    string Actor,
    string Command,
    string? Region,
    string Action,
    string Outcome,
    string? Details);

/// <summary>An entry as stored: its place in the chain and the hashes that link it.</summary>
/// <param name="Sequence">1 for the first event ever appended, then +1 per event, never reused.</param>
/// <param name="PreviousHash">The <see cref="Hash"/> of the event before it (or <see cref="AuditChain.Genesis"/>).</param>
/// <param name="Hash"><see cref="AuditChain.Hash"/> of <paramref name="PreviousHash"/>, <paramref name="Sequence"/> and <paramref name="Entry"/>.</param>
public sealed record AuditEvent(long Sequence, AuditEntry Entry, string PreviousHash, string Hash);

/// <summary>
/// What pruning keeps so that the remaining chain still verifies: the sequence the chain now
/// starts at and the hash its first event must link to (the hash of the last pruned event).
/// When every event was pruned, <paramref name="FirstSequence"/> is the sequence the next
/// append will get.
/// </summary>
/// <param name="PrunedAt">When the last prune ran.</param>
/// <param name="PrunedCount">Events pruned since the trail began (all prunes together).</param>
public sealed record AuditAnchor(long FirstSequence, string PreviousHash, DateTimeOffset PrunedAt, int PrunedCount);

/// <summary>The result of checking a chain: valid or the first broken link, said as a sentence.</summary>
/// <param name="EventsChecked">Events that verified before the first broken one (all of them when valid).</param>
/// <param name="FirstBrokenSequence">The sequence of the first event that does not verify.</param>
public sealed record AuditVerification(bool Valid, int EventsChecked, long? FirstBrokenSequence, string Sentence);

/// <summary>The usual <see cref="AuditEntry.Outcome"/> words. Other words are accepted and stored as given.</summary>
public static class AuditOutcome
{
    public const string Started = "started";
    public const string Succeeded = "succeeded";
    public const string Failed = "failed";
    public const string Refused = "refused";
    public const string Skipped = "skipped";
    public const string Info = "info";
}
