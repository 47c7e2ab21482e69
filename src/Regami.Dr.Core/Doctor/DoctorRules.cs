using System.Globalization;
using System.Text.RegularExpressions;
using Regami.Dr.Core.Backups;
using Regami.Dr.Core.Configuration;

namespace Regami.Dr.Core.Doctor;

/// <summary>One rule: its id (what `--rule` takes), a title, and the pure judgement of the facts.</summary>
public sealed record DoctorRule(string Id, string Title, Func<PostureFacts, DoctorPolicy, (RuleStatus Status, string Evidence, string? Fix)> Judge)
{
    public DoctorFinding Evaluate(PostureFacts facts, DoctorPolicy policy)
    {
        var (status, evidence, fix) = Judge(facts, policy);
        return new DoctorFinding(Id, Title, status, evidence, status is RuleStatus.Pass or RuleStatus.Skip ? null : fix);
    }
}

/// <summary>
/// Does what is deployed still honour the plan? Every rule is a pure function of <see cref="PostureFacts"/>:
/// the providers read, these judge. A fact that could not be read makes its rule
/// <see cref="RuleStatus.Unknown"/> with the provider's error — never a pass.
/// </summary>
public static partial class DoctorRules
{
    public static IReadOnlyList<DoctorRule> All { get; } =
    [
        new("residency.allowed-regions", "regions within the residency set", Residency),
        new("encryption.databases", "databases encrypted at rest", (f, _) => Encryption(f.Provider.Databases, "database", "create the instance with storage encryption and a KMS key (an RDS instance cannot be encrypted in place: restore an encrypted snapshot copy)")),
        new("encryption.buckets", "buckets encrypted at rest", (f, _) => Encryption(f.Provider.Buckets, "bucket", "put a default encryption (SSE-KMS) on the bucket: aws s3api put-bucket-encryption")),
        new("storage.replication", "uploads replicate to the standby region within 15 min", ObjectReplication),
        new("replication.streaming", "the replica exists and streams", Streaming),
        new("replication.lag", "replication lag below the RPO", Lag),
        new("backups.retention", "backup retention at least the plan's", Retention),
        new("backups.cross-region-copies", "backup copies in the standby region", Copies),
        new("backups.pitr", "point-in-time recovery on", Pitr),
        new("alarms.plan", "the plan's alarms present with its thresholds", Alarms),
        new("health-checks.database", "every region's health check tests the database", HealthChecks),
        new("drills.recent", "a passing drill within the quarter", Drills),
        new("restore-tests.recent", "a recent passing restore test", RestoreTests),
        new("contacts.complete", "escalation contacts complete", Contacts),
        new("audit.retention", "audit trail kept ≥ 90 days and intact", Audit),
        new("rto.budget", "the RTO budget fits the target", RtoBudget),
    ];

    public static DoctorRule? Find(string id) => All.FirstOrDefault(r => r.Id == id);

    /// <summary>Judges every rule, or only <paramref name="onlyRule"/>.</summary>
    public static IReadOnlyList<DoctorFinding> Evaluate(PostureFacts facts, DoctorPolicy policy, string? onlyRule = null) =>
        All.Where(r => onlyRule is null || r.Id == onlyRule).Select(r => r.Evaluate(facts, policy)).ToList();

    private static (RuleStatus, string, string?) Unknown<T>(Observed<T> o, string what) =>
        (RuleStatus.Unknown, $"{what} could not be read: {o.Error}", "make the provider reachable (credentials, endpoint, the lab running) and run doctor again");

    private static (RuleStatus, string, string?) Residency(PostureFacts f, DoctorPolicy _)
    {
        var outside = f.Configuration.Regions.Where(r => !f.AllowedRegions.Contains(r.Name)).Select(r => r.Name).ToList();
        var regions = string.Join(", ", f.Configuration.Regions.Select(r => r.Name));
        return outside.Count == 0
            ? (RuleStatus.Pass, $"{regions} within {{{string.Join(", ", f.AllowedRegions)}}}", null)
            : (RuleStatus.Fail, $"{string.Join(", ", outside)} outside the residency set {{{string.Join(", ", f.AllowedRegions)}}}", "move the region inside the set; the plan keeps data in the EU");
    }

    private static (RuleStatus, string, string?) Encryption(Observed<IReadOnlyList<EncryptionFact>> o, string kind, string fix)
    {
        if (o.NotApplicable is { } why) return (RuleStatus.Skip, why, null);
        if (o.Value is not { } all) return Unknown(o, $"the {kind}s' encryption");
        if (all.Count == 0) return (RuleStatus.Fail, $"no {kind} found", $"check the {kind} names in the configuration");
        var plain = all.Where(e => !e.Encrypted).ToList();
        var list = string.Join("; ", all.Select(e => $"{e.Resource} ({e.Region}) {(e.Encrypted ? "encrypted" + (e.Key is null ? "" : $" with {e.Key}") : "NOT encrypted")}"));
        return plain.Count == 0 ? (RuleStatus.Pass, list, null) : (RuleStatus.Fail, list, fix);
    }

    /// <summary>The plan's object storage replication: S3 Replication Time Control promises 99.99 % of objects within 15 minutes.</summary>
    public const int PlanReplicationMinutes = 15;

    private static (RuleStatus, string, string?) ObjectReplication(PostureFacts f, DoctorPolicy _)
    {
        var o = f.Provider.ObjectReplication;
        if (o.NotApplicable is { } why) return (RuleStatus.Skip, why, null);
        if (o.Value is not { } r) return Unknown(o, "the uploads bucket's replication");
        const string fix = "replicate the uploads bucket to the standby region's bucket with Replication Time Control (15 min): deploy/terraform does; after a failover, set up replication from the new primary's bucket";
        if (r.Rules.Count == 0) return (RuleStatus.Fail, $"s3://{r.SourceBucket} ({r.Region}) has no replication rule", fix);
        var rules = string.Join("; ", r.Rules.Select(x => $"{x.Id}: {(x.Enabled ? "enabled" : "disabled")} → {x.DestinationBucket}, {(x.ReplicationTimeMinutes is { } m ? $"RTC {m} min" : "no RTC")}"));
        var good = r.Rules.Any(x => x.Enabled && (r.ExpectedDestination is null || x.DestinationBucket == r.ExpectedDestination)
            && x.ReplicationTimeMinutes is { } m && m <= PlanReplicationMinutes);
        var evidence = $"s3://{r.SourceBucket} ({r.Region}): {rules}{(r.ExpectedDestination is { } d ? $"; the standby's bucket is {d}" : "")}";
        return good ? (RuleStatus.Pass, evidence, null) : (RuleStatus.Fail, evidence, fix);
    }

    private static (RuleStatus, string, string?) Streaming(PostureFacts f, DoctorPolicy _)
    {
        var o = f.Provider.Replica;
        if (o.Value is not { } r) return Unknown(o, "the replica");
        if (!r.Exists) return (RuleStatus.Fail, $"no replica: {r.Detail}", "rebuild the standby (`regami-dr failback` re-creates it after a failover)");
        return r.Streaming
            ? (RuleStatus.Pass, $"replica in {r.Region} streams: {r.Detail}", null)
            : (RuleStatus.Fail, $"replica in {r.Region} exists but does not stream: {r.Detail}", "look at the replica's log; `regami-dr status` shows both sides");
    }

    private static (RuleStatus, string, string?) Lag(PostureFacts f, DoctorPolicy _)
    {
        var o = f.Provider.Replica;
        var rpo = f.Configuration.Targets.Rpo;
        if (o.Value is not { } r) return Unknown(o, "the replication lag");
        if (!r.Exists || !r.Streaming) return (RuleStatus.Fail, $"no streaming replica, so nothing is within the RPO ({DurationText.Format(rpo)}): {r.Detail}", "get the replica streaming (rule replication.streaming)");
        if (r.LagSeconds is { } s)
        {
            var text = $"{s.ToString("0.###", CultureInfo.InvariantCulture)} s behind{(r.LagBytes is { } b ? $" ({b} bytes)" : "")}, RPO {DurationText.Format(rpo)}";
            return s <= rpo.TotalSeconds ? (RuleStatus.Pass, text, null) : (RuleStatus.Fail, text, "find what holds the replica back (network, replay conflicts, an undersized instance)");
        }
        return r.LagBytes == 0
            ? (RuleStatus.Pass, $"0 bytes behind (caught up), RPO {DurationText.Format(rpo)}", null)
            : (RuleStatus.Warn, $"{r.LagBytes?.ToString(CultureInfo.InvariantCulture) ?? "?"} bytes behind, no time figure yet: {r.Detail}", "run doctor again in a minute; the time figure comes with the replica's next reply");
    }

    private static (RuleStatus, string, string?) Retention(PostureFacts f, DoctorPolicy p)
    {
        var o = f.Provider.Backups;
        if (o.Value is not { } b) return Unknown(o, "the backup retention");
        var lines = new List<string>();
        var short_ = false;
        foreach (var (cls, wanted) in p.Retention)
        {
            // Several settings may keep a class (RDS automated backups and a backup plan rule): the longest counts.
            var candidates = b.Retention.Where(r => r.Class == cls).ToList();
            var kept = candidates.FirstOrDefault(r => AtLeast(r.Kept, wanted, f.Now)) ?? candidates.FirstOrDefault();
            if (kept is null) { short_ = true; lines.Add($"{cls.Name()}: none (plan {Describe(wanted)})"); continue; }
            var enough = AtLeast(kept.Kept, wanted, f.Now);
            short_ |= !enough;
            lines.Add($"{cls.Name()}: {Describe(kept.Kept)}{(enough ? "" : $" < plan {Describe(wanted)}")} ({kept.Source})");
        }
        return short_
            ? (RuleStatus.Fail, $"{b.Engine}: {string.Join("; ", lines)}", "raise the retention to the plan's (backups.retention in regami-dr.yaml; AWS: the backup plan's lifecycle and the instance's backup retention period)")
            : (RuleStatus.Pass, $"{b.Engine}: {string.Join("; ", lines)}", null);
    }

    /// <summary>True when <paramref name="kept"/> keeps a backup taken at <paramref name="at"/> at least as long as <paramref name="wanted"/>.</summary>
    public static bool AtLeast(RetentionPeriod kept, RetentionPeriod wanted, DateTimeOffset at) =>
        kept.Forever || (!wanted.Forever && kept.ExpiresAt(at) >= wanted.ExpiresAt(at));

    private static string Describe(RetentionPeriod r) => r.Forever ? "forever" : r.Months > 0 ? $"{r.Months} months" : $"{r.Days} days";

    private static (RuleStatus, string, string?) Copies(PostureFacts f, DoctorPolicy _)
    {
        var o = f.Provider.Backups;
        if (o.Value is not { } b) return Unknown(o, "the backup copies");
        var standbys = f.Configuration.Regions.Where(r => !r.IsPrimary).Select(r => r.Name).ToList();
        var missing = standbys.Where(s => b.Copies.FirstOrDefault(c => c.Region == s) is not { Count: > 0 }).ToList();
        var evidence = string.Join("; ", b.Copies.Select(c => $"{c.Region}: {c.Count} ({c.Evidence})"));
        return missing.Count == 0
            ? (RuleStatus.Pass, evidence, null)
            : (RuleStatus.Fail, $"no backup copy in {string.Join(", ", missing)}{(evidence.Length > 0 ? $"; {evidence}" : "")}", "take a backup with its cross-region copy (`regami-dr backup create`; AWS: a copy action to a vault in the standby region)");
    }

    private static (RuleStatus, string, string?) Pitr(PostureFacts f, DoctorPolicy _)
    {
        var o = f.Provider.Backups;
        if (o.Value is not { } b) return Unknown(o, "point-in-time recovery");
        var pitr = b.Pitr;
        if (!pitr.Enabled) return (RuleStatus.Fail, pitr.Evidence, "take a first backup (`regami-dr backup create`) with WAL archiving on (AWS: a backup retention period of at least 1 day)");
        if (pitr.RestorableUntil is { } until && f.Now - until > f.Configuration.Targets.Rpo)
            return (RuleStatus.Fail, $"{pitr.Evidence}; restorable only up to {until:yyyy-MM-ddTHH:mm:ssZ}, {Days(f.Now - until)} ago — more than the RPO", "find why WAL archiving stopped (archive_command, the repository's space)");
        return (RuleStatus.Pass, pitr.Evidence, null);
    }

    private static (RuleStatus, string, string?) Alarms(PostureFacts f, DoctorPolicy _)
    {
        var o = f.Provider.Alarms;
        if (o.NotApplicable is { } why) return (RuleStatus.Skip, why, null);
        if (o.Value is not { } alarms) return Unknown(o, "the alarms");
        var bad = new List<string>();
        var good = new List<string>();
        foreach (var a in alarms)
        {
            if (a.Deployed is not { } d) { bad.Add($"{a.Name} ({a.Region}) missing"); continue; }
            var problems = AlarmDifferences(a.Expected, d).ToList();
            if (problems.Count == 0) good.Add($"{a.Name} ({a.Region}): {Shape(d)}");
            else bad.Add($"{a.Name} ({a.Region}): {string.Join(", ", problems)}");
        }
        var where = alarms.Select(a => a.Where).Distinct().ToList();
        var evidence = string.Join("; ", bad.Concat(good)) + (where.Count > 0 ? $" [{string.Join("; ", where)}]" : "");
        return bad.Count == 0 ? (RuleStatus.Pass, evidence, null)
            : (RuleStatus.Fail, evidence, "put the plan's alarms (AWS: `regami-dr aws apply-alarms`; the lab: the controller evaluates them, `regami-dr lab up` starts it)");
    }

    private static string Shape(AlarmShape s) =>
        $"{s.Metric} {s.Comparison} {s.Threshold.ToString("0.###", CultureInfo.InvariantCulture)}, {s.EvaluationPeriods} × {s.PeriodSeconds} s";

    /// <summary>How a deployed alarm falls short of the plan's; a stricter threshold (a lag alarm that fires earlier) is no shortfall.</summary>
    public static IEnumerable<string> AlarmDifferences(AlarmShape expected, AlarmShape deployed)
    {
        if (deployed.Metric != expected.Metric) yield return $"watches {deployed.Metric}, the plan {expected.Metric}";
        if (deployed.Comparison != expected.Comparison) yield return $"compares {deployed.Comparison}, the plan {expected.Comparison}";
        var laxer = expected.Comparison.StartsWith("GreaterThan", StringComparison.Ordinal) ? deployed.Threshold > expected.Threshold
            : expected.Comparison.StartsWith("LessThan", StringComparison.Ordinal) ? deployed.Threshold < expected.Threshold
            : deployed.Threshold != expected.Threshold;
        if (laxer) yield return $"threshold {deployed.Threshold.ToString(CultureInfo.InvariantCulture)}, the plan {expected.Threshold.ToString(CultureInfo.InvariantCulture)}";
        if (deployed.PeriodSeconds * deployed.EvaluationPeriods > expected.PeriodSeconds * expected.EvaluationPeriods)
            yield return $"{deployed.EvaluationPeriods} × {deployed.PeriodSeconds} s, the plan {expected.EvaluationPeriods} × {expected.PeriodSeconds} s";
    }

    private static (RuleStatus, string, string?) HealthChecks(PostureFacts f, DoctorPolicy _)
    {
        var o = f.Provider.HealthChecks;
        if (o.Value is not { } checks) return Unknown(o, "the health checks");
        var lines = new List<string>();
        var failing = false;
        foreach (var region in f.Configuration.Regions.Select(r => r.Name))
        {
            var c = checks.FirstOrDefault(h => h.Region == region);
            if (c is null) { failing = true; lines.Add($"{region}: no health check"); continue; }
            var db = TestsDatabase(c.Path);
            failing |= !db;
            lines.Add($"{region}: {c.Target}{c.Path}{(db ? "" : " does not test the database")}");
        }
        return failing ? (RuleStatus.Fail, string.Join("; ", lines), "point the health check at /health?check=db, so a region whose database is down reads unhealthy")
            : (RuleStatus.Pass, string.Join("; ", lines), null);
    }

    public static bool TestsDatabase(string path) => CheckDb().IsMatch(path);

    [GeneratedRegex(@"[?&]check=db(&|$)")]
    private static partial Regex CheckDb();

    private static (RuleStatus, string, string?) Drills(PostureFacts f, DoctorPolicy p)
    {
        var o = f.Drills;
        if (o.Value is not { } drills) return Unknown(o, "the drill history");
        var passing = drills.Where(d => d.Passed).MaxBy(d => d.At);
        const string fix = "run a drill: `regami-dr drill` (the lab) or `regami-dr drill --provider aws --scenario planned-switchover`";
        if (passing is null)
            return (RuleStatus.Fail, drills.Count == 0 ? "no drill on record" : $"{drills.Count} drill(s) on record, none passed (last {drills[^1].At:yyyy-MM-dd})", fix);
        var age = f.Now - passing.At;
        var text = $"last passing drill {passing.Scenario} on {passing.At:yyyy-MM-dd HH:mm}Z, {Days(age)} ago{(passing.RtoSeconds is { } rto ? $", RTO {rto.ToString("0.##", CultureInfo.InvariantCulture)} s" : "")}; the plan: quarterly (≤ {p.DrillMaxAge.TotalDays:0} days)";
        return age <= p.DrillMaxAge ? (RuleStatus.Pass, text, null) : (RuleStatus.Fail, text, fix);
    }

    private static string Days(TimeSpan t) => t.TotalDays >= 1 ? $"{t.TotalDays:0.#} days" : t.TotalHours >= 1 ? $"{t.TotalHours:0.#} h" : $"{Math.Max(0, t.TotalMinutes):0} min";

    private static (RuleStatus, string, string?) RestoreTests(PostureFacts f, DoctorPolicy p)
    {
        var o = f.RestoreTests;
        if (o.NotApplicable is { } why) return (RuleStatus.Warn, why, "restore a snapshot and a point in time into a scratch instance by hand and record it in the runbook");
        if (o.Value is not { } tests) return Unknown(o, "the restore tests");
        var passing = tests.LastOrDefault(t => t.Passed);
        const string fix = "run `regami-dr backup restore-test` (it restores the latest backup and a recent point in time into scratch instances)";
        if (passing is null)
            return (RuleStatus.Fail, tests.Count == 0 ? "no restore test on record" : $"no passing restore test; last: {tests[^1].Summary}", fix);
        var age = f.Now - passing.At;
        var text = $"last passing restore test {passing.At:yyyy-MM-dd HH:mm}Z, {Days(age)} ago (≤ {p.RestoreTestMaxAge.TotalDays:0} days)";
        return age <= p.RestoreTestMaxAge ? (RuleStatus.Pass, text, null) : (RuleStatus.Fail, text, fix);
    }

    private static (RuleStatus, string, string?) Contacts(PostureFacts f, DoctorPolicy _)
    {
        if (f.Contacts.Count == 0) return (RuleStatus.Fail, "no escalation contact configured", "list the plan's contacts under notifications.contacts (incident commander, database lead, DevOps lead, cloud support)");
        var placeholders = f.Contacts.SelectMany(c => new[] { c.Name, c.Email, c.ChatWebhookName, c.Role }.Where(v => v is not null && Placeholder().IsMatch(v)).Select(v => $"{c.Name}: '{v}'")).ToList();
        if (placeholders.Count > 0)
            return (RuleStatus.Fail, $"placeholders left: {string.Join("; ", placeholders)}", "replace every [Name]/[Phone]/[Email] placeholder in notifications.contacts with the real person and route");
        var unreachable = f.Contacts.Where(c => string.IsNullOrWhiteSpace(c.Email) && string.IsNullOrWhiteSpace(c.ChatWebhookName)).Select(c => c.Name).ToList();
        var evidence = $"{f.Contacts.Count} contact(s): {string.Join(", ", f.Contacts.Select(c => c.Role is null ? c.Name : $"{c.Name} ({c.Role})"))}";
        return unreachable.Count == 0 ? (RuleStatus.Pass, evidence, null)
            : (RuleStatus.Warn, $"{evidence}; no e-mail or chat route for {string.Join(", ", unreachable)} (only the console and the alert file reach them)", "give each contact an email or chatWebhookName");
    }

    [GeneratedRegex(@"\[[A-Za-z][A-Za-z _-]*\]")]
    private static partial Regex Placeholder();

    private static (RuleStatus, string, string?) Audit(PostureFacts f, DoctorPolicy p)
    {
        var o = f.Audit;
        if (o.Value is not { } v) return Unknown(o, "the audit trail");
        var enforced = DoctorPolicy.EnforcedAuditRetention;
        if (enforced < p.AuditMinimumRetention)
            return (RuleStatus.Fail, $"this build prunes events after {enforced.TotalDays:0} days, the plan keeps them {p.AuditMinimumRetention.TotalDays:0}", "upgrade regami-dr");
        return v.Valid
            ? (RuleStatus.Pass, $"pruning never removes events younger than {enforced.TotalDays:0} days; chain verified: {v.Sentence}", null)
            : (RuleStatus.Fail, $"the chain does not verify: {v.Sentence}", "keep the database file as evidence and find who changed it; `regami-dr audit verify` says where it breaks");
    }

    private static (RuleStatus, string, string?) RtoBudget(PostureFacts f, DoctorPolicy _)
    {
        var parts = f.Provider.RtoBudget;
        var total = parts.Aggregate(TimeSpan.Zero, (sum, part) => sum + part.Duration);
        var target = f.Configuration.Targets.Rto;
        var text = $"{string.Join(" + ", parts.Select(x => $"{x.Name} {DurationText.Format(x.Duration)} ({x.Source})"))} = {DurationText.Format(total)}; target {DurationText.Format(target)}";
        return total <= target ? (RuleStatus.Pass, text, null)
            : (RuleStatus.Fail, text, "shorten detection (healthCheck.requestInterval × failureThreshold), the DNS TTL, or pre-warm the standby's compute");
    }
}
