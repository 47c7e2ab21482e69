using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Regami.Dr.Core.Alerting;
using Regami.Dr.Core.Backups;
using Regami.Dr.Core.Tests.Runbooks;
using Regami.Dr.Server.Backups;
using Regami.Dr.Server.Controller;

namespace Regami.Dr.Core.Tests.Backups;

/// <summary>The controller's backup schedules with fake time and a scripted port (the unit-test seam; the engine is proven on the lab).</summary>
public sealed class BackupSchedulerTests
{
    private static DateTimeOffset Utc(string iso) => DateTimeOffset.Parse(iso + "Z", null, System.Globalization.DateTimeStyles.AdjustToUniversal);

    private sealed class ScriptedPort(FakeTimeProvider time) : IBackupPort
    {
        public List<BackupRecord> Backups { get; } = [];
        public List<BackupRequest> Requests { get; } = [];
        public List<RestoreTestResult> Tests { get; } = [];
        public List<string> Deleted { get; } = [];
        public bool RestoreTestPasses { get; set; } = true;
        public int Running, MaxRunning;
        public string Engine => "scripted";

        public async Task<BackupRecord> CreateAsync(BackupRequest request, Action<string> progress, CancellationToken ct)
        {
            MaxRunning = Math.Max(MaxRunning, Interlocked.Increment(ref Running));
            await Task.Yield();
            Requests.Add(request);
            var at = time.GetUtcNow();
            var b = new BackupRecord
            {
                Id = $"b{Backups.Count + 1}", Kind = request.Differential ? "diff" : "full", Class = request.Class, Reason = request.Reason,
                StartedAt = at, FinishedAt = at, DatabaseBytes = 1, Copies = [new BackupCopy("eu-west-3", $"b{Backups.Count + 1}", at, 1)],
            };
            Backups.Add(b);
            Interlocked.Decrement(ref Running);
            return b;
        }

        public Task<IReadOnlyList<BackupRecord>> ListAsync(CancellationToken ct) => Task.FromResult<IReadOnlyList<BackupRecord>>(Backups.ToList());
        public Task<BackupRecord> CopyAsync(string id, string region, Action<string> progress, CancellationToken ct) => throw new NotSupportedException();
        public Task<IReadOnlySet<string>> InUseAsync(CancellationToken ct) => Task.FromResult<IReadOnlySet<string>>(new HashSet<string>());
        public Task DeleteAsync(BackupRecord backup, CancellationToken ct) { Deleted.Add(backup.Id); Backups.Remove(backup); return Task.CompletedTask; }
        public Task<BackupVerification> VerifyAsync(string id, Action<string> progress, CancellationToken ct) => throw new NotSupportedException();

        public Task<RestoreTestResult> RestoreTestAsync(Action<string> progress, CancellationToken ct)
        {
            var proof = new RestoreProof(RestoreTestPasses, 1, 10, "x", RestoreTestPasses ? null : "the restored instance stopped during recovery");
            var r = new RestoreTestResult { At = time.GetUtcNow(), BackupId = "b1", Snapshot = proof, PointInTime = time.GetUtcNow(), PointInTimeRestore = proof };
            Tests.Add(r);
            return Task.FromResult(r);
        }

        public Task<IReadOnlyList<RestoreTestResult>> RestoreTestsAsync(CancellationToken ct) => Task.FromResult<IReadOnlyList<RestoreTestResult>>(Tests.ToList());
        public Task<RecoveryWindow?> WindowAsync(CancellationToken ct) => Task.FromResult<RecoveryWindow?>(null);
        public Task<RestoredInstance> RestoreAsync(RestorePlan plan, Action<string> progress, CancellationToken ct) => throw new NotSupportedException();
        public Task<IReadOnlyList<RestoredInstance>> ListRestoresAsync(CancellationToken ct) => Task.FromResult<IReadOnlyList<RestoredInstance>>([]);
        public Task<bool> DropRestoreAsync(string name, CancellationToken ct) => throw new NotSupportedException();
        public Task<string> AdoptAsync(string name, string region, CancellationToken ct) => throw new NotSupportedException();
    }

    private sealed class Alerts : IAlertSink
    {
        public List<(Severity Severity, string Key, string Title, string Body)> Raised { get; } = [];
        public List<string> Resolved { get; } = [];
        public Task RaiseAsync(Severity severity, string key, string title, string body, CancellationToken ct) { Raised.Add((severity, key, title, body)); return Task.CompletedTask; }
        public Task ResolveAsync(string key, string note, CancellationToken ct) { Resolved.Add(key); return Task.CompletedTask; }
        public Task TickAsync(CancellationToken ct) => Task.CompletedTask;
    }

    private static (BackupScheduler Scheduler, ScriptedPort Port, Alerts Alerts, InMemoryAudit Audit, FakeTimeProvider Time) Make(DateTimeOffset start, bool leader = true)
    {
        var time = new FakeTimeProvider(start);
        var port = new ScriptedPort(time);
        var alerts = new Alerts();
        var audit = new InMemoryAudit();
        var scheduler = new BackupScheduler(port, new BackupConfig(), alerts, audit, time, NullLogger.Instance, () => leader, ["eu-west-3", "eu-central-1"]);
        return (scheduler, port, alerts, audit, time);
    }

    [Fact]
    public async Task The_daily_backup_runs_at_three_utc_once_then_prunes()
    {
        var (s, port, _, audit, time) = Make(Utc("2026-11-29T02:58:00"));
        await s.StartAsync(time.GetUtcNow(), default);
        // A daily backup of 1 November (added after the start, so no missed run is made of it): expired once a newer daily exists.
        port.Backups.Add(new BackupRecord { Id = "expired", Kind = "full", Class = BackupClass.Daily, StartedAt = Utc("2026-11-01T03:00:00"), FinishedAt = Utc("2026-11-01T03:01:00"), DatabaseBytes = 1, Copies = [] });
        time.Advance(TimeSpan.FromMinutes(1));
        await s.CheckAsync(Utc("2026-11-29T02:58:00"), default);
        Assert.Empty(port.Requests);
        time.Advance(TimeSpan.FromMinutes(1.5)); // 03:00:30
        await s.CheckAsync(Utc("2026-11-29T02:58:00"), default);
        var r = Assert.Single(port.Requests);
        Assert.Equal((BackupClass.Daily, "scheduled", false), (r.Class, r.Reason, r.Differential)); // no full this week yet: a full
        time.Advance(TimeSpan.FromSeconds(30));
        await s.CheckAsync(Utc("2026-11-29T02:58:00"), default);
        Assert.Single(port.Requests); // once per occurrence
        Assert.Contains(audit.Events, e => e.Entry.Action == "backup.create" && e.Entry.Outcome == "succeeded");
        Assert.Equal(["expired"], port.Deleted);
        Assert.Contains(audit.Events, e => e.Entry.Action == "backup.delete" && e.Entry.Details!.StartsWith("expired"));

        // The next day's is a differential on this week's full (the Sunday compliance backup due in between is a full).
        time.Advance(TimeSpan.FromDays(1));
        await s.CheckAsync(Utc("2026-11-29T02:58:00"), default);
        Assert.Equal([(BackupClass.Daily, false), (BackupClass.Daily, true), (BackupClass.Compliance, false)], port.Requests.Select(r => (r.Class, r.Differential)));
    }

    [Fact]
    public async Task A_follower_runs_nothing()
    {
        var (s, port, _, _, time) = Make(Utc("2026-11-29T02:59:00"), leader: false);
        await s.StartAsync(time.GetUtcNow(), default);
        time.Advance(TimeSpan.FromMinutes(2));
        await s.CheckAsync(Utc("2026-11-29T02:59:00"), default);
        Assert.Empty(port.Requests);
    }

    [Fact]
    public async Task Jobs_due_together_run_one_after_the_other()
    {
        // 1 December 2026 is a Tuesday: the daily (03:00) and the monthly (04:00) are both due when a check comes at 04:00:30 after a long pause.
        var (s, port, _, _, time) = Make(Utc("2026-12-01T02:00:00"));
        await s.StartAsync(time.GetUtcNow(), default);
        time.Advance(TimeSpan.FromHours(2.01));
        await s.CheckAsync(Utc("2026-12-01T02:00:00"), default);
        Assert.Equal([BackupClass.Daily, BackupClass.Monthly], port.Requests.Select(r => r.Class));
        Assert.Equal(1, port.MaxRunning);
    }

    [Fact]
    public async Task A_run_missed_while_no_controller_ran_is_reported_and_run_once_at_the_first_check()
    {
        var (s, port, _, audit, time) = Make(Utc("2026-11-29T10:00:00"));
        // The last daily backup is from the 27th: the 28th's and the 29th's were missed (one catch-up run), and
        // Sunday the 29th's compliance backup too.
        port.Backups.Add(new BackupRecord { Id = "old", Kind = "full", Class = BackupClass.Daily, StartedAt = Utc("2026-11-27T03:00:00"), FinishedAt = Utc("2026-11-27T03:01:00"), DatabaseBytes = 1, Copies = [] });
        await s.StartAsync(time.GetUtcNow(), default);
        Assert.Equal([("daily", Utc("2026-11-29T03:00:00")), ("compliance", Utc("2026-11-29T03:30:00"))], s.MissedAtStart.Select(m => (m.Job, m.Due)));
        Assert.Equal(2, audit.Events.Count(e => e.Entry.Action == "backup.missed"));
        time.Advance(TimeSpan.FromSeconds(30));
        await s.CheckAsync(Utc("2026-11-29T10:00:00"), default);
        Assert.Equal([BackupClass.Daily, BackupClass.Compliance], port.Requests.Select(r => r.Class));
        Assert.Contains("missed run of 2026-11-29 03:00Z", port.Requests[0].Reason);
        time.Advance(TimeSpan.FromSeconds(30));
        await s.CheckAsync(Utc("2026-11-29T10:00:00"), default);
        Assert.Equal(2, port.Requests.Count); // once
    }

    [Fact]
    public async Task A_failing_restore_test_raises_a_sev2_and_a_passing_one_resolves_it()
    {
        var (s, port, alerts, _, time) = Make(Utc("2026-11-30T04:59:00")); // Monday
        await s.StartAsync(time.GetUtcNow(), default);
        port.RestoreTestPasses = false;
        time.Advance(TimeSpan.FromMinutes(1.5));
        await s.CheckAsync(Utc("2026-11-30T04:59:00"), default);
        var alert = Assert.Single(alerts.Raised);
        Assert.Equal((Severity.Sev2, BackupScheduler.RestoreTestAlertKey), (alert.Severity, alert.Key));
        Assert.Contains("stopped during recovery", alert.Body);

        port.RestoreTestPasses = true;
        time.Advance(TimeSpan.FromDays(7));
        await s.CheckAsync(Utc("2026-11-30T04:59:00"), default);
        Assert.Contains(BackupScheduler.RestoreTestAlertKey, alerts.Resolved);
    }

    [Fact]
    public async Task A_restore_test_older_than_its_period_raises_a_sev2()
    {
        var (s, port, alerts, _, time) = Make(Utc("2026-11-29T12:00:00"), leader: true);
        port.Tests.Add(new RestoreTestResult { At = Utc("2026-11-10T05:00:00"), BackupId = "x", Snapshot = new RestoreProof(true, 1, 1, "x", null), PointInTime = Utc("2026-11-10T05:00:00"), PointInTimeRestore = new RestoreProof(true, 1, 1, "x", null) });
        // The schedule is switched off in between (a broken cron is refused by the configuration; "" is the way): only freshness counts here.
        await s.StartAsync(time.GetUtcNow(), default);
        time.Advance(TimeSpan.FromSeconds(30));
        await s.CheckAsync(Utc("2026-11-29T12:00:00"), default);
        Assert.Contains(alerts.Raised, a => a.Severity == Severity.Sev2 && a.Title == "Restore test overdue" && a.Body.Contains("2026-11-10 05:00Z"));
    }

    [Fact]
    public void Due_takes_each_job_once_at_its_latest_occurrence_in_the_interval()
    {
        var due = BackupScheduler.Due(new BackupScheduleConfig(), Utc("2026-11-27T00:00:00"), Utc("2026-11-29T03:00:00"));
        var daily = Assert.Single(due, d => d.Job == "daily");
        Assert.Equal(Utc("2026-11-29T03:00:00"), daily.DueAt);
        Assert.Equal(TimeSpan.FromDays(7), BackupScheduler.Period("0 5 * * 1", Utc("2026-11-29T12:00:00")));
    }
}
