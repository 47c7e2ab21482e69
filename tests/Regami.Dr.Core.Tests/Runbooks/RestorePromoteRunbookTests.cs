using Regami.Dr.Core.Backups;
using Regami.Dr.Core.Runbooks;
using Regami.Dr.Core.Tests.Drills;

namespace Regami.Dr.Core.Tests.Runbooks;

public sealed class RestorePromoteRunbookTests
{
    private static RunbookCatalog Catalog(out FakeRegions regions)
    {
        regions = new FakeRegions(TimeProvider.System);
        var ports = new DrPorts(regions, regions, regions, regions, regions);
        return new RunbookCatalog(ports, new FailoverPolicy(), new NoBackups());
    }

    [Fact]
    public async Task Restored_in_the_primarys_region_it_fences_compute_and_database_but_keeps_the_region_routed()
    {
        var choice = await Catalog(out _).ChooseAsync(new RunbookAsk(RestorePromoteRunbook.Kind, FakeRegions.Home, Restored: "rescue"), default);
        Assert.Equal(
            ["check-restored", "fence-compute", "fence-database", "adopt-restored", "scale-compute", "assert-single-writer", "route-traffic", "verify-public-write", "rebuild-standby", "backup-after"],
            choice.Runbook!.Steps.Select(s => s.Name));
        Assert.Equal(new Dictionary<string, string> { ["name"] = "rescue", ["to"] = FakeRegions.Home, ["from"] = FakeRegions.Home, ["other"] = FakeRegions.Away }, choice.Runbook.Parameters);
    }

    [Fact]
    public async Task Restored_in_the_other_region_it_fences_the_old_primary_like_a_failover_and_recloned_it_last()
    {
        var catalog = Catalog(out _);
        var choice = await catalog.ChooseAsync(new RunbookAsk(RestorePromoteRunbook.Kind, FakeRegions.Away, Restored: "rescue"), default);
        var steps = choice.Runbook!.Steps;
        Assert.Equal(["check-restored", "fence-traffic", "fence-compute", "fence-database", "adopt-restored"], steps.Take(5).Select(s => s.Name));
        Assert.All(steps.Skip(1).Take(3), s => Assert.Equal(FakeRegions.Home, s.Region));
        Assert.Equal(FakeRegions.Home, steps[^2].Region); // the old primary, re-cloned as the standby
        // A journaled run is rebuilt from its parameters (resume).
        Assert.Equal(steps.Select(s => s.Name), catalog.Rebuild(RestorePromoteRunbook.Kind, choice.Runbook.Parameters).Steps.Select(s => s.Name));
    }

    [Fact]
    public void With_the_restore_first_the_whole_recovery_is_one_run_and_a_resume_continues_with_the_promotion()
    {
        var regions = new FakeRegions(TimeProvider.System);
        var ports = new DrPorts(regions, regions, regions, regions, regions);
        var at = new DateTimeOffset(2026, 11, 29, 3, 0, 0, TimeSpan.Zero);
        var backup = new BackupRecord
        {
            Id = "20261129-030000F", Kind = "full", Class = BackupClass.Daily, StartedAt = at, FinishedAt = at.AddMinutes(1), DatabaseBytes = 1,
            Copies = [new BackupCopy(FakeRegions.Home, "20261129-030000F", at.AddMinutes(1), 1)],
        };
        var plan = new RestorePlan("rescue", FakeRegions.Home, backup, backup.Copies[0], null);
        var run = RestorePromoteRunbook.BuildWithRestore(plan, stopWritesFirst: true, FakeRegions.Home, FakeRegions.Away, ports, new NoBackups(), new FailoverPolicy());
        Assert.Equal(RestorePromoteRunbook.Kind, run.Kind);
        Assert.Equal(["stop-writes", "restore-backup", "check-restored", "fence-compute", "fence-database", "adopt-restored"], run.Steps.Take(6).Select(s => s.Name));
        Assert.Equal("snapshot 20261129-030000F", run.Parameters["restore"]);
        Assert.Empty(run.Validate());
        var noStop = RestorePromoteRunbook.BuildWithRestore(plan, stopWritesFirst: false, FakeRegions.Home, FakeRegions.Away, ports, new NoBackups(), new FailoverPolicy());
        Assert.Equal("restore-backup", noStop.Steps[0].Name);
        // A resume rebuilds the promotion from the run's parameters: the restore done, the run goes on from check-restored.
        var rebuilt = new RunbookCatalog(ports, new FailoverPolicy(), new NoBackups()).Rebuild(RestorePromoteRunbook.Kind, run.Parameters);
        Assert.Equal(run.Steps.Skip(2).Select(s => s.Name), rebuilt.Steps.Select(s => s.Name));
    }

    [Fact]
    public async Task Without_a_backups_port_it_is_refused_plainly()
    {
        var regions = new FakeRegions(TimeProvider.System);
        var catalog = new RunbookCatalog(new DrPorts(regions, regions, regions, regions, regions), new FailoverPolicy());
        var e = await Assert.ThrowsAsync<RunbookRequestException>(() => catalog.ChooseAsync(new RunbookAsk(RestorePromoteRunbook.Kind, FakeRegions.Home, Restored: "x"), default));
        Assert.Contains("no backups", e.Message);
    }

    /// <summary>Choosing a runbook never calls the port; running one is proven on the lab (BackupTests).</summary>
    private sealed class NoBackups : IBackupPort
    {
        public string Engine => "none";
        private static Exception Unused() => new InvalidOperationException("not used when a runbook is chosen");
        public Task<BackupRecord> CreateAsync(BackupRequest request, Action<string> progress, CancellationToken ct) => throw Unused();
        public Task<IReadOnlyList<BackupRecord>> ListAsync(CancellationToken ct) => throw Unused();
        public Task<BackupRecord> CopyAsync(string id, string region, Action<string> progress, CancellationToken ct) => throw Unused();
        public Task<IReadOnlySet<string>> InUseAsync(CancellationToken ct) => throw Unused();
        public Task DeleteAsync(BackupRecord backup, CancellationToken ct) => throw Unused();
        public Task<BackupVerification> VerifyAsync(string id, Action<string> progress, CancellationToken ct) => throw Unused();
        public Task<RestoreTestResult> RestoreTestAsync(Action<string> progress, CancellationToken ct) => throw Unused();
        public Task<IReadOnlyList<RestoreTestResult>> RestoreTestsAsync(CancellationToken ct) => throw Unused();
        public Task<RecoveryWindow?> WindowAsync(CancellationToken ct) => throw Unused();
        public Task<RestoredInstance> RestoreAsync(RestorePlan plan, Action<string> progress, CancellationToken ct) => throw Unused();
        public Task<IReadOnlyList<RestoredInstance>> ListRestoresAsync(CancellationToken ct) => throw Unused();
        public Task<string> AdoptAsync(string name, string region, CancellationToken ct) => throw Unused();
        public Task<bool> DropRestoreAsync(string name, CancellationToken ct) => throw Unused();
    }
}
