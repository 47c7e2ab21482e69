using Regami.Dr.Core.Alerting;
using Regami.Dr.Core.Controller;

namespace Regami.Dr.Server.Controller;

/// <summary>Where the controller's alerts go (the notification dispatcher with its escalation policy).</summary>
public interface IAlertSink
{
    Task RaiseAsync(Severity severity, string key, string title, string body, CancellationToken ct);
    Task ResolveAsync(string key, string note, CancellationToken ct);
    /// <summary>Called every tick: repeats of unacknowledged alerts.</summary>
    Task TickAsync(CancellationToken ct);
}

/// <summary>Metric samples of each tick, for the alarms.</summary>
public interface IMetricSink
{
    Task RecordAsync(IReadOnlyList<(string Metric, double Value)> samples, DateTimeOffset at, CancellationToken ct);
}
