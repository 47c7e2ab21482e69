using Regami.Dr.Core.Configuration;
using Regami.Dr.Core.Controller;
using Regami.Dr.Core.Runbooks;
using Regami.Dr.Core.Audit;
using Regami.Dr.Core.Drills;
using Regami.Dr.Core.Runbooks.Journal;

namespace Regami.Dr.Core.Providers;

/// <summary>
/// Everything an environment (the local lab, AWS) offers the orchestrator, as ports. Commands,
/// the controller and the drill conductor see only this record; a provider is one folder that
/// builds it. Slots a provider cannot fill yet stay null, and the commands that need them say so.
/// </summary>
public sealed record ProviderBundle
{
    /// <summary>The provider's name as written in <c>provider:</c>.</summary>
    public required string Name { get; init; }

    public required DrConfiguration Configuration { get; init; }

    /// <summary>Database, compute, traffic, recorded roles and lag memory: what runbooks act through.</summary>
    public required DrPorts Ports { get; init; }

    /// <summary>Each region's health as the controller judges it (our own probes, or the provider's health checks).</summary>
    public required IHealthSource Health { get; init; }

    /// <summary>A snapshot of the whole system (`regami-dr status`).</summary>
    public required IStatusReader Status { get; init; }

    /// <summary>Where the controller's API listens for this environment.</summary>
    public required Uri ControllerUrl { get; init; }

    /// <summary>What a drill needs beyond the runbook ports (faults, workload, records, lifecycle…), given the state store's journal, audit and lease; null where a provider cannot run drills.</summary>
    public Func<IRunbookJournal, IAuditLog, IRunbookLease, DrillPorts>? Drills { get; init; }

    /// <summary>The runbooks' guard policy and waits. Defaults to the configuration's; a provider whose operations take minutes (RDS promotion) sets longer waits.</summary>
    public FailoverPolicy? Policy { get; init; }

    /// <summary>The guard policy runbooks run with: <see cref="Policy"/> when the provider set one, else the configuration's.</summary>
    public FailoverPolicy EffectivePolicy => Policy ?? Configuration.FailoverPolicy;

    /// <summary>For a dry run: the provider's own commands behind each runbook step (AWS: the exact AWS CLI calls). Null where a provider has none to show.</summary>
    public IRunbookCommandPlan? CommandPlan { get; init; }

    /// <summary>Publishes notifications to the provider's topics (AWS: SNS), by severity; null where the provider has none.</summary>
    public Notifications.ISnsPublisher? Sns { get; init; }

    /// <summary>The SNS topic ARN for each severity (sev1..sev3) the provider publishes alerts to.</summary>
    public IReadOnlyDictionary<Alerting.Severity, string> SnsTopics { get; init; } = new Dictionary<Alerting.Severity, string>();

    /// <summary>A control-plane drill (AWS): the runbooks for real, the fault simulated with the routing control; null where <see cref="Drills"/> runs full drills.</summary>
    public Func<IRunbookJournal, IAuditLog, IRunbookLease, IControlPlaneDrill>? ControlPlaneDrill { get; init; }

    /// <summary>Backups, snapshots, point-in-time recovery and restored instances; null where the provider has none yet.</summary>
    public Backups.IBackupPort? Backups { get; init; }

    /// <summary>What `regami-dr doctor` reads of the deployed estate (encryption, replica, backups, alarms, health checks); null where a provider has no reader.</summary>
    public Doctor.IPostureReader? Posture { get; init; }

    /// <summary>Object storage replication status (a later issue fills this slot).</summary>
    public IObjectStoragePort? ObjectStorage { get; init; }
}

/// <summary>Where region health comes from: one result per region and vantage point per call.</summary>
public interface IHealthSource
{
    Task<IReadOnlyList<ProbeResult>> ProbeAsync(CancellationToken ct);
}

/// <summary>The object storage slot: empty until the object replication issue defines its operations.</summary>
public interface IObjectStoragePort;

/// <summary>A provider's operation failed; the message says what state things are in and what to do.</summary>
public class ProviderException(string message, Exception? inner = null) : Exception(message, inner)
{
    /// <summary>The CLI exit code this failure maps to (1 failed, 2 usage/config/environment, 3 unsafe).</summary>
    public int ExitCode { get; init; } = 1;
}
