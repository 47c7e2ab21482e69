using Regami.Dr.Core.Alerting;

namespace Regami.Dr.Core.Alarms;

/// <summary>
/// An alarm changed state: what the caller acts on (escalate at <see cref="Severity"/>, record in the audit
/// trail, show on the dashboard). Like CloudWatch, an alarm acts only on changes, never merely for being in a state.
/// </summary>
/// <param name="Alarm">The alarm's name.</param>
/// <param name="From">The state before.</param>
/// <param name="To">The state now.</param>
/// <param name="Severity">The alarm's severity, whatever the direction of the change.</param>
/// <param name="Reason">The evaluation's sentence saying why.</param>
/// <param name="At">The evaluation time at which the state changed.</param>
public sealed record AlarmTransition(string Alarm, AlarmState From, AlarmState To, Severity Severity, string Reason, DateTimeOffset At);
