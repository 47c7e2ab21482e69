using Regami.Dr.Core.Audit;
using Regami.Dr.Core.Backups;
using Regami.Dr.Core.Configuration;
using Regami.Dr.Core.Doctor;
using Regami.Dr.Core.Notifications;

namespace Regami.Dr.Core.Tests.Doctor;

/// <summary>`regami-dr doctor`'s rules: pure judgements of facts (the providers' readers are proven on the lab and against moto).</summary>
public sealed class DoctorRulesTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 30, 12, 0, 0, TimeSpan.Zero);

    private static AlarmShape Lag(double threshold, int periods = 2) => new("AWS/RDS/ReplicaLag", "GreaterThanThreshold", threshold, 60, periods);
    private static AlarmShape Unhealthy(double threshold = 1) => new("AWS/Route53/HealthCheckStatus", "LessThanThreshold", threshold, 60, 3);

    /// <summary>An estate that honours the plan on every point.</summary>
    private static PostureFacts Good() => new()
    {
        Configuration = new DrConfiguration(),
        AllowedRegions = Core.Topology.Residency.EuRegions,
        Provider = new ProviderPosture(
            Observed<IReadOnlyList<EncryptionFact>>.Of([new("RDS regami-db", "eu-west-3", true, "key-1"), new("RDS regami-db", "eu-central-1", true, "key-2")]),
            Observed<IReadOnlyList<EncryptionFact>>.Of([new("s3://uploads", "eu-west-3", true, "aws:kms")]),
            Observed<ObjectReplicationFact>.Of(new("uploads", "eu-west-3", "uploads-replica", [new("all", true, "uploads-replica", 15)])),
            Observed<ReplicaFact>.Of(new("eu-central-1", true, true, 2.5, 1024, "streaming")),
            Observed<BackupFacts>.Of(new("engine",
                [new(BackupClass.Daily, RetentionPeriod.OfDays(7), "a"), new(BackupClass.Compliance, RetentionPeriod.OfDays(14), "b"), new(BackupClass.Monthly, RetentionPeriod.OfDays(365), "c")],
                [new("eu-central-1", 3, "copies")],
                new PitrFact(true, Now.AddMinutes(-1), "archiving"))),
            Observed<IReadOnlyList<AlarmFact>>.Of([new("lag", "eu-central-1", Lag(300), Lag(300), "cw"), new("unhealthy", "us-east-1", Unhealthy(), Unhealthy(), "cw")]),
            Observed<IReadOnlyList<HealthCheckFact>>.Of([new("eu-west-3", "HTTPS a:443", "/health?check=db"), new("eu-central-1", "HTTPS b:443", "/health?check=db")]),
            [new("detection", TimeSpan.FromSeconds(90), "x"), new("dns", TimeSpan.FromSeconds(60), "y")]),
        Drills = Observed<IReadOnlyList<DrillOutcome>>.Of([new(Now.AddDays(-30), "region-outage", true, 4.5)]),
        RestoreTests = Observed<IReadOnlyList<RestoreTestResult>>.Of([Passed(Now.AddDays(-2))]),
        Contacts = [new Contact("ic", "ic@regami.example", null, "incident commander")],
        Audit = Observed<AuditVerification>.Of(new AuditVerification(true, 12, null, "the audit chain verifies: 12 events")),
        Now = Now,
    };

    private static RestoreTestResult Passed(DateTimeOffset at) => new()
    {
        At = at,
        BackupId = "b1",
        Snapshot = new RestoreProof(true, 5, 1, null, null),
        PointInTime = at.AddMinutes(-1),
        PointInTimeRestore = new RestoreProof(true, 5, 1, null, null),
    };

    private static DoctorFinding Judge(PostureFacts facts, string id) => DoctorRules.Evaluate(facts, DoctorPolicy.Plan, id).Single();

    private static ProviderPosture With(PostureFacts f, Func<ProviderPosture, ProviderPosture> change) => change(f.Provider);

    [Fact]
    public void An_estate_that_honours_the_plan_passes_every_rule_and_is_healthy()
    {
        var findings = DoctorRules.Evaluate(Good(), DoctorPolicy.Plan);
        Assert.Equal(DoctorRules.All.Count, findings.Count);
        Assert.All(findings, f => Assert.True(f.Status == RuleStatus.Pass, $"{f.Id}: {f.Status} — {f.Evidence}"));
        Assert.All(findings, f => Assert.Null(f.Fix));
        Assert.True(new DoctorReport("e", "aws", Now, findings).Healthy);
        Assert.Equal(DoctorRules.All.Count, DoctorRules.All.Select(r => r.Id).Distinct().Count());
    }

    [Fact]
    public void A_provider_out_of_reach_makes_its_rules_unknown_with_the_error_never_pass_and_the_report_unhealthy()
    {
        const string error = "Could not connect to the endpoint URL: \"http://127.0.0.1:1/\"";
        var good = Good();
        var facts = good with
        {
            Provider = good.Provider with
            {
                Databases = Observed<IReadOnlyList<EncryptionFact>>.Failed(error),
                Buckets = Observed<IReadOnlyList<EncryptionFact>>.Failed(error),
                ObjectReplication = Observed<ObjectReplicationFact>.Failed(error),
                Replica = Observed<ReplicaFact>.Failed(error),
                Backups = Observed<BackupFacts>.Failed(error),
                Alarms = Observed<IReadOnlyList<AlarmFact>>.Failed(error),
                HealthChecks = Observed<IReadOnlyList<HealthCheckFact>>.Failed(error),
            },
        };
        var findings = DoctorRules.Evaluate(facts, DoctorPolicy.Plan).ToDictionary(f => f.Id);
        string[] dependent = ["encryption.databases", "encryption.buckets", "storage.replication", "replication.streaming", "replication.lag", "backups.retention",
            "backups.cross-region-copies", "backups.pitr", "alarms.plan", "health-checks.database"];
        foreach (var id in dependent)
        {
            Assert.Equal(RuleStatus.Unknown, findings[id].Status);
            Assert.Contains(error, findings[id].Evidence);
            Assert.NotNull(findings[id].Fix);
        }
        Assert.False(new DoctorReport("e", "aws", Now, findings.Values.ToList()).Healthy);
    }

    [Fact]
    public void A_fact_that_does_not_apply_is_skipped_with_its_reason_and_keeps_the_report_healthy()
    {
        var good = Good();
        var facts = good with { Provider = good.Provider with { Buckets = Observed<IReadOnlyList<EncryptionFact>>.Inapplicable("the lab has no object storage") } };
        var f = Judge(facts, "encryption.buckets");
        Assert.Equal((RuleStatus.Skip, "the lab has no object storage"), (f.Status, f.Evidence));
        Assert.True(new DoctorReport("e", "lab", Now, DoctorRules.Evaluate(facts, DoctorPolicy.Plan)).Healthy);
    }

    [Fact]
    public void A_region_outside_the_residency_set_fails_naming_it()
    {
        var facts = Good() with { Configuration = new DrConfiguration { Regions = [new() { Name = "eu-west-3", Role = "primary" }, new() { Name = "us-east-1", Role = "standby" }] } };
        var f = Judge(facts, "residency.allowed-regions");
        Assert.Equal(RuleStatus.Fail, f.Status);
        Assert.StartsWith("us-east-1 outside the residency set", f.Evidence);
    }

    [Fact]
    public void An_unencrypted_database_fails_and_names_it()
    {
        var good = Good();
        var facts = good with { Provider = good.Provider with { Databases = Observed<IReadOnlyList<EncryptionFact>>.Of([new("RDS regami-db", "eu-central-1", false)]) } };
        var f = Judge(facts, "encryption.databases");
        Assert.Equal(RuleStatus.Fail, f.Status);
        Assert.Contains("RDS regami-db (eu-central-1) NOT encrypted", f.Evidence);
    }

    [Theory]
    [InlineData(299.0, 10L, RuleStatus.Pass)]
    [InlineData(301.0, 10L, RuleStatus.Fail)]
    [InlineData(null, 0L, RuleStatus.Pass)]      // caught up: PostgreSQL shows no replay time once nothing is behind
    [InlineData(null, 4096L, RuleStatus.Warn)]   // bytes behind, no time figure yet
    public void Lag_is_judged_against_the_RPO(double? seconds, long bytes, RuleStatus expected)
    {
        var good = Good();
        var facts = good with { Provider = good.Provider with { Replica = Observed<ReplicaFact>.Of(new("eu-central-1", true, true, seconds, bytes, "d")) } };
        Assert.Equal(expected, Judge(facts, "replication.lag").Status);
    }

    [Fact]
    public void A_replica_that_does_not_stream_fails_streaming_and_lag()
    {
        var good = Good();
        var facts = good with { Provider = good.Provider with { Replica = Observed<ReplicaFact>.Of(new("eu-central-1", true, false, null, null, "walreceiver down")) } };
        Assert.Equal(RuleStatus.Fail, Judge(facts, "replication.streaming").Status);
        Assert.Equal(RuleStatus.Fail, Judge(facts, "replication.lag").Status);
        facts = good with { Provider = good.Provider with { Replica = Observed<ReplicaFact>.Of(new(null, false, false, null, null, "both primary")) } };
        Assert.StartsWith("no replica", Judge(facts, "replication.streaming").Evidence);
    }

    [Fact]
    public void Retention_shorter_than_the_plan_fails_and_the_longest_setting_of_a_class_counts()
    {
        var good = Good();
        BackupFacts Backups(params RetentionFact[] r) => good.Provider.Backups.Value! with { Retention = r };
        var shortDaily = good with { Provider = good.Provider with { Backups = Observed<BackupFacts>.Of(Backups(
            new(BackupClass.Daily, RetentionPeriod.OfDays(5), "rds"), new(BackupClass.Compliance, RetentionPeriod.OfDays(14), "b"), new(BackupClass.Monthly, RetentionPeriod.OfMonths(12), "c"))) } };
        var f = Judge(shortDaily, "backups.retention");
        Assert.Equal(RuleStatus.Fail, f.Status);
        Assert.Contains("daily: 5 days < plan 7 days", f.Evidence);

        var twoSettings = good with { Provider = good.Provider with { Backups = Observed<BackupFacts>.Of(Backups(
            new(BackupClass.Daily, RetentionPeriod.OfDays(5), "rds"), new(BackupClass.Daily, RetentionPeriod.OfDays(35), "plan rule"),
            new(BackupClass.Compliance, RetentionPeriod.Always, "b"), new(BackupClass.Monthly, RetentionPeriod.OfMonths(12), "c"))) } };
        Assert.Equal(RuleStatus.Pass, Judge(twoSettings, "backups.retention").Status);

        var noMonthly = good with { Provider = good.Provider with { Backups = Observed<BackupFacts>.Of(Backups(
            new(BackupClass.Daily, RetentionPeriod.OfDays(7), "a"), new(BackupClass.Compliance, RetentionPeriod.OfDays(14), "b"))) } };
        Assert.Contains("monthly: none", Judge(noMonthly, "backups.retention").Evidence);
    }

    [Fact]
    public void No_copy_in_the_standby_region_fails()
    {
        var good = Good();
        var facts = good with { Provider = good.Provider with { Backups = Observed<BackupFacts>.Of(good.Provider.Backups.Value! with { Copies = [new("eu-central-1", 0, "none")] }) } };
        var f = Judge(facts, "backups.cross-region-copies");
        Assert.Equal(RuleStatus.Fail, f.Status);
        Assert.StartsWith("no backup copy in eu-central-1", f.Evidence);
    }

    [Fact]
    public void PITR_off_or_restorable_only_to_a_point_older_than_the_RPO_fails()
    {
        var good = Good();
        PostureFacts With(PitrFact p) => good with { Provider = good.Provider with { Backups = Observed<BackupFacts>.Of(good.Provider.Backups.Value! with { Pitr = p }) } };
        Assert.Equal(RuleStatus.Fail, Judge(With(new PitrFact(false, null, "off")), "backups.pitr").Status);
        Assert.Equal(RuleStatus.Fail, Judge(With(new PitrFact(true, Now.AddMinutes(-20), "stale")), "backups.pitr").Status);
        Assert.Equal(RuleStatus.Pass, Judge(With(new PitrFact(true, null, "on, no time given")), "backups.pitr").Status);
    }

    [Fact]
    public void An_alarm_missing_or_laxer_than_the_plan_fails_and_a_stricter_one_passes()
    {
        var good = Good();
        PostureFacts With(AlarmShape? lag, AlarmShape? unhealthy) => good with { Provider = good.Provider with { Alarms = Observed<IReadOnlyList<AlarmFact>>.Of(
            [new("lag", "r", Lag(300), lag, "cw"), new("unhealthy", "r", Unhealthy(), unhealthy, "cw")]) } };
        Assert.Equal(RuleStatus.Pass, Judge(With(Lag(120), Unhealthy()), "alarms.plan").Status);          // fires earlier than the plan
        var lax = Judge(With(Lag(600), Unhealthy()), "alarms.plan");
        Assert.Equal(RuleStatus.Fail, lax.Status);
        Assert.Contains("threshold 600, the plan 300", lax.Evidence);
        Assert.Contains("lag (r) missing", Judge(With(null, Unhealthy()), "alarms.plan").Evidence);
        Assert.Contains("5 × 60 s, the plan 2 × 60 s", Judge(With(Lag(300, periods: 5), Unhealthy()), "alarms.plan").Evidence);
        Assert.Equal(RuleStatus.Fail, Judge(With(Lag(300), Unhealthy(0.5)), "alarms.plan").Status);      // "< 0.5" never fires on 0/1 health
    }

    [Theory]
    [InlineData("/health?check=db", true)]
    [InlineData("/health?verbose=1&check=db", true)]
    [InlineData("/health", false)]
    [InlineData("/health?check=dbx", false)]
    public void A_health_check_tests_the_database_only_with_check_db(string path, bool expected) =>
        Assert.Equal(expected, DoctorRules.TestsDatabase(path));

    [Fact]
    public void A_region_without_a_database_health_check_fails()
    {
        var good = Good();
        var facts = good with { Provider = good.Provider with { HealthChecks = Observed<IReadOnlyList<HealthCheckFact>>.Of([new("eu-west-3", "HTTPS a:443", "/health")]) } };
        var f = Judge(facts, "health-checks.database");
        Assert.Equal(RuleStatus.Fail, f.Status);
        Assert.Contains("eu-west-3: HTTPS a:443/health does not test the database", f.Evidence);
        Assert.Contains("eu-central-1: no health check", f.Evidence);
    }

    [Theory]
    [InlineData(30, true, RuleStatus.Pass)]
    [InlineData(92, true, RuleStatus.Pass)]
    [InlineData(93, true, RuleStatus.Fail)]
    [InlineData(10, false, RuleStatus.Fail)]
    public void The_last_passing_drill_must_be_within_the_quarter(int daysAgo, bool passed, RuleStatus expected)
    {
        var facts = Good() with { Drills = Observed<IReadOnlyList<DrillOutcome>>.Of([new(Now.AddDays(-daysAgo), "region-outage", passed, 4)]) };
        Assert.Equal(expected, Judge(facts, "drills.recent").Status);
    }

    [Fact]
    public void A_failed_drill_after_a_recent_passing_one_keeps_the_rule_passing_and_no_drill_fails()
    {
        var facts = Good() with { Drills = Observed<IReadOnlyList<DrillOutcome>>.Of([new(Now.AddDays(-20), "a", true, 4), new(Now.AddDays(-1), "b", false, null)]) };
        Assert.Equal(RuleStatus.Pass, Judge(facts, "drills.recent").Status);
        var none = Judge(Good() with { Drills = Observed<IReadOnlyList<DrillOutcome>>.Of([]) }, "drills.recent");
        Assert.Equal((RuleStatus.Fail, "no drill on record"), (none.Status, none.Evidence));
    }

    [Fact]
    public void Restore_tests_must_be_recent_and_a_provider_without_them_warns()
    {
        Assert.Equal(RuleStatus.Fail, Judge(Good() with { RestoreTests = Observed<IReadOnlyList<RestoreTestResult>>.Of([Passed(Now.AddDays(-9))]) }, "restore-tests.recent").Status);
        Assert.Equal(RuleStatus.Fail, Judge(Good() with { RestoreTests = Observed<IReadOnlyList<RestoreTestResult>>.Of([new RestoreTestResult { At = Now, Error = "no backup" }]) }, "restore-tests.recent").Status);
        Assert.Equal(RuleStatus.Warn, Judge(Good() with { RestoreTests = Observed<IReadOnlyList<RestoreTestResult>>.Inapplicable("aws has none") }, "restore-tests.recent").Status);
    }

    [Fact]
    public void Contacts_with_placeholders_fail_and_one_nobody_can_reach_warns()
    {
        var placeholder = Judge(Good() with { Contacts = [new Contact("[Name]", "[Email]", null, "incident commander")] }, "contacts.complete");
        Assert.Equal(RuleStatus.Fail, placeholder.Status);
        Assert.Contains("'[Name]'", placeholder.Evidence);
        Assert.Equal(RuleStatus.Warn, Judge(Good() with { Contacts = [new Contact("dba", null, null, "database lead")] }, "contacts.complete").Status);
        Assert.Equal(RuleStatus.Fail, Judge(Good() with { Contacts = [] }, "contacts.complete").Status);
    }

    [Fact]
    public void A_broken_audit_chain_fails()
    {
        var f = Judge(Good() with { Audit = Observed<AuditVerification>.Of(new AuditVerification(false, 7, 4, "event 4 was edited")) }, "audit.retention");
        Assert.Equal(RuleStatus.Fail, f.Status);
        Assert.Contains("event 4 was edited", f.Evidence);
    }

    [Fact]
    public void An_RTO_budget_over_the_target_fails_and_shows_each_part()
    {
        var good = Good();
        var facts = good with { Provider = good.Provider with { RtoBudget = [new("detection", TimeSpan.FromMinutes(10), "30 s × 20"), new("promotion", TimeSpan.FromMinutes(6), "budget")] } };
        var f = Judge(facts, "rto.budget");
        Assert.Equal(RuleStatus.Fail, f.Status);
        Assert.Contains("detection 10m (30 s × 20) + promotion 6m (budget) = 16m; target 15m", f.Evidence);
    }

    [Fact]
    public void One_rule_can_be_run_alone()
    {
        var findings = DoctorRules.Evaluate(Good(), DoctorPolicy.Plan, "rto.budget");
        Assert.Equal("rto.budget", Assert.Single(findings).Id);
        Assert.Null(DoctorRules.Find("no.such.rule"));
    }

    [Theory]
    [InlineData(true, "uploads-replica", 15, RuleStatus.Pass)]
    [InlineData(true, "uploads-replica", null, RuleStatus.Fail)]      // replication without RTC: no 15-minute promise
    [InlineData(true, "uploads-replica", 30, RuleStatus.Fail)]
    [InlineData(false, "uploads-replica", 15, RuleStatus.Fail)]       // a disabled rule copies nothing
    [InlineData(true, "somewhere-else", 15, RuleStatus.Fail)]         // not the standby region's bucket
    public void Uploads_must_replicate_to_the_standby_bucket_with_RTC_within_15_minutes(bool enabled, string destination, int? minutes, RuleStatus expected)
    {
        var good = Good();
        var facts = good with { Provider = good.Provider with { ObjectReplication = Observed<ObjectReplicationFact>.Of(
            new("uploads", "eu-west-3", "uploads-replica", [new("all", enabled, destination, minutes)])) } };
        Assert.Equal(expected, Judge(facts, "storage.replication").Status);
        var none = Judge(good with { Provider = good.Provider with { ObjectReplication = Observed<ObjectReplicationFact>.Of(new("uploads", "eu-west-3", null, [])) } }, "storage.replication");
        Assert.Equal((RuleStatus.Fail, "s3://uploads (eu-west-3) has no replication rule"), (none.Status, none.Evidence));
    }
}
