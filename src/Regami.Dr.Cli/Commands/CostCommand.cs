using System.CommandLine;
using Regami.Dr.Cli.Output;
using Regami.Dr.Core.Costs;

namespace Regami.Dr.Cli.Commands;

/// <summary>`regami-dr cost [--wal-gb-per-month N]`: the monthly price of the DR footprint the configuration describes.</summary>
public static class CostCommand
{
    public static Command Create(GlobalOptions g)
    {
        var wal = new Option<double?>("--wal-gb-per-month")
        {
            Description = "A measured WAL volume shipped to the standby per month, in GB: replaces cost.walGbPerMonth (the output says which was used)",
            HelpName = "GB",
        };
        var cmd = new Command("cost",
            "The monthly price of the DR footprint, line by line: the standby replica and its storage, cross-region WAL and S3 transfer, " +
            "Route 53 health checks, the S3 replica, backup copies in the standby vault, standby compute and load balancer, alarms, KMS, SNS. " +
            "Sizes come from the configuration's cost: section, prices from the dated EU price table in the repository (its date and sources are printed); " +
            "the total is compared with the plan's estimate ($130–280 a month). Only what DR adds is priced, not the primary's own estate. " +
            "Exit 2 naming the field when the table cannot price the configuration (an instance class or region it does not list). docs/cost.md")
        {
            wal,
        };
        cmd.SetAction((parse, ct) =>
        {
            var given = parse.GetValue(wal);
            if (given is { } w && !(w is >= 0 and < 10_000_000))
                throw new CliException($"--wal-gb-per-month must be 0 or more GB (found {w})", ExitCodes.Usage);
            var loaded = g.Configuration(parse);
            CostEstimate estimate;
            try
            {
                estimate = CostEstimator.Estimate(loaded.Config, PriceTable.Eu(), given);
            }
            catch (CostEstimateException e)
            {
                // The table cannot price what the file says: a configuration error, located at the field's line.
                throw loaded.Document.Error(e.Field, e.Problem);
            }
            if (parse.GetValue(g.Output) == OutputFormat.Json) Json.Write(estimate);
            else CostView.Render(Console.Out, estimate, DateOnly.FromDateTime(DateTime.UtcNow));
            return Task.FromResult(ExitCodes.Ok);
        });
        return cmd;
    }
}
