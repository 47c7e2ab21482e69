using Regami.Dr.Core.Alarms;
using Regami.Dr.Core.Alerting;
using Regami.Dr.Core.Controller;
using Regami.Dr.Core.Notifications;
using Regami.Dr.Server.Notifications;

namespace Regami.Dr.Server.Controller;

/// <summary>The controller's alerts go through the notification dispatcher (escalation by severity, dedupe, repeats).</summary>
public sealed class DispatcherAlertSink(NotificationDispatcher dispatcher, TimeProvider time) : IAlertSink
{
    public async Task RaiseAsync(Severity severity, string key, string title, string body, CancellationToken ct) =>
        await dispatcher.RaiseAsync(new Alert(key, severity, title, body, time.GetUtcNow()), ct);

    public async Task ResolveAsync(string key, string note, CancellationToken ct)
    {
        // Resolving a key that was never raised is a no-op in the escalator.
        if (dispatcher.Open.Any(a => a.Key == key)) await dispatcher.ResolveAsync(key, time.GetUtcNow(), note, ct);
    }

    public async Task TickAsync(CancellationToken ct) => await dispatcher.TickAsync(ct);
}

/// <summary>
/// Feeds each tick's samples to the CloudWatch-style alarms; a transition to ALARM raises an
/// alert of the alarm's severity, a return to OK resolves it.
/// </summary>
public sealed class AlarmMetricSink(AlarmSet alarms, IAlertSink alerts, ControllerMetrics metrics) : IMetricSink
{
    public AlarmSet Alarms => alarms;

    public async Task RecordAsync(IReadOnlyList<(string Metric, double Value)> samples, DateTimeOffset at, CancellationToken ct)
    {
        foreach (var (metric, value) in samples) alarms.Record(new MetricSample(metric, at, value));
        foreach (var t in alarms.Evaluate(at))
        {
            var key = $"alarm:{t.Alarm}";
            if (t.To == AlarmState.Alarm)
                await alerts.RaiseAsync(t.Severity, key, $"ALARM {t.Alarm}: {t.Reason}", t.Reason, ct);
            else if (t.From == AlarmState.Alarm)
                await alerts.ResolveAsync(key, $"{t.Alarm} is {t.To}: {t.Reason}", ct);
        }
        foreach (var status in alarms.Current)
            foreach (var state in Enum.GetValues<AlarmState>())
                metrics.AlarmState.WithLabels(status.Name, state.ToString()).Set(status.State == state ? 1 : 0);
    }
}
