using Regami.Dr.Core.Audit;

namespace Regami.Dr.Core.Tests.Audit;

public class AuditChainTests
{
    private static readonly DateTimeOffset Start = new(2026, 11, 24, 21, 30, 0, TimeSpan.Zero);

    private static AuditEntry Entry(int i, string? details = null) => new(
        Start.AddSeconds(i), "ops@host", "failover --to eu-central-1", "eu-central-1",
        $"step.{i}", AuditOutcome.Succeeded, details ?? $"detail {i}");

    /// <summary>A valid chain of <paramref name="count"/> events starting at <paramref name="first"/>.</summary>
    private static List<AuditEvent> Chain(int count, long first = 1, string previous = AuditChain.Genesis)
    {
        var events = new List<AuditEvent>();
        for (var i = 0; i < count; i++)
        {
            var seq = first + i;
            var entry = Entry((int)seq);
            var hash = AuditChain.Hash(previous, seq, entry);
            events.Add(new AuditEvent(seq, entry, previous, hash));
            previous = hash;
        }
        return events;
    }

    [Fact]
    public void Genesis_is_64_zeros()
    {
        Assert.Equal(new string('0', 64), AuditChain.Genesis);
        Assert.Equal(TimeSpan.FromDays(90), AuditChain.MinimumRetention);
    }

    [Fact]
    public void Hash_is_lowercase_sha256_hex_and_pinned()
    {
        var hash = AuditChain.Hash(AuditChain.Genesis, 1, Entry(1));

        Assert.Matches("^[0-9a-f]{64}$", hash);
        // Pinned: a change to the serialization would make every stored chain fail to verify.
        Assert.Equal(PinnedHash, hash);
    }

    /// <summary>
    /// SHA-256 of <c>"regami-dr/audit/v1\n" "64:000…0;" "1:1;" "28:2026-11-24T21:30:01.0000000Z;"
    /// "8:ops@host;" "26:failover --to eu-central-1;" "12:eu-central-1;" "6:step.1;" "9:succeeded;"
    /// "8:detail 1;"</c>, computed independently (Python hashlib), so the documented serialization
    /// is the one implemented.
    /// </summary>
    private const string PinnedHash = "363e9f9ee98fc17448a04e5e5707f0a82a07d566c6cbddd905e0aaf5e9c13232";

    [Fact]
    public void Hash_covers_every_field_the_sequence_and_the_previous_hash()
    {
        var entry = Entry(1);
        var baseline = AuditChain.Hash(AuditChain.Genesis, 1, entry);
        string[] variants =
        [
            AuditChain.Hash(AuditChain.Genesis, 2, entry),
            AuditChain.Hash(new string('1', 64), 1, entry),
            AuditChain.Hash(AuditChain.Genesis, 1, entry with { At = entry.At.AddTicks(1) }),
            AuditChain.Hash(AuditChain.Genesis, 1, entry with { Actor = "controller" }),
            AuditChain.Hash(AuditChain.Genesis, 1, entry with { Command = "switchover" }),
            AuditChain.Hash(AuditChain.Genesis, 1, entry with { Region = null }),
            AuditChain.Hash(AuditChain.Genesis, 1, entry with { Action = "fence" }),
            AuditChain.Hash(AuditChain.Genesis, 1, entry with { Outcome = AuditOutcome.Failed }),
            AuditChain.Hash(AuditChain.Genesis, 1, entry with { Details = null }),
        ];

        Assert.All(variants, v => Assert.NotEqual(baseline, v));
        Assert.Equal(variants.Length, variants.Distinct().Count());
    }

    [Fact]
    public void Hash_serialization_is_unambiguous()
    {
        var e = Entry(1);
        // Moving characters across a field boundary, or null vs empty, must change the hash.
        Assert.NotEqual(
            AuditChain.Hash(AuditChain.Genesis, 1, e with { Actor = "ab", Command = "c" }),
            AuditChain.Hash(AuditChain.Genesis, 1, e with { Actor = "a", Command = "bc" }));
        Assert.NotEqual(
            AuditChain.Hash(AuditChain.Genesis, 1, e with { Details = null }),
            AuditChain.Hash(AuditChain.Genesis, 1, e with { Details = "" }));
        Assert.NotEqual(
            AuditChain.Hash(AuditChain.Genesis, 1, e with { Details = "1:x;" }),
            AuditChain.Hash(AuditChain.Genesis, 1, e with { Details = "1:y;" }));
    }

    [Fact]
    public void The_same_instant_hashes_alike_whatever_its_offset()
    {
        var utc = Entry(1);
        var paris = utc with { At = utc.At.ToOffset(TimeSpan.FromHours(1)) };

        Assert.Equal(AuditChain.Hash(AuditChain.Genesis, 1, utc), AuditChain.Hash(AuditChain.Genesis, 1, paris));
    }

    [Fact]
    public void Canonical_time_is_fixed_width_utc_and_round_trips()
    {
        var at = new DateTimeOffset(2026, 11, 24, 22, 30, 0, TimeSpan.FromHours(1)).AddTicks(1234567);

        var text = AuditChain.CanonicalTime(at);

        Assert.Equal("2026-11-24T21:30:00.1234567Z", text);
        Assert.Equal(at, AuditChain.ParseCanonicalTime(text));
        Assert.Equal(TimeSpan.Zero, AuditChain.ParseCanonicalTime(text).Offset);
    }

    [Fact]
    public void A_valid_chain_verifies_and_names_its_head()
    {
        var chain = Chain(5);

        var v = AuditChain.Verify(chain, anchor: null);

        Assert.True(v.Valid);
        Assert.Equal(5, v.EventsChecked);
        Assert.Null(v.FirstBrokenSequence);
        Assert.Equal($"the audit chain verifies: 5 events (1–5), head hash {chain[^1].Hash[..16]}", v.Sentence);
    }

    [Fact]
    public void An_empty_chain_verifies()
    {
        var v = AuditChain.Verify([], anchor: null);

        Assert.True(v.Valid);
        Assert.Equal(0, v.EventsChecked);
        Assert.Equal("the audit chain is empty", v.Sentence);
    }

    [Fact]
    public void An_edited_event_is_named()
    {
        var chain = Chain(5);
        chain[2] = chain[2] with { Entry = chain[2].Entry with { Outcome = AuditOutcome.Succeeded, Details = "all fine" } };

        var v = AuditChain.Verify(chain, anchor: null);

        Assert.False(v.Valid);
        Assert.Equal(3, v.FirstBrokenSequence);
        Assert.Equal(2, v.EventsChecked);
        Assert.Equal("event 3: content does not match its hash (the event was edited); the 2 events before it verify", v.Sentence);
    }

    [Fact]
    public void An_edited_and_rehashed_event_breaks_the_next_link()
    {
        var chain = Chain(5);
        var edited = chain[2].Entry with { Details = "rewritten" };
        chain[2] = chain[2] with { Entry = edited, Hash = AuditChain.Hash(chain[2].PreviousHash, 3, edited) };

        var v = AuditChain.Verify(chain, anchor: null);

        Assert.Equal(4, v.FirstBrokenSequence);
        Assert.StartsWith("event 4: previous-hash does not match event 3 (an event was removed or reordered)", v.Sentence);
    }

    [Fact]
    public void A_removed_event_is_named_at_the_next_one()
    {
        var chain = Chain(7);
        chain.RemoveAt(5); // event 6

        var v = AuditChain.Verify(chain, anchor: null);

        Assert.False(v.Valid);
        Assert.Equal(7, v.FirstBrokenSequence);
        Assert.Equal(
            "event 7: previous-hash does not match event 5; sequence jumps from 5 to 7 (event 6 is missing) (an event was removed or reordered); the 5 events before it verify",
            v.Sentence);
    }

    [Fact]
    public void A_removed_first_event_is_caught_without_an_anchor()
    {
        var chain = Chain(3);
        chain.RemoveAt(0);

        var v = AuditChain.Verify(chain, anchor: null);

        Assert.Equal(2, v.FirstBrokenSequence);
        Assert.Equal(
            "event 2: previous-hash does not match the genesis hash (the chain starts at event 1); the chain should start at event 1 (event 1 is missing) (an event was removed or reordered); no event before it verifies",
            v.Sentence);
    }

    [Fact]
    public void Reordered_events_are_caught()
    {
        var chain = Chain(5);
        (chain[1], chain[2]) = (chain[2], chain[1]); // stored order 1, 3, 2, 4, 5

        var v = AuditChain.Verify(chain, anchor: null);

        Assert.Equal(3, v.FirstBrokenSequence);
        Assert.StartsWith("event 3: previous-hash does not match event 1; sequence jumps from 1 to 3 (event 2 is missing)", v.Sentence);
    }

    [Fact]
    public void A_duplicated_sequence_is_caught_as_out_of_order()
    {
        var chain = Chain(3);
        chain.Add(chain[1]);

        var v = AuditChain.Verify(chain, anchor: null);

        Assert.Equal(2, v.FirstBrokenSequence);
        Assert.Equal(3, v.EventsChecked);
        Assert.Contains("stored after event 3 (sequence out of order)", v.Sentence);
        Assert.Contains("(events were reordered or duplicated)", v.Sentence);
    }

    [Fact]
    public void A_chain_that_was_pruned_verifies_from_its_anchor_and_not_without_it()
    {
        var full = Chain(10);
        var kept = full.Skip(4).ToList(); // events 5..10
        var anchor = new AuditAnchor(5, full[3].Hash, Start.AddDays(100), 4);

        var withAnchor = AuditChain.Verify(kept, anchor);
        var withoutAnchor = AuditChain.Verify(kept, anchor: null);

        Assert.True(withAnchor.Valid, withAnchor.Sentence);
        Assert.Equal(6, withAnchor.EventsChecked);
        Assert.EndsWith("; 4 older events were pruned (last prune 2027-03-04 21:30 UTC) and the chain continues from the prune anchor", withAnchor.Sentence);
        Assert.False(withoutAnchor.Valid);
        Assert.Equal(5, withoutAnchor.FirstBrokenSequence);
    }

    [Fact]
    public void An_anchor_that_does_not_match_the_first_kept_event_is_caught()
    {
        var full = Chain(10);
        var kept = full.Skip(4).ToList();
        var wrong = new AuditAnchor(5, full[2].Hash, Start, 4);

        var v = AuditChain.Verify(kept, wrong);

        Assert.Equal(5, v.FirstBrokenSequence);
        Assert.StartsWith("event 5: previous-hash does not match the prune anchor (the chain continues at event 5)", v.Sentence);
    }

    [Fact]
    public void An_anchor_with_no_events_after_it_verifies()
    {
        var v = AuditChain.Verify([], new AuditAnchor(11, new string('a', 64), Start, 10));

        Assert.True(v.Valid);
        Assert.StartsWith("the audit chain has no events after the prune anchor", v.Sentence);
    }

    [Fact]
    public void Prune_cutoff_is_clamped_to_the_minimum_retention()
    {
        var now = Start;

        var (young, clampedYoung) = AuditChain.PruneCutoff(now.AddDays(-10), now);
        var (old, clampedOld) = AuditChain.PruneCutoff(now.AddDays(-120), now);
        var (exact, clampedExact) = AuditChain.PruneCutoff(now.AddDays(-90), now);

        Assert.Equal((now.AddDays(-90), true), (young, clampedYoung));
        Assert.Equal((now.AddDays(-120), false), (old, clampedOld));
        Assert.Equal((now.AddDays(-90), false), (exact, clampedExact));
    }

    [Fact]
    public void Prune_result_describes_itself()
    {
        var result = new AuditPruneResult(12, Start.AddDays(-90), true, new AuditAnchor(13, AuditChain.Genesis, Start, 12));

        Assert.Equal(
            "pruned 12 events older than 2026-08-26 21:30:00 UTC (the requested cutoff was clamped to the 90-day minimum retention); the chain starts at event 13",
            result.Describe());
        Assert.StartsWith("would prune 1 event older than", (result with { Pruned = 1, Clamped = false }).Describe(dryRun: true));
    }
}
