using Microsoft.Extensions.Logging;
using Regami.Dr.Core.Alerting;
using Regami.Dr.Core.Audit;
using Regami.Dr.Core.Backups;
using Regami.Dr.Server.Controller;

namespace Regami.Dr.Server.Backups;

/// <summary>What the scheduler decided to do at one check, and why (pure: <see cref="BackupScheduler.Due"/>).</summary>
public sealed record ScheduledJob(string Job, DateTimeOffset DueAt, bool CatchUp);

/// <summary>
/// The controller's backup schedules: at each check, the jobs whose cron time has come run one
/// after the other (never two backups at once), on the leader only. A daily, compliance or monthly
/// backup is followed by a prune (the retention policy); the restore test raises a Sev2 alert when it
/// fails and when the last passing one is older than its period. A run missed while no controller
/// ran (its due time passed without a run of its job) is reported and run once at start.
/// </summary>
public sealed class BackupScheduler(IBackupPort port, BackupConfig config, IAlertSink alerts, IAuditLog audit, TimeProvider time, ILogger logger,
    Func<bool> isLeader, IReadOnlyList<string> regions, ControllerMetrics? metrics = null, TimeSpan? checkEvery = null)
{
    public const string RestoreTestAlertKey = "restore-test";
    public const string Actor = "controller";
    private readonly TimeSpan checkEvery = checkEvery ?? TimeSpan.FromSeconds(30);
    private readonly SemaphoreSlim oneAtATime = new(1, 1);
    private DateTimeOffset? lastCheck;
    private readonly List<ScheduledJob> pendingCatchUps = [];

    /// <summary>The scheduler's view for status and /metrics: the latest restore test and the runs missed at start.</summary>
    public IReadOnlyList<MissedRun> MissedAtStart { get; private set; } = [];

    /// <summary>
    /// The jobs due in (<paramref name="from"/>, <paramref name="to"/>]: each job at most once,
    /// at its latest occurrence in the interval. Pure.
    /// </summary>
    public static IReadOnlyList<ScheduledJob> Due(BackupScheduleConfig schedules, DateTimeOffset from, DateTimeOffset to)
    {
        var due = new List<ScheduledJob>();
        foreach (var (job, _, cron) in schedules.Jobs)
            if (BackupSchedules.Previous(cron, to) is { } at && at > from) due.Add(new ScheduledJob(job, at, CatchUp: false));
        return due;
    }

    /// <summary>The interval between two runs of a schedule around <paramref name="at"/> (a weekly restore test: 7 days).</summary>
    public static TimeSpan? Period(string cron, DateTimeOffset at)
    {
        if (!BackupSchedules.TryParse(cron, out var e) || BackupSchedules.Previous(cron, at) is not { } prev) return null;
        return e!.GetNextOccurrence(prev.UtcDateTime, TimeZoneInfo.Utc) is { } next ? next - prev.UtcDateTime : null;
    }

    public async Task RunAsync(CancellationToken ct)
    {
        var started = time.GetUtcNow();
        await StartAsync(started, ct);
        try
        {
            while (!ct.IsCancellationRequested)
            {
                await Task.Delay(checkEvery, time, ct);
                await CheckAsync(started, ct);
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested) { }
    }

    /// <summary>At start: find the runs missed while no controller ran (they run at the first check as leader).</summary>
    public async Task StartAsync(DateTimeOffset started, CancellationToken ct)
    {
        try
        {
            await CatchUpAsync(started, ct);
            lastCheck = started;
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested) { }
    }

    /// <summary>One check: run what is due (leader only), then judge the restore test's freshness.</summary>
    public async Task CheckAsync(DateTimeOffset started, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        var from = lastCheck ?? started;
        lastCheck = now;
        if (isLeader())
        {
            // Missed runs found at start run once, as soon as this controller leads.
            var catchUps = pendingCatchUps.ToList();
            pendingCatchUps.Clear();
            foreach (var job in catchUps) await RunJobAsync(job, ct);
            foreach (var job in Due(config.Schedules, from, now)) await RunJobAsync(job, ct);
            await CheckRestoreTestFreshAsync(started, now, ct);
        }
        await PublishAsync(ct);
    }

    /// <summary>Backup gauges for /metrics (every instance publishes them, leader or not).</summary>
    private async Task PublishAsync(CancellationToken ct)
    {
        if (metrics is null) return;
        try
        {
            var s = BackupStatus.From(port.Engine, await port.ListAsync(ct), await port.WindowAsync(ct), await port.RestoreTestsAsync(ct), regions, time.GetUtcNow());
            foreach (var n in s.Newest) metrics.BackupNewestAge.WithLabels(n.Class.Name()).Set(n.AgeSeconds);
            foreach (var (region, count) in s.CopiesPerRegion) metrics.BackupCopies.WithLabels(region).Set(count);
            metrics.RecoveryWindow.Set(s.RecoveryWindow is { } w ? (w.Newest - w.Oldest).TotalSeconds : 0);
            metrics.RestoreTestLastSuccess.Set(s.LastPassingRestoreTest?.ToUnixTimeSeconds() ?? 0);
            metrics.RestoreTestPassed.Set(s.LastRestoreTest is { Passed: true } ? 1 : 0);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            logger.LogWarning("backup metrics: {Error}", e.Message);
        }
    }

    private async Task CatchUpAsync(DateTimeOffset now, CancellationToken ct)
    {
        IReadOnlyList<BackupRecord> backups;
        try { backups = await port.ListAsync(ct); }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            logger.LogWarning("backup schedules: cannot list backups at start ({Error}); missed runs are not known", e.Message);
            return;
        }
        if (backups.Count == 0) return; // nothing was ever scheduled here: no run can have been missed
        var lastRuns = backups.GroupBy(b => b.Class.Name()).ToDictionary(g => g.Key, g => g.Max(b => b.StartedAt));
        if ((await port.RestoreTestsAsync(ct)).LastOrDefault() is { } lastTest) lastRuns["restore-test"] = lastTest.At;
        MissedAtStart = BackupSchedules.Missed(config.Schedules, now, backups.Min(b => b.StartedAt), lastRuns, TimeSpan.FromHours(1));
        foreach (var m in MissedAtStart)
        {
            logger.LogWarning("backup schedules: the {Job} run due {Due:O} was missed (last run {Last}); it runs once this controller leads", m.Job, m.Due, m.LastRun?.ToString("O") ?? "never");
            await audit.AppendAsync(new AuditEntry(now, Actor, "monitor", null, "backup.missed", AuditOutcome.Info, $"{m.Job} due {m.Due:O}, last run {m.LastRun?.ToString("O") ?? "never"}: run at start"), ct);
            pendingCatchUps.Add(new ScheduledJob(m.Job, m.Due, CatchUp: true));
        }
    }

    private async Task RunJobAsync(ScheduledJob job, CancellationToken ct)
    {
        await oneAtATime.WaitAsync(ct);
        try
        {
            if (job.Job == "restore-test") await RestoreTestAsync(ct);
            else await BackupAsync(job, ct);
        }
        finally { oneAtATime.Release(); }
    }

    private async Task BackupAsync(ScheduledJob job, CancellationToken ct)
    {
        if (!BackupClasses.TryParse(job.Job, out var cls)) return;
        var reason = job.CatchUp ? $"scheduled (missed run of {job.DueAt:yyyy-MM-dd HH:mm}Z)" : "scheduled";
        try
        {
            var existing = await port.ListAsync(ct);
            // A daily backup is a differential when a full of this week exists (pgBackRest's usual rhythm); the others are full.
            var differential = cls == BackupClass.Daily && existing.Any(b => b.Kind == "full" && b.FinishedAt > time.GetUtcNow().AddDays(-7));
            var record = await port.CreateAsync(new BackupRequest(cls, reason, differential), msg => logger.LogInformation("backup {Job}: {Message}", job.Job, msg), ct);
            await audit.AppendAsync(new AuditEntry(time.GetUtcNow(), Actor, "monitor", null, "backup.create", AuditOutcome.Succeeded,
                $"{record.Id} ({cls.Name()}, {reason}) copies: {string.Join(", ", record.Regions)}"), ct);
            await alerts.ResolveAsync($"backup-{job.Job}", $"backup {record.Id} taken", ct);
            await PruneAsync(ct);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            logger.LogError("backup {Job} failed: {Error}", job.Job, e.Message);
            await audit.AppendAsync(new AuditEntry(time.GetUtcNow(), Actor, "monitor", null, "backup.create", AuditOutcome.Failed, $"{job.Job}: {e.Message}"), ct);
            await alerts.RaiseAsync(Severity.Sev2, $"backup-{job.Job}", $"Scheduled {job.Job} backup failed", e.Message, ct);
        }
    }

    private async Task PruneAsync(CancellationToken ct)
    {
        var plan = RetentionPolicy.Plan(await port.ListAsync(ct), time.GetUtcNow(), config.Rules, await port.InUseAsync(ct));
        foreach (var item in plan.Items.Where(i => i.Delete))
        {
            await port.DeleteAsync(item.Backup, ct);
            await audit.AppendAsync(new AuditEntry(time.GetUtcNow(), Actor, "monitor", null, "backup.delete", AuditOutcome.Succeeded, $"{item.Backup.Id}: {item.Reason}"), ct);
        }
    }

    private async Task RestoreTestAsync(CancellationToken ct)
    {
        RestoreTestResult result;
        try { result = await port.RestoreTestAsync(msg => logger.LogInformation("restore test: {Message}", msg), ct); }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            result = new RestoreTestResult { At = time.GetUtcNow(), Error = e.Message };
        }
        await audit.AppendAsync(new AuditEntry(time.GetUtcNow(), Actor, "monitor", null, "backup.restore-test",
            result.Passed ? AuditOutcome.Succeeded : AuditOutcome.Failed, result.Summary), ct);
        if (result.Passed) await alerts.ResolveAsync(RestoreTestAlertKey, result.Summary, ct);
        else await alerts.RaiseAsync(Severity.Sev2, RestoreTestAlertKey, "Restore test failed", result.Summary, ct);
    }

    /// <summary>Sev2 when the last passing restore test is older than the restore test's period (plus an hour's grace).</summary>
    private async Task CheckRestoreTestFreshAsync(DateTimeOffset started, DateTimeOffset now, CancellationToken ct)
    {
        if (Period(config.Schedules.RestoreTest, now) is not { } period) return;
        var lastPass = (await port.RestoreTestsAsync(ct)).LastOrDefault(t => t.Passed)?.At;
        var reference = lastPass ?? started; // a controller that just started has had no chance yet
        if (now - reference <= period + TimeSpan.FromHours(1)) return;
        await alerts.RaiseAsync(Severity.Sev2, RestoreTestAlertKey, "Restore test overdue",
            $"the last passing restore test was {(lastPass is { } l ? $"at {l:yyyy-MM-dd HH:mm}Z" : "never")}; its schedule ({config.Schedules.RestoreTest}) runs every {period.TotalDays:0.#} days", ct);
    }
}
