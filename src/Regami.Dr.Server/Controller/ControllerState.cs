using Regami.Dr.Core.Controller;

namespace Regami.Dr.Server.Controller;

/// <summary>What the controller shows through its API and dashboard: the last observation and decision.</summary>
public sealed class ControllerState
{
    private readonly object gate = new();
    private ControllerSnapshot snapshot = new(null, null, null, 0, 0, null);

    public ControllerSnapshot Current { get { lock (gate) return snapshot; } }

    public void Update(Func<ControllerSnapshot, ControllerSnapshot> change)
    {
        lock (gate) snapshot = change(snapshot);
    }
}

public sealed record ControllerSnapshot(
    ControllerObservation? Observation,
    Decision? Decision,
    DateTimeOffset? LastTickAt,
    long Ticks,
    long TickErrors,
    string? LastError,
    DateTimeOffset? LastFailoverAt = null,
    string? LastFailoverRun = null,
    string? RunningFailover = null);
