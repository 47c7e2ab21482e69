using Regami.Dr.Core.Backups;
using Regami.Dr.Core.Runbooks;
using Regami.Dr.Core.Runbooks.Journal;
using Regami.Dr.Core.Topology;

namespace Regami.Dr.Core.Drills;

// The restore scenarios (corruption, accidental-delete, provider-outage): data is destroyed, not a server,
// so no failover helps — the standby replays the damage. The drill recovers from the backups the way the
// runbook in docs/backups.md tells the on-call human to, and measures it against the workload's writes.
public sealed partial class DrillConductor
{
    /// <summary>How long before the delete a row must have been acknowledged to be deleted: its commit is safely older than the delete.</summary>
    private static readonly TimeSpan DeleteAge = TimeSpan.FromSeconds(1);

    /// <summary>A write answered this long before the newest one found may still have committed after it (concurrent requests).</summary>
    private static readonly TimeSpan CommitOrderMargin = TimeSpan.FromSeconds(1);

    private async Task<DrillReport> RunRestoreAsync(DrillRequest request, DateTimeOffset startedAt, CancellationToken ct)
    {
        var scenario = request.Scenario;
        var backups = ports.Backups ?? throw new DrillRefusedException($"this provider has no backups, so the {scenario.Name} drill cannot run");
        var loss = ports.DataLoss ?? throw new DrillRefusedException($"this provider cannot destroy data on purpose, so the {scenario.Name} drill cannot run");
        var kind = scenario.DataLoss ?? throw new InvalidOperationException($"scenario {scenario.Name} has no data-loss fault");
        var promote = kind != DataLossKind.DeleteRecords || request.PromoteRestored;

        var before = await PreflightAsync(ct);
        var home = before.PrimaryRegion!;
        var standby = before.Replication.ReplicaRegion
            ?? throw new DrillRefusedException("no standby region is recorded; a restore drill rebuilds the standby and needs one");
        Mark($"preflight: {home} primary and healthy, {standby} streaming, DNS answers {before.Traffic.ActiveRegion}");
        using var run = await StartWorkloadAsync(request, home, ct);
        var workload = run.Workload;
        var firstSeq = run.FirstSeq;

        await PrepareBackupAsync(kind, backups, standby, ct);
        // Writes after the backup: the data the scenario puts at risk.
        await WaitForAcknowledgedAsync(workload, Math.Max(timings.MinimumWrites, request.Rate), timings.WorkloadAcknowledged, "writes after the backup", ct);

        // The fault.
        SeqRange? deleted = null;
        DataLossResult lost;
        switch (kind)
        {
            case DataLossKind.DropRecords:
                lost = await loss.DropRecordsAsync(home, ct);
                break;
            case DataLossKind.DeleteRecords:
                var old = time.GetUtcNow() - DeleteAge;
                var last = workload.Attempts().Where(a => a.IsAcknowledged && a.AnsweredAt < old).Select(a => a.Seq).DefaultIfEmpty(firstSeq).Max();
                deleted = new SeqRange(firstSeq, last);
                lost = await loss.DeleteRecordsAsync(home, deleted, ct);
                break;
            default:
                lost = await loss.LoseProviderAsync(home, ct);
                break;
        }
        var faultAt = lost.At;
        Mark($"data destroyed: {string.Join("; ", lost.Actions)}");
        var ackedBefore = workload.Attempts().Where(a => a.IsAcknowledged && a.SentAt < faultAt).Select(a => a.Seq).ToList();

        // Detection: the ground truth, as the alarm on the row count (or on the dead databases) would see it.
        var detail = await DetectAsync(home, new SeqRange(firstSeq, ackedBefore.DefaultIfEmpty(firstSeq).Max()), ackedBefore, ct);
        var detected = time.GetUtcNow();
        Mark($"detected: {detail}");
        var marks = new DrillMarks(faultAt) { Detected = detected, Decided = detected };

        // The restore, into a new instance beside the damaged primary (the running primary is never overwritten).
        var name = $"drill-{scenario.Name}-{time.GetUtcNow():MMddHHmmss}";
        var regions = (await ports.Recovery.Topology.GetAsync(ct)).Regions;
        var existing = (await backups.ListRestoresAsync(ct)).Select(r => r.Name).ToList();
        var all = await backups.ListAsync(ct);
        var requestRestore = kind switch
        {
            DataLossKind.DropRecords => new RestoreRequest(name, all.MaxBy(b => b.FinishedAt)!.Id, null, home),
            DataLossKind.DeleteRecords => new RestoreRequest(name, null, faultAt, home),
            _ => new RestoreRequest(name, null, null, home, Latest: true),
        };
        var plan = RestorePlanner.Plan(requestRestore, all, await backups.WindowAsync(ct), time.GetUtcNow(), existing, regions, home);

        long? copied = null;
        if (promote)
        {
            // One run from the restore to the rebuilt standby, so the controller waits for it instead of failing over.
            // Corruption stops the writes first (the application would write into the re-created empty table).
            var recovery = await RestoreAndPromoteAsync(plan, stopWritesFirst: kind == DataLossKind.DropRecords, home, standby, backups, request, ct);
            DateTimeOffset? StepEnd(string step) => recovery.Steps.FirstOrDefault(s => s.Name == step)?.FinishedAt;
            marks = marks with
            {
                Fenced = StepEnd(RestorePromoteRunbook.StepNames.StopWrites),
                Restored = StepEnd(RestorePromoteRunbook.StepNames.RestoreBackup),
                Promoted = StepEnd(RestorePromoteRunbook.StepNames.AdoptRestored),
                ComputeReady = StepEnd(FailoverRunbook.StepNames.ScaleCompute),
                TrafficSwitched = StepEnd(FailoverRunbook.StepNames.VerifyPublicWrite),
            };
            var restoreStep = recovery.Steps.FirstOrDefault(s => s.Name == RestorePromoteRunbook.StepNames.RestoreBackup);
            Mark($"recovered by run {recovery.Id} ({recovery.Kind}, {recovery.Outcome.ToString().ToLowerInvariant()}): {restoreStep?.Detail}; {plan.Name} is {home}'s primary, {standby} re-cloned from it");
        }
        else
        {
            // The service is fine: restore beside it, copy the deleted rows back, drop the restored instance.
            Mark($"restoring {plan.Source} from {plan.Copy.Region}'s repository into {plan.Name} in {home}");
            var instance = await backups.RestoreAsync(plan, line => say($"          … {line}"), ct);
            marks = marks with { Restored = time.GetUtcNow() };
            Mark($"restored {instance.Name} at {instance.Host}:{instance.Port} in {instance.Seconds:0.0} s");
            copied = await loss.CopyRecordsBackAsync(instance, home, deleted!, ct);
            marks = marks with { DataRestored = time.GetUtcNow() };
            Mark($"copied {copied} rows of seqs {deleted!.First}–{deleted.Last} back from {instance.Name} into {home}");
            await backups.DropRestoreAsync(instance.Name, ct);
            Mark($"dropped the restored instance {instance.Name}");
        }

        var (attempts, seqs) = await StopWorkloadAfterRecoveryAsync(run, request, ct);
        var after = await ServiceChecksAsync(scenario, ct);
        var leftOver = (await backups.ListRestoresAsync(ct)).Any(r => r.Name == plan.Name);
        Check(DrillCheckNames.RestoredInstanceGone, !leftOver, leftOver ? $"{plan.Name} still runs beside the lab (`regami-dr restore drop {plan.Name}`)" : $"{plan.Name} {(promote ? "became the primary" : "was dropped")}");

        var present = await ports.Records.PresentSeqsAsync(after.PrimaryRegion ?? home, seqs, ct);
        // The recovery point, and a lower bound of it that the restore must honour: every write answered before it is there.
        var newestFound = attempts.Where(a => a.IsAcknowledged && a.SentAt < faultAt && present.Contains(a.Seq))
            .Select(a => (DateTimeOffset?)(a.CommittedAt ?? a.AnsweredAt ?? a.SentAt)).Max();
        var (reached, point, pointName) = plan switch
        {
            { ToTime: { } t } => ((DateTimeOffset?)t, t, "the time restored to"),
            // The end of the archive is known only from what came back: the newest acknowledged write found.
            { Latest: true } when newestFound is { } n => (n, n - CommitOrderMargin, "the newest write the archive kept, less 1 s"),
            { Latest: true } => (plan.Copy.FinishedAt, plan.Copy.FinishedAt, "the backup's consistent point"),
            _ => (plan.Copy.FinishedAt, plan.Backup.StartedAt, "the snapshot's start"),
        };
        if (scenario.Runs(DrillCheckKind.LossesAfterRecoveryPoint))
        {
            var verdict = RecoveryPointCheck.Judge(attempts, present, point, pointName);
            Check(DrillCheckNames.LossesAfterRecoveryPoint, verdict.Passed, verdict.Detail);
        }
        var writes = WriteSetChecker.Classify(attempts, present);
        if (!promote)
            Check(DrillCheckNames.AcknowledgedWritesPresent, writes.Lost.Count == 0,
                writes.Lost.Count == 0 ? $"all {writes.Acknowledged} acknowledged writes are there" : $"{writes.Lost.Count} acknowledged writes lost: seqs {DrillReport.FormatSeqs(writes.Lost)}");
        if (scenario.Runs(DrillCheckKind.DeletedRowsBack) && deleted is not null)
        {
            var ackedDeleted = attempts.Where(a => a.IsAcknowledged && a.Seq >= deleted.First && a.Seq <= deleted.Last).Select(a => a.Seq).Distinct().ToList();
            var missing = ackedDeleted.Where(s => !present.Contains(s)).Order().ToList();
            var countMatches = promote || copied == lost.Rows;
            Check(DrillCheckNames.DeletedRowsBack, missing.Count == 0 && countMatches,
                $"{lost.Rows} rows deleted, {(promote ? "restore promoted" : $"{copied} copied back")}; " +
                (missing.Count == 0 ? $"all {ackedDeleted.Count} acknowledged rows of seqs {deleted.First}–{deleted.Last} are there"
                    : $"{missing.Count} of {ackedDeleted.Count} acknowledged rows missing: seqs {DrillReport.FormatSeqs(missing)}"));
        }

        await CheckConsistencyAsync(scenario, ct);
        return await ReportAsync(request, startedAt, marks, attempts, present, home,
            before.Replication.Mode == ReplicationMode.Sync ? "sync" : "async",
            new DrillRestore(plan.Name, plan.Region, plan.Source, plan.Backup.Id, plan.Copy.Region, reached,
                RestoreSeconds(marks), promote ? "promoted" : "rows copied back", lost.Rows, copied), ct);
    }

    /// <summary>
    /// The backup the recovery starts from, as the plan's schedule would have it: corruption restores the latest
    /// snapshot (the drill takes it, as the 03:00 daily would have); a point-in-time restore needs any backup older
    /// than the delete; the provider outage needs one copied to the surviving region.
    /// </summary>
    private async Task PrepareBackupAsync(DataLossKind kind, IBackupPort backups, string survivor, CancellationToken ct)
    {
        var all = await backups.ListAsync(ct);
        BackupRequest? take = kind switch
        {
            DataLossKind.DropRecords => new BackupRequest(BackupClass.Manual, "drill corruption: the latest snapshot", CopyToOtherRegions: false),
            DataLossKind.DeleteRecords when all.Count == 0 => new BackupRequest(BackupClass.Manual, "drill accidental-delete: a base for point-in-time recovery", CopyToOtherRegions: false),
            DataLossKind.ProviderOutage when !all.Any(b => b.CopyIn(survivor) is not null) => new BackupRequest(BackupClass.Manual, "drill provider-outage: a backup copied out of the home region"),
            _ => null,
        };
        if (take is null)
        {
            var newest = all.MaxBy(b => b.FinishedAt)!;
            Mark($"backup to recover from: {newest.Id} ({newest.Class.Name()}, {newest.FinishedAt:HH:mm:ss}Z, copies in {string.Join(", ", newest.Regions)})");
            return;
        }
        Mark($"taking a backup: {take.Reason}");
        var backup = await backups.CreateAsync(take, line => say($"          … {line}"), ct);
        Mark($"backup {backup.Id} taken ({backup.StartedAt:HH:mm:ss.fff}Z–{backup.FinishedAt:HH:mm:ss.fff}Z, copies in {string.Join(", ", backup.Regions)})");
    }

    /// <summary>Confirms the loss from the databases themselves: the acknowledged rows are gone, or nothing answers.</summary>
    private async Task<string> DetectAsync(string home, SeqRange range, IReadOnlyList<long> acked, CancellationToken ct)
    {
        try
        {
            var present = await ports.Records.PresentSeqsAsync(home, range, ct);
            var missing = acked.Count(s => !present.Contains(s));
            return $"{missing} of {acked.Count} acknowledged rows are missing on {home}";
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            return $"{home}'s database does not answer ({e.Message.Split('\n')[0]})";
        }
    }

    /// <summary>The restore's own duration: from the step before it (the detection, or the writes stopped) to the instance answering.</summary>
    private static double RestoreSeconds(DrillMarks marks) =>
        marks.Restored is { } restored ? DrillMeasured.Round((restored - (marks.Fenced ?? marks.Decided ?? marks.FaultInjected)).TotalSeconds) : 0;

    private async Task<RunRecord> RestoreAndPromoteAsync(RestorePlan plan, bool stopWritesFirst, string home, string standby, IBackupPort backups,
        DrillRequest request, CancellationToken ct)
    {
        Mark($"restore and promote as one run: {(stopWritesFirst ? $"stop {home}'s writes, " : "")}restore {plan.Source} from {plan.Copy.Region}'s repository into {plan.Name}, " +
            $"fence {home}'s database, adopt {plan.Name} in its place, compute and traffic back, re-clone {standby}");
        var result = await Engine().RunAsync(RestorePromoteRunbook.BuildWithRestore(plan, stopWritesFirst, home, standby, ports.Recovery, backups, request.Policy),
            $"drill {request.Scenario.Name}: restore and promote", new RunbookRunOptions(), null, ct);
        if (!result.Succeeded)
            throw new InvalidOperationException($"restore and promote of {plan.Name} failed at {result.FailedStep}: {result.Detail}. " +
                (result.FailedStep == RestorePromoteRunbook.StepNames.RestoreBackup
                    ? $"Nothing was promoted; restore by hand (`regami-dr restore --as {plan.Name} …`), then `regami-dr restore promote {plan.Name}`"
                    : $"Resume with `regami-dr runbook resume {result.RunId}`; the journal: `regami-dr runbook show {result.RunId}`"));
        return await ports.Journal.GetAsync(result.RunId!, ct)
            ?? throw new InvalidOperationException($"restore promote's run {result.RunId} is not in the journal");
    }
}
