using Regami.Dr.Core.Audit;
using Regami.Dr.Core.Campaigns;
using Regami.Dr.Core.Runbooks.Journal;
using Regami.Dr.Lab.State;

namespace Regami.Dr.Lab.Campaign;

/// <summary>What the campaign is asked to do.</summary>
/// <param name="Only">Run only this sequence of the plan (replay of a failure).</param>
public sealed record CampaignOptions(int Seed, int Sequences, int? Only, CampaignShape Shape)
{
    /// <summary>Writes per second of the independent writer (through the public name).</summary>
    public double WriteRate { get; init; } = 20;

    /// <summary>Longest wait for a run to finish, or for the system to come back, before it counts against an invariant.</summary>
    public TimeSpan SettleLimit { get; init; } = TimeSpan.FromSeconds(90);

    /// <summary>No sequence starts after this much time (a long run fitted to a session); null: no limit.</summary>
    public TimeSpan? TimeLimit { get; init; }

    /// <summary>Where the logs, status and runs of a sequence with a violation are kept; null to keep nothing.</summary>
    public string? EvidenceDirectory { get; init; }

    /// <summary>
    /// Run a second controller on this address beside the lab's (they share the lease: use
    /// <c>controller.lease: etcd</c>); controller faults then hit whichever holds the lease.
    /// </summary>
    public Uri? SecondControllerUrl { get; init; }
}

/// <summary>The lab cannot be brought to the baseline a sequence starts from: the campaign stops there.</summary>
public sealed class BaselineException(string message) : LabException(message);

/// <summary>What a runbook command run as a separate process answered.</summary>
public sealed record OperatorOutcome(int ExitCode, string Output);

/// <summary>
/// What the campaign needs from outside the lab: the runbook journal and the audit trail (the state
/// store), and the operator's commands (failback, resume, abandon), run as a separate process exactly
/// as an operator types them.
/// </summary>
public interface ICampaignOperator
{
    Task<IReadOnlyList<RunRecord>> RunsAsync(CancellationToken ct);
    Task<AuditVerification> VerifyAuditAsync(CancellationToken ct);
    /// <summary>The first controller decision since <paramref name="from"/> that a guard refused (e.g. the RPO guard), in its words; null if none.</summary>
    Task<string?> GuardRefusalSinceAsync(DateTimeOffset from, CancellationToken ct);
    Task<OperatorOutcome> RunAsync(IReadOnlyList<string> args, TimeSpan timeout, CancellationToken ct);
}
