using Regami.Dr.Core.Alarms;
using Regami.Dr.Core.Controller;
using Regami.Dr.Core.Runbooks;
using Regami.Dr.Core.Topology;
using Regami.Dr.Core.Traffic;

namespace Regami.Dr.Core.Configuration;

/// <summary>
/// The provider-neutral part of <c>regami-dr.yaml</c>: what the DR plan says, whatever the
/// environment. The provider's own section (<c>lab:</c>, <c>aws:</c>) and the notifications are
/// bound by the projects that own those options types (<see cref="ConfigDocument.BindSection{T}"/>).
/// Each property here is the options type its component uses: nothing is mapped by hand.
/// </summary>
public sealed class DrConfiguration
{
    /// <summary>The providers this build knows, and whether each is implemented yet.</summary>
    public static readonly IReadOnlyDictionary<string, bool> Providers = new Dictionary<string, bool>
    {
        ["lab"] = true,
        ["aws"] = true,
    };

    /// <summary>Top-level keys bound outside Core: the notifications (Server) and one section per provider.</summary>
    public static readonly IReadOnlySet<string> SectionsBoundElsewhere = new HashSet<string>(["notifications", .. Providers.Keys]);

    /// <summary>Which environment the ports act on: <c>lab</c> (default) or <c>aws</c>.</summary>
    public string Provider { get; set; } = "lab";

    /// <summary>A name for status output and reports.</summary>
    public string Environment { get; set; } = "lab";

    public List<RegionConfig> Regions { get; set; } =
    [
        new() { Name = "eu-west-3", Role = "primary" },
        new() { Name = "eu-central-1", Role = "standby" },
    ];

    /// <summary>The plan's recovery objectives: what drills are judged against.</summary>
    public RecoveryTargets Targets { get; set; } = new();

    public ReplicationConfig Replication { get; set; } = new();

    public ComputeConfig Compute { get; set; } = new();

    /// <summary>How each region's endpoint is health-checked (Route 53 semantics; lab defaults 1 s × 3).</summary>
    public HealthCheckOptions HealthCheck { get; set; } = new();

    /// <summary>The RPO guard: one policy for the controller's automatic failovers and for `regami-dr failover`.</summary>
    public RpoGuardPolicy RpoGuard { get; set; } = new();

    public AlarmPolicy Alarms { get; set; } = AlarmPolicy.Lab;

    /// <summary>The controller's loop and its decision policy (its RPO guard is <see cref="RpoGuard"/>).</summary>
    public ControllerPolicy Controller { get; set; } = ControllerPolicy.Lab;

    public ScheduleConfig Schedules { get; set; } = new();

    /// <summary>Backup schedules (cron, UTC), retention per class and the restore test (the plan's policy by default).</summary>
    public Backups.BackupConfig Backups { get; set; } = new();

    /// <summary>When unfinished runbook runs are resumed (<c>runbooks: { maxResumeAge: 1h }</c>).</summary>
    public RunbookPolicy Runbooks { get; set; } = new();

    /// <summary>The sizes `regami-dr cost` prices the DR footprint from (replica class, storage, WAL, uploads, backups).</summary>
    public Costs.CostInputs Cost { get; set; } = new();

    public RegionConfig PrimaryRegion => Regions.First(r => r.IsPrimary);
    public RegionConfig StandbyRegion => Regions.First(r => !r.IsPrimary);
    public RegionConfig? FindRegion(string name) => Regions.FirstOrDefault(r => r.Name == name);

    /// <summary>The failover runbooks' policy, with the configured RPO guard (never built-in defaults).</summary>
    public FailoverPolicy FailoverPolicy => new() { RpoGuard = RpoGuard };

    /// <summary>Binds and validates the neutral part; throws a located <see cref="ConfigurationException"/> on the first problem.</summary>
    public static DrConfiguration From(ConfigDocument doc)
    {
        var c = doc.BindRoot<DrConfiguration>(SectionsBoundElsewhere);
        // The lab rehearses faster than the plan: a section that leaves these out gets the lab's values.
        if (c.Provider == "lab" && !doc.Mentions("controller.cooldown")) c.Controller = c.Controller with { Cooldown = ControllerPolicy.Lab.Cooldown };
        c.Controller = c.Controller with { RpoGuard = c.RpoGuard };
        c.Validate(doc);
        return c;
    }

    /// <summary>A region name as clouds spell them and as it is safe in paths, keys and DNS labels: <c>[a-z0-9-]+</c>.</summary>
    public static bool IsRegionName(string name) =>
        name.Length > 0 && name.All(c => c is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '-');

    private void Validate(ConfigDocument doc)
    {
        void Fail(string field, string problem) => throw doc.Error(field, problem);
        void All(string prefix, IEnumerable<string> problems)
        {
            // The options types validate themselves; their messages start with their own field name.
            foreach (var p in problems)
            {
                var key = p.Split(' ', 2)[0];
                Fail($"{prefix}.{key}", p[(key.Length + 1)..]);
            }
        }

        if (!Providers.TryGetValue(Provider, out var implemented))
            Fail("provider", $"must be one of {string.Join(", ", Providers.Keys)} (found '{Provider}')");
        else if (!implemented)
            Fail("provider", $"the '{Provider}' provider is not available in this version of regami-dr yet; use provider: lab");
        if (Regions.Count != 2) Fail("regions", $"the plan has exactly two regions (found {Regions.Count})");
        if (Regions.Count(r => r.IsPrimary) != 1) Fail("regions", "exactly one region must have role: primary");
        for (var i = 0; i < Regions.Count; i++)
        {
            var r = Regions[i];
            if (string.IsNullOrWhiteSpace(r.Name)) Fail($"regions[{i}].name", "is required");
            else if (!IsRegionName(r.Name))
                Fail($"regions[{i}].name", $"'{r.Name}' is not a region name: lower-case letters, digits and '-' only (e.g. eu-west-3)");
            if (r.Role is not ("primary" or "standby")) Fail($"regions[{i}].role", $"must be primary or standby (found '{r.Role}')");
        }
        if (Regions[0].Name == Regions[1].Name) Fail("regions[1].name", "region names must differ");
        if (Replication.Mode is not ("async" or "sync")) Fail("replication.mode", $"must be async or sync (found '{Replication.Mode}')");
        if (Targets.Rto <= TimeSpan.Zero) Fail("targets.rto", "must be greater than 0");
        if (Targets.Rpo < TimeSpan.Zero) Fail("targets.rpo", "must not be negative");
        if (Compute.MaxInstances is < 1 or > 64) Fail("compute.maxInstances", "must be between 1 and 64");
        if (Compute.ActiveInstances < 1 || Compute.ActiveInstances > Compute.MaxInstances)
            Fail("compute.activeInstances", $"must be between 1 and compute.maxInstances ({Compute.MaxInstances})");
        if (Compute.StandbyInstances < 0 || Compute.StandbyInstances > Compute.MaxInstances)
            Fail("compute.standbyInstances", $"must be between 0 and compute.maxInstances ({Compute.MaxInstances})");
        if (Compute.ReadyInstances < 1 || Compute.ReadyInstances > Compute.ActiveInstances)
            Fail("compute.readyInstances", $"must be between 1 and compute.activeInstances ({Compute.ActiveInstances})");
        All("healthCheck", HealthCheck.Validate());
        if (HealthCheck.RequestInterval > TimeSpan.FromMinutes(10)) Fail("healthCheck.requestInterval", "must be at most 10m");
        All("rpoGuard", RpoGuard.Validate());
        All("alarms", Alarms.Validate());
        All("controller", Controller.Validate());
        All("schedules", Schedules.Validate());
        All("backups", Backups.Validate());
        All("runbooks", Runbooks.Validate());
        All("cost", Cost.Validate());
    }
}

public sealed class RegionConfig
{
    public string Name { get; set; } = "";

    /// <summary>The role the region has when the environment is first set up: primary or standby (recorded roles then live in the store).</summary>
    public string Role { get; set; } = "standby";

    public bool IsPrimary => Role.Equals("primary", StringComparison.OrdinalIgnoreCase);
}

/// <summary>The plan's RTO and RPO (15 min and 5 min).</summary>
public sealed record RecoveryTargets
{
    public TimeSpan Rto { get; init; } = TimeSpan.FromMinutes(15);
    public TimeSpan Rpo { get; init; } = TimeSpan.FromMinutes(5);
}

public sealed class ReplicationConfig
{
    /// <summary>async (default) or sync.</summary>
    public string Mode { get; set; } = "async";
    public ReplicationMode ParsedMode => Mode.Equals("sync", StringComparison.OrdinalIgnoreCase) ? ReplicationMode.Sync : ReplicationMode.Async;
}

public sealed class ComputeConfig
{
    /// <summary>Instances the region that takes traffic runs (the plan: 2).</summary>
    public int ActiveInstances { get; set; } = 2;

    /// <summary>Instances a standby region runs until it is failed over to (the plan's stopped service: 0).</summary>
    public int StandbyInstances { get; set; } = 0;

    /// <summary>
    /// How many healthy instances a failover, switchover or failback waits for before traffic
    /// moves; the rest of the active count joins as it starts (an ALB routes to any healthy
    /// target). 1 by default: the region serves as soon as it can, at reduced capacity for the
    /// seconds the others take; set it to activeInstances to move traffic only at full capacity.
    /// </summary>
    public int ReadyInstances { get; set; } = 1;

    public int MaxInstances { get; set; } = 8;
}

/// <summary>Cron expressions (UTC, five fields) of the recurring work the controller schedules.</summary>
public sealed class ScheduleConfig
{
    /// <summary>The quarterly DR drill (the plan: quarterly).</summary>
    public string Drill { get; set; } = "0 9 1 1,4,7,10 *";

    public IEnumerable<string> Validate()
    {
        if (Drill.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length != 5)
            yield return $"drill must be a cron expression of five fields (minute hour day month weekday), found '{Drill}'";
    }
}
