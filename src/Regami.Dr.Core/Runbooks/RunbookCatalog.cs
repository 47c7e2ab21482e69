using Regami.Dr.Core.Ports;
using Regami.Dr.Core.Topology;

namespace Regami.Dr.Core.Runbooks;

/// <summary>What someone asked of a runbook, before the regions are resolved.</summary>
/// <param name="To">The region that should end up primary; null = the runbook's default (the standby, or home for a failback).</param>
/// <param name="Restored">restore-promote: the restored instance to promote (its region is <paramref name="To"/>).</param>
public sealed record RunbookAsk(string Kind, string? To = null, bool Force = false, bool Reclone = false, string? Restored = null);

/// <summary>A runbook request that cannot go ahead as asked; <see cref="Unsafe"/> = a guard's refusal rather than a usage error.</summary>
public sealed class RunbookRequestException(string message, bool @unsafe) : Exception(message)
{
    public bool Unsafe { get; } = @unsafe;
}

/// <summary>The runbook to run, or why there is nothing to do.</summary>
public sealed record RunbookChoice(Runbook? Runbook, string? NothingToDo);

/// <summary>
/// The one way in to the runbooks, used by the CLI, the HTTP API and the controller: kind →
/// builder, with the regions resolved from the recorded topology and one policy (the configured
/// RPO guard). Resuming a journaled run rebuilds it from its recorded parameters here too.
/// </summary>
public sealed class RunbookCatalog(DrPorts unguarded, FailoverPolicy policy, Backups.IBackupPort? backups = null)
{
    // Every routing change a runbook makes goes through the safety rules.
    private readonly DrPorts ports = unguarded with { Traffic = unguarded.Traffic as RoutingSafetyRules ?? new RoutingSafetyRules(unguarded.Traffic, unguarded.Database, unguarded.Topology) };

    public static readonly IReadOnlyList<string> Kinds = [FailoverRunbook.Kind, SwitchoverRunbook.Kind, FailbackRunbook.Kind, RestorePromoteRunbook.Kind];

    public FailoverPolicy Policy => policy;

    public async Task<RunbookChoice> ChooseAsync(RunbookAsk ask, CancellationToken ct) =>
        Choose(ask, await ports.Topology.GetAsync(ct));

    public RunbookChoice Choose(RunbookAsk ask, TopologySnapshot topology)
    {
        if (ask.To is { } wanted && !topology.Regions.Contains(wanted))
            throw new RunbookRequestException($"unknown region '{wanted}'; regions: {string.Join(", ", topology.Regions)}", @unsafe: false);
        var primary = topology.Primary;
        switch (ask.Kind)
        {
            case FailoverRunbook.Kind:
            {
                var to = ask.To ?? topology.Standby ?? topology.Regions.First(r => r != primary);
                if (to == primary) return new(null, $"{to} is already the primary");
                var from = primary ?? topology.Others(to).First();
                return new(FailoverRunbook.Build(from, to, ask.Force, ports, policy), null);
            }
            case SwitchoverRunbook.Kind:
            {
                var to = ask.To ?? topology.Standby ?? topology.Regions.First(r => r != primary);
                if (to == primary) return new(null, $"{to} is already the primary");
                if (primary is null) throw new RunbookRequestException("no region is recorded as primary; use `regami-dr failover`", @unsafe: true);
                return new(SwitchoverRunbook.Build(primary, to, ports, policy), null);
            }
            case FailbackRunbook.Kind:
            {
                var home = ask.To ?? topology.HomeRegion;
                if (primary == home && topology.Others(home).All(r => topology.Roles[r] == RegionRole.Standby))
                    return new(null, $"{home} is the primary and the other region is its standby");
                if (primary is null) throw new RunbookRequestException("no region is recorded as primary; nothing to fail back from", @unsafe: true);
                if (primary == home) throw new RunbookRequestException($"{home} is already primary but the other region is not a standby; `regami-dr status` shows why", @unsafe: true);
                return new(FailbackRunbook.Build(home, primary, ports, policy, ask.Reclone), null);
            }
            case RestorePromoteRunbook.Kind:
            {
                if (ask.Restored is not { } name || ask.To is not { } region)
                    throw new RunbookRequestException("restore-promote needs the restored instance and its region", @unsafe: false);
                if (primary is null) throw new RunbookRequestException("no region is recorded as primary; `regami-dr status` shows why", @unsafe: true);
                var other = topology.Regions.First(r => r != region);
                return new(RestorePromoteRunbook.Build(name, region, primary, other, ports, Backups, policy), null);
            }
            default:
                throw new RunbookRequestException($"unknown runbook kind '{ask.Kind}'; kinds: {string.Join(", ", Kinds)}", @unsafe: false);
        }
    }

    private Backups.IBackupPort Backups => backups ?? throw new RunbookRequestException("this provider has no backups: nothing was restored to promote", @unsafe: false);

    /// <summary>The runbook of a journaled run, from its recorded parameters (to resume it).</summary>
    public Runbook Rebuild(string kind, IReadOnlyDictionary<string, string> p) => kind switch
    {
        FailoverRunbook.Kind => FailoverRunbook.Build(p["from"], p["to"], p.GetValueOrDefault("force") == "true", ports, policy),
        SwitchoverRunbook.Kind => SwitchoverRunbook.Build(p["from"], p["to"], ports, policy),
        FailbackRunbook.Kind => FailbackRunbook.Build(p["to"], p["from"], ports, policy, p.GetValueOrDefault("reclone") == "true"),
        RestorePromoteRunbook.Kind => RestorePromoteRunbook.Build(p["name"], p["to"], p["from"], p["other"], ports, Backups, policy),
        _ => throw new RunbookRequestException($"cannot resume a run of kind {kind}", @unsafe: false),
    };
}
