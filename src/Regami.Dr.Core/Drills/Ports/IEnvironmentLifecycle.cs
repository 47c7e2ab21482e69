namespace Regami.Dr.Core.Drills;

/// <summary>Whether the environment a drill runs on is up, as its lifecycle sees it.</summary>
/// <param name="IsUp">Everything recorded as running answers (the public name's DNS included).</param>
/// <param name="WasStopped">Nothing was recorded as running: a drill that brings it up also takes it down.</param>
/// <param name="ControllerRunning">The controller that fails over on its own is running.</param>
public sealed record EnvironmentState(bool IsUp, bool WasStopped, bool ControllerRunning);

/// <summary>Whether bringing the environment up must start the controller.</summary>
public enum ControllerRequirement
{
    /// <summary>As the configuration says (a planned scenario needs no controller).</summary>
    AsConfigured,

    /// <summary>An unplanned scenario: nobody but the controller will fail over.</summary>
    Required,
}

/// <summary>Brings the environment a drill runs on up and down (lab: <c>LabSupervisor</c>).</summary>
public interface IEnvironmentLifecycle
{
    Task<EnvironmentState> ProbeAsync(CancellationToken ct);

    /// <summary>Starts whatever is missing, each in its recorded role; says what it does through <paramref name="report"/>.</summary>
    Task EnsureUpAsync(ControllerRequirement controller, Action<string>? report, CancellationToken ct);

    /// <summary>Stops everything, keeping the data.</summary>
    Task DownAsync(CancellationToken ct);
}
