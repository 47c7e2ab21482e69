using Regami.Dr.Core.Drills;
using static Regami.Dr.Core.Tests.Drills.DrillTestKit;

namespace Regami.Dr.Core.Tests.Drills;

public sealed class WriteSetCheckerTests
{
    [Fact]
    public void Each_outcome_lands_in_its_class()
    {
        WriteAttempt[] attempts =
        [
            Ack(1, 0.0),      // present  → ok
            Ack(2, 0.1),      // missing  → lost
            Unknown(3, 0.2),  // present  → recovered
            Unknown(4, 0.3),  // missing  → failed
            Refused(5, 0.4),  // missing  → failed
            Refused(6, 0.5),  // present  → recovered (the refusal was not definite)
        ];

        var c = WriteSetChecker.Classify(attempts, Present(1, 3, 6, 42));

        Assert.Equal([1L], c.Ok);
        Assert.Equal([2L], c.Lost);
        Assert.Equal([3L, 6L], c.Recovered);
        Assert.Equal([4L, 5L], c.Failed);
        Assert.Equal([42L], c.Unexpected);
        Assert.Equal([6L], c.RefusedButPresent);
        Assert.Equal(6, c.Attempted);
        Assert.Equal(2, c.Acknowledged);
        Assert.False(c.IsValid);
    }

    [Fact]
    public void Nothing_attempted_and_nothing_present_is_empty_and_valid()
    {
        var c = WriteSetChecker.Classify([], Present());

        Assert.Empty(c.Ok);
        Assert.Empty(c.Lost);
        Assert.Empty(c.Recovered);
        Assert.Empty(c.Failed);
        Assert.Empty(c.Unexpected);
        Assert.Equal(0, c.Attempted);
        Assert.True(c.IsValid);
    }

    [Fact]
    public void Rows_nobody_wrote_are_unexpected_even_with_no_attempts()
    {
        var c = WriteSetChecker.Classify([], Present(7, 3));

        Assert.Equal([3L, 7L], c.Unexpected);
        Assert.False(c.IsValid);
    }

    [Fact]
    public void Every_acknowledged_write_present_is_valid()
    {
        var c = WriteSetChecker.Classify([Ack(1, 0), Ack(2, 0.1), Refused(3, 0.2)], Present(1, 2));

        Assert.True(c.IsValid);
        Assert.Equal([1L, 2L], c.Ok);
        Assert.Equal([3L], c.Failed);
    }

    [Fact]
    public void A_seq_attempted_twice_counts_with_its_strongest_outcome()
    {
        var c = WriteSetChecker.Classify([Refused(1, 0), Ack(1, 0.5), Refused(2, 0.1), Unknown(2, 0.6)], Present());

        Assert.Equal([1L], c.Lost);
        Assert.Equal([2L], c.Failed);
        Assert.Equal(2, c.Attempted);
    }

    [Fact]
    public void Lists_are_sorted_whatever_the_order_of_attempts()
    {
        var c = WriteSetChecker.Classify([Ack(9, 0), Ack(3, 0.1), Ack(5, 0.2)], Present(9, 3, 5));

        Assert.Equal([3L, 5L, 9L], c.Ok);
    }
}

public sealed class OldPrimaryReconciliationTests
{
    [Fact]
    public void Rows_only_on_the_old_primary_are_the_lost_writes_plus_the_committed_but_unacknowledged_ones()
    {
        WriteAttempt[] attempts =
        [
            Ack(1, 0.0),      // on both                      → ok
            Ack(2, 0.1),      // only on the old primary      → lost, confirmed
            Unknown(3, 0.2),  // only on the old primary      → committed but unacknowledged
            Refused(4, 0.3),  // only on the old primary      → committed but unacknowledged (the refusal was not definite)
            Unknown(5, 0.4),  // nowhere                      → failed, nothing to explain
            Unknown(6, 0.5),  // on both                      → recovered
        ];
        var writes = WriteSetChecker.Classify(attempts, Present(1, 6));

        var r = OldPrimaryReconciliation.From(writes, Present(1, 2, 3, 4, 6));

        Assert.Equal([2L, 3L, 4L], r.OnlyOnOldPrimary);
        Assert.Equal([2L], r.LostConfirmed);
        Assert.Equal([3L, 4L], r.CommittedUnacknowledged);
        Assert.Equal(r.OnlyOnOldPrimary, r.LostConfirmed.Concat(r.CommittedUnacknowledged).Order());
        Assert.Empty(r.LostNotOnOldPrimary);
        Assert.Empty(r.Unexplained);
        Assert.True(r.Balances);
    }

    [Fact]
    public void A_lost_write_the_old_primary_lacks_or_a_row_nobody_attempted_does_not_balance()
    {
        var writes = WriteSetChecker.Classify([Ack(1, 0.0), Ack(2, 0.1)], Present(1));

        var r = OldPrimaryReconciliation.From(writes, Present(1, 99));

        Assert.Equal([2L], r.LostNotOnOldPrimary);
        Assert.Equal([99L], r.Unexplained);
        Assert.Empty(r.LostConfirmed);
        Assert.False(r.Balances);
    }
}
