using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Regami.Dr.Core.Audit;

/// <summary>
/// The hash chain that makes the audit trail tamper-evident. Each event's hash covers the
/// previous event's hash, its own sequence number and every field of its entry, so an edited,
/// removed or reordered event breaks the chain at that event.
/// </summary>
/// <remarks>
/// What the chain cannot show on its own: events cut off the end (the newest events), or a
/// chain rewritten and re-hashed from some point on by someone who can write the store. Keep
/// the head hash from <see cref="Verify"/>'s sentence somewhere else (a ticket, the DR log) to
/// detect those.
/// </remarks>
public static class AuditChain
{
    /// <summary>The previous hash of the first event ever appended.</summary>
    public const string Genesis = "0000000000000000000000000000000000000000000000000000000000000000";

    /// <summary>Events younger than this are never pruned (the plan requires ≥ 90 days).</summary>
    public static readonly TimeSpan MinimumRetention = TimeSpan.FromDays(90);

    private const string TimeFormat = "yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'";
    private static readonly byte[] Domain = "regami-dr/audit/v1\n"u8.ToArray();

    /// <summary>
    /// The canonical text of a timestamp: ISO 8601 in UTC with 7 fractional digits (100 ns, the
    /// full precision of <see cref="DateTimeOffset"/>). Fixed width, so it also sorts as text.
    /// </summary>
    public static string CanonicalTime(DateTimeOffset at) =>
        at.UtcDateTime.ToString(TimeFormat, CultureInfo.InvariantCulture);

    /// <summary>Parses <see cref="CanonicalTime"/>'s output back to the same instant (offset zero).</summary>
    public static DateTimeOffset ParseCanonicalTime(string text) =>
        DateTimeOffset.ParseExact(text, TimeFormat, CultureInfo.InvariantCulture,
            DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal);

    /// <summary>
    /// SHA-256 (lowercase hex) over a length-prefixed serialization: a version tag, then the
    /// previous hash, the sequence, the canonical time and every entry field, each written as
    /// <c>&lt;UTF-8 byte count&gt;:&lt;bytes&gt;;</c> or <c>~;</c> for null. No two different inputs
    /// serialize alike (an empty string and null differ; no separator can be forged in a field).
    /// </summary>
    public static string Hash(string previousHash, long sequence, AuditEntry entry)
    {
        ArgumentNullException.ThrowIfNull(previousHash);
        ArgumentNullException.ThrowIfNull(entry);
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        sha.AppendData(Domain);
        Field(sha, previousHash);
        Field(sha, sequence.ToString(CultureInfo.InvariantCulture));
        Field(sha, CanonicalTime(entry.At));
        Field(sha, entry.Actor);
        Field(sha, entry.Command);
        Field(sha, entry.Region);
        Field(sha, entry.Action);
        Field(sha, entry.Outcome);
        Field(sha, entry.Details);
        return Convert.ToHexStringLower(sha.GetHashAndReset());
    }

    private static void Field(IncrementalHash sha, string? value)
    {
        if (value is null)
        {
            sha.AppendData("~;"u8);
            return;
        }
        var bytes = Encoding.UTF8.GetBytes(value);
        sha.AppendData(Encoding.ASCII.GetBytes(bytes.Length.ToString(CultureInfo.InvariantCulture) + ":"));
        sha.AppendData(bytes);
        sha.AppendData(";"u8);
    }

    /// <summary>
    /// Checks events in the order they are stored. The chain starts at sequence 1 with
    /// <see cref="Genesis"/>, or where <paramref name="anchor"/> says after a prune. For each event,
    /// in order: its hash must match its content (else it was edited), its previous hash must be
    /// the hash of the event before it (else one was removed or reordered), and its sequence must
    /// be one more than the event before it. The first event that fails is named in the sentence.
    /// </summary>
    public static AuditVerification Verify(IReadOnlyList<AuditEvent> eventsInStoredOrder, AuditAnchor? anchor)
    {
        ArgumentNullException.ThrowIfNull(eventsInStoredOrder);
        var expectedSequence = anchor?.FirstSequence ?? 1;
        var expectedPrevious = anchor?.PreviousHash ?? Genesis;
        AuditEvent? last = null;
        var checkedCount = 0;

        foreach (var e in eventsInStoredOrder)
        {
            var contentMatches = string.Equals(Hash(e.PreviousHash, e.Sequence, e.Entry), e.Hash, StringComparison.Ordinal);
            var linkMatches = string.Equals(e.PreviousHash, expectedPrevious, StringComparison.Ordinal);
            var sequenceMatches = e.Sequence == expectedSequence;
            if (contentMatches && linkMatches && sequenceMatches)
            {
                last = e;
                checkedCount++;
                expectedSequence = e.Sequence + 1;
                expectedPrevious = e.Hash;
                continue;
            }

            var sentence = $"event {e.Sequence}: {Problems(e, last, anchor, expectedSequence, contentMatches, linkMatches, sequenceMatches)}";
            sentence += checkedCount switch
            {
                0 => "; no event before it verifies",
                1 => "; the 1 event before it verifies",
                _ => $"; the {checkedCount} events before it verify",
            };
            return new AuditVerification(false, checkedCount, e.Sequence, sentence);
        }

        return new AuditVerification(true, checkedCount, null, ValidSentence(eventsInStoredOrder, anchor));
    }

    private static string Problems(AuditEvent e, AuditEvent? last, AuditAnchor? anchor, long expectedSequence,
        bool contentMatches, bool linkMatches, bool sequenceMatches)
    {
        var predecessor = last is not null ? $"event {last.Sequence}"
            : anchor is not null ? $"the prune anchor (the chain continues at event {anchor.FirstSequence})"
            : "the genesis hash (the chain starts at event 1)";
        var parts = new List<string>();
        if (!contentMatches) parts.Add("content does not match its hash");
        if (!linkMatches) parts.Add($"previous-hash does not match {predecessor}");
        if (!sequenceMatches)
        {
            if (e.Sequence > expectedSequence)
            {
                var missing = e.Sequence - expectedSequence == 1
                    ? $"event {expectedSequence} is missing"
                    : $"events {expectedSequence}–{e.Sequence - 1} are missing";
                parts.Add(last is null
                    ? $"the chain should start at event {expectedSequence} ({missing})"
                    : $"sequence jumps from {last.Sequence} to {e.Sequence} ({missing})");
            }
            else
            {
                parts.Add(last is null
                    ? $"sequence is before the start of the chain at event {expectedSequence}"
                    : $"stored after event {last.Sequence} (sequence out of order)");
            }
        }

        var cause = (contentMatches, linkMatches, sequenceMatches) switch
        {
            (false, true, true) => "the event was edited",
            (false, _, _) => "the event was edited, replaced or moved from another position",
            _ when e.Sequence < expectedSequence => "events were reordered or duplicated",
            _ => "an event was removed or reordered",
        };
        return $"{string.Join("; ", parts)} ({cause})";
    }

    private static string ValidSentence(IReadOnlyList<AuditEvent> events, AuditAnchor? anchor)
    {
        var pruned = anchor is null ? ""
            : $"; {anchor.PrunedCount} older event{(anchor.PrunedCount == 1 ? " was" : "s were")} pruned (last prune {anchor.PrunedAt.UtcDateTime:yyyy-MM-dd HH:mm} UTC) and the chain continues from the prune anchor";
        if (events.Count == 0)
            return anchor is null ? "the audit chain is empty" : $"the audit chain has no events after the prune anchor{pruned}";
        var head = events[^1];
        var count = events.Count == 1 ? "1 event" : $"{events.Count} events";
        return $"the audit chain verifies: {count} ({events[0].Sequence}–{head.Sequence}), head hash {head.Hash[..Math.Min(16, head.Hash.Length)]}{pruned}";
    }

    /// <summary>
    /// The cutoff a prune may use: <paramref name="olderThan"/>, unless that is younger than
    /// <paramref name="now"/> − <see cref="MinimumRetention"/>, in which case the latter (clamped).
    /// </summary>
    public static (DateTimeOffset EffectiveCutoff, bool Clamped) PruneCutoff(DateTimeOffset olderThan, DateTimeOffset now)
    {
        var oldestAllowed = now - MinimumRetention;
        return olderThan > oldestAllowed ? (oldestAllowed, true) : (olderThan, false);
    }
}
