namespace Regami.Dr.Core.Alerting;

/// <summary>
/// The DR plan's escalation levels: the one severity carried by alarms, controller alerts and
/// notifications alike. It lives apart from all three so none depends on another for it.
/// Lower numbers are more severe, so "escalates" means "the number goes down". The names
/// (Sev1..Sev3) are what users see in JSON and configuration; keep them.
/// </summary>
public enum Severity
{
    /// <summary>Complete outage, failover started, failover refused: every contact on every channel, repeated until acknowledged.</summary>
    Sev1 = 1,

    /// <summary>Degraded (replica lag alarm, standby down, one region unhealthy): chat and e-mail.</summary>
    Sev2 = 2,

    /// <summary>Potential issue: recorded and monitored, nobody is paged.</summary>
    Sev3 = 3,
}
