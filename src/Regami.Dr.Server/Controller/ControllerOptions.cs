using Regami.Dr.Core.Controller;
using Regami.Dr.Core.Ports;
using Regami.Dr.Store;

namespace Regami.Dr.Server.Controller;

/// <summary>The controller's settings; validated before it starts.</summary>
public sealed record ControllerOptions
{
    public required IReadOnlyList<string> Regions { get; init; }
    /// <summary>Time between two ticks (the policy's, bound from <c>controller.interval</c>).</summary>
    public TimeSpan Interval => Policy.Interval;
    public int FailureThreshold { get; init; } = 3;
    /// <summary>The configuration's <c>controller:</c> with its RPO guard from <c>rpoGuard:</c> (<c>DrConfiguration.Controller</c>), never built-in defaults.</summary>
    public required ControllerPolicy Policy { get; init; }
    /// <summary>Where the API, dashboard and /metrics listen (loopback by default).</summary>
    public Uri ListenUrl { get; init; } = new("http://127.0.0.1:7480/");
    public TimeSpan LeaseTtl { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>When the leader resumes an interrupted run on its own (<c>runbooks:</c>).</summary>
    public Regami.Dr.Core.Runbooks.RunbookPolicy Runbooks { get; init; } = new();
    /// <summary>Who this controller is, for the lease and the audit trail (see <see cref="OwnerFor"/>).</summary>
    public string Owner { get; init; } = OwnerFor(ProcessHostFacts.Current);

    /// <summary>
    /// The one formatting of a controller's owner string: <c>controller@host pid N</c>, or
    /// <c>name pid N</c> for a named controller. The pid makes two processes on one host two owners.
    /// </summary>
    public static string OwnerFor(IHostFacts host, string? name = null) =>
        $"{name ?? $"controller@{host.MachineName}"} pid {host.ProcessId}";
    /// <summary>File holding the bearer token of the mutating API calls (created 0600 at first start).</summary>
    public required string TokenFile { get; init; }

    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>(Policy.Validate());
        if (Regions.Count < 2) errors.Add("at least two regions");
        if (FailureThreshold is < 1 or > 10) errors.Add("failure threshold must be 1..10");
        if (LeaseTtl < Interval * 2) errors.Add("the lease TTL must be at least two intervals");
        return errors;
    }
}
