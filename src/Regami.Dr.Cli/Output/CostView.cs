using System.Globalization;
using Regami.Dr.Core.Costs;

namespace Regami.Dr.Cli.Output;

/// <summary>
/// The human form of `cost`, laid out like the plan's cost section: the line items with their
/// monthly dollars, the total against the plan's range, then the price table and the inputs.
/// Plain text (no markup): it is pasted into budgets and tickets.
/// </summary>
public static class CostView
{
    /// <summary>A table older than this is called out: prices change, and the table is checked by hand.</summary>
    private const int StaleAfterDays = 365;

    public static void Render(TextWriter o, CostEstimate e, DateOnly today)
    {
        o.WriteLine($"DR footprint — monthly cost, {e.Currency} (environment {e.Environment}, provider {e.Provider})");
        o.WriteLine($"Standby region {e.StandbyRegion}, primary {e.PrimaryRegion}: only what DR adds is priced; the primary's own estate is not.");
        o.WriteLine();

        string[] header = ["Line item", "Region", "Quantity", "Unit price", "Monthly"];
        var rows = e.LineItems.Select(i => new[] { i.Name, i.Region, Quantity(i), $"{Price(i.UnitPriceUsd)}/{PerUnit(i.Unit)}", Cents(i.MonthlyUsd) }).ToList();
        var widths = Enumerable.Range(0, header.Length).Select(c => rows.Append(header).Max(r => r[c].Length)).ToArray();
        string Line(string[] cells) => string.Join("  ", cells.Select((cell, c) => c >= 2 ? cell.PadLeft(widths[c]) : cell.PadRight(widths[c]))).TrimEnd();

        o.WriteLine(Line(header));
        foreach (var (item, row) in e.LineItems.Zip(rows))
        {
            o.WriteLine(Line(row));
            o.WriteLine($"    {item.Note}");
        }
        var width = widths.Sum() + 2 * (widths.Length - 1);
        o.WriteLine(new string('─', width));
        var total = Cents(e.TotalMonthlyUsd);
        o.WriteLine($"Total per month{total.PadLeft(width - "Total per month".Length)}");
        var verdict = e.Plan.Verdict switch
        {
            PlanVerdict.Below => $"{Cents(e.Plan.LowUsd - e.TotalMonthlyUsd)} below it",
            PlanVerdict.Above => $"{Cents(e.TotalMonthlyUsd - e.Plan.HighUsd)} above it",
            _ => "within it",
        };
        o.WriteLine($"Plan's estimate {Dollars(e.Plan.LowUsd)}–{e.Plan.HighUsd.ToString("#,0.##", CultureInfo.InvariantCulture)} per month: this total is {verdict}.");
        o.WriteLine();

        var t = e.PriceTable;
        var age = today.DayNumber - t.Date.DayNumber;
        o.WriteLine($"Prices: the EU price table of {t.Date:yyyy-MM-dd} ({t.Currency}, {age} days old{(age > StaleAfterDays ? ": check the prices before budgeting" : "")}).");
        o.WriteLine($"    {t.Basis}");
        o.WriteLine($"    {t.Caveat}");
        o.WriteLine("    Sources:");
        foreach (var s in t.Sources) o.WriteLine($"      {s}");
        o.WriteLine();

        o.WriteLine("Assumptions (the configuration's cost: section and the plan; docs/cost.md explains each line):");
        var fieldWidth = e.Assumptions.Max(a => a.Field.Length);
        foreach (var a in e.Assumptions)
            o.WriteLine($"  {a.Field.PadRight(fieldWidth)}  {a.Value}{(a.Note is { } n ? $"  ({n})" : "")}");
        o.WriteLine();
        o.WriteLine("Not counted:");
        foreach (var x in e.Excluded) o.WriteLine($"  - {x}");
    }

    private static string Quantity(CostLineItem i) =>
        $"{i.Quantity.ToString("#,0.###", CultureInfo.InvariantCulture)} {(i.Unit.StartsWith("1,000", StringComparison.Ordinal) ? "× 1,000" : i.Unit)}";

    private static string PerUnit(string unit) => unit.StartsWith("1,000", StringComparison.Ordinal) ? "1,000" : unit;

    /// <summary>A unit price: at least cents, as many decimals as the table has.</summary>
    private static string Price(decimal v) => "$" + v.ToString("#,0.00####", CultureInfo.InvariantCulture);

    private static string Cents(decimal v) => "$" + v.ToString("#,0.00", CultureInfo.InvariantCulture);

    /// <summary>Round figures as the plan writes them ($130–280).</summary>
    private static string Dollars(decimal v) => "$" + v.ToString("#,0.##", CultureInfo.InvariantCulture);
}
