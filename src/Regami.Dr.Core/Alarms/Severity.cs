namespace Regami.Dr.Core.Alarms;

/// <summary>The plan's escalation levels, carried by every alarm and every transition.</summary>
public enum Severity
{
    /// <summary>Outage: page everyone.</summary>
    Sev1 = 1,

    /// <summary>Degraded: chat and email.</summary>
    Sev2 = 2,

    /// <summary>Potential problem: record and monitor.</summary>
    Sev3 = 3,
}
