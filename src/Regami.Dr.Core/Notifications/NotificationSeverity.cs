namespace Regami.Dr.Core.Notifications;

/// <summary>
/// The DR plan's escalation levels. Lower numbers are more severe, so "escalates" means
/// "the number goes down".
/// </summary>
public enum NotificationSeverity
{
    /// <summary>Complete outage, failover started, failover refused: every contact on every channel, repeated until acknowledged.</summary>
    Sev1 = 1,

    /// <summary>Degraded (replica lag alarm, standby down, one region unhealthy): chat and e-mail.</summary>
    Sev2 = 2,

    /// <summary>Potential issue: recorded and monitored, nobody is paged.</summary>
    Sev3 = 3,
}
