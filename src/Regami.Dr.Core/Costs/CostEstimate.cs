namespace Regami.Dr.Core.Costs;

/// <summary>
/// What `regami-dr cost` prints: the monthly price of what the DR plan adds to the primary's
/// estate, line by line, against the plan's own estimate. Serialized as is by `--output json`
/// (schemas/cost.schema.json).
/// </summary>
public sealed record CostEstimate
{
    public required string Environment { get; init; }
    public required string Provider { get; init; }
    public required string PrimaryRegion { get; init; }

    /// <summary>Where the priced footprint lives (the region with role standby).</summary>
    public required string StandbyRegion { get; init; }

    public required string Currency { get; init; }

    /// <summary>Hours in a month, AWS's convention: 730.</summary>
    public required int HoursPerMonth { get; init; }

    public required IReadOnlyList<CostLineItem> LineItems { get; init; }

    /// <summary>The sum of the line items' rounded monthly figures (so the printed column adds up).</summary>
    public required decimal TotalMonthlyUsd { get; init; }

    public required PlanComparison Plan { get; init; }

    public required PriceTableInfo PriceTable { get; init; }

    /// <summary>configured (cost.walGbPerMonth) or given (--wal-gb-per-month).</summary>
    public required string WalSource { get; init; }

    /// <summary>The inputs the estimate used, with the configuration field each came from.</summary>
    public required IReadOnlyList<CostAssumption> Assumptions { get; init; }

    /// <summary>What is deliberately not priced, and why.</summary>
    public required IReadOnlyList<string> Excluded { get; init; }
}

/// <summary>One priced item: <c>monthlyUsd = quantity × unitPriceUsd</c>, rounded to the cent.</summary>
/// <param name="Key">A stable identifier for scripts (replicaInstance, walTransfer, …).</param>
/// <param name="Region">The region whose price applies, or <c>global</c>.</param>
/// <param name="Unit">What one unit of <paramref name="Quantity"/> is (hour, GB-month, GB, check-month, …).</param>
public sealed record CostLineItem(string Key, string Name, string Region, double Quantity, string Unit, decimal UnitPriceUsd, decimal MonthlyUsd, string Note);

public enum PlanVerdict { Below, InRange, Above }

/// <summary>The plan's estimate (cost.planMonthlyLowUsd–HighUsd) and where the total falls.</summary>
public sealed record PlanComparison(decimal LowUsd, decimal HighUsd, PlanVerdict Verdict)
{
    public static PlanComparison Of(decimal total, decimal low, decimal high) =>
        new(low, high, total < low ? PlanVerdict.Below : total > high ? PlanVerdict.Above : PlanVerdict.InRange);
}

/// <summary>Which table priced the estimate: its date comes with every figure.</summary>
public sealed record PriceTableInfo(DateOnly Date, string Currency, string Basis, string Caveat, IReadOnlyList<string> Sources);

/// <summary>An input of the estimate: the configuration field, its value, and where the value came from when that matters.</summary>
public sealed record CostAssumption(string Field, string Value, string? Note = null);
