using Prometheus;

namespace Regami.Dr.Server.Controller;

/// <summary>The controller's Prometheus metrics, in its own registry (no process-wide static state).</summary>
public sealed class ControllerMetrics
{
    public CollectorRegistry Registry { get; } = Metrics.NewCustomRegistry();
    public Gauge RegionHealthy { get; }
    public Gauge DatabaseWritable { get; }
    public Gauge LagSeconds { get; }
    public Gauge LagBytes { get; }
    public Gauge AlarmState { get; }
    public Counter Failovers { get; }
    public Gauge LastFailoverDuration { get; }
    public Gauge RunbookStepDuration { get; }
    public Counter Ticks { get; }
    public Counter Prewarms { get; }
    public Counter TickErrors { get; }
    public Gauge TickDuration { get; }
    public Gauge LeaseHeld { get; }
    public Gauge BackupNewestAge { get; }
    public Gauge BackupCopies { get; }
    public Gauge RecoveryWindow { get; }
    public Gauge RestoreTestLastSuccess { get; }
    public Gauge RestoreTestPassed { get; }

    public ControllerMetrics()
    {
        var f = Metrics.WithCustomRegistry(Registry);
        RegionHealthy = f.CreateGauge("regami_region_healthy", "1 when the region passes its health checks (thresholds applied)", "region");
        DatabaseWritable = f.CreateGauge("regami_database_writable", "1 when the region's database accepts writes", "region");
        LagSeconds = f.CreateGauge("regami_replication_lag_seconds", "Replica lag in seconds (0 when caught up)");
        LagBytes = f.CreateGauge("regami_replication_lag_bytes", "Replica lag in bytes of WAL");
        AlarmState = f.CreateGauge("regami_alarm_state", "1 for the alarm's current state", "alarm", "state");
        Failovers = f.CreateCounter("regami_failovers_total", "Automatic and API-triggered failovers by result", "result");
        LastFailoverDuration = f.CreateGauge("regami_last_failover_duration_seconds", "Duration of the last failover runbook");
        RunbookStepDuration = f.CreateGauge("regami_runbook_step_duration_seconds", "Duration of each step of the last run of a runbook", "runbook", "step");
        Ticks = f.CreateCounter("regami_controller_ticks_total", "Decision loop ticks");
        Prewarms = f.CreateCounter("regami_controller_prewarms_total", "Standby compute pre-warms at a suspect primary, by outcome (started, scaled-back, adopted by a failover)", "outcome");
        TickErrors = f.CreateCounter("regami_controller_tick_errors_total", "Ticks that failed with an exception");
        TickDuration = f.CreateGauge("regami_controller_tick_duration_seconds", "Duration of the last tick");
        LeaseHeld = f.CreateGauge("regami_controller_lease_held", "1 when this controller holds the leader lease");
        BackupNewestAge = f.CreateGauge("regami_backup_newest_age_seconds", "Age of the newest usable backup of each class", "class");
        BackupCopies = f.CreateGauge("regami_backup_copies", "Usable backups with a copy in the region's repository", "region");
        RecoveryWindow = f.CreateGauge("regami_backup_recovery_window_seconds", "Length of the point-in-time recoverable window (oldest backup to newest archived WAL)");
        RestoreTestLastSuccess = f.CreateGauge("regami_restore_test_last_success_timestamp_seconds", "Unix time of the last passing restore test (0: never)");
        RestoreTestPassed = f.CreateGauge("regami_restore_test_passed", "1 when the last restore test passed");
        Failovers.WithLabels("succeeded");
        Failovers.WithLabels("failed");
    }
}
