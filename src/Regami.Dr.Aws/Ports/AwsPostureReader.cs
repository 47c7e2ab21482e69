using System.Text.Json.Nodes;
using Regami.Dr.Aws.Cli;
using Regami.Dr.Core.Backups;
using Regami.Dr.Core.Configuration;
using Regami.Dr.Core.Doctor;
using Regami.Dr.Core.Ports;

namespace Regami.Dr.Aws.Ports;

/// <summary>
/// AWS's half of `regami-dr doctor`: RDS (encryption, the read replica, automated backups and
/// PITR), CloudWatch ReplicaLag and alarms, S3 default encryption, the AWS Backup plan's rules and
/// copy actions, and the Route 53 health checks. Reads only; each family is read on its own, so
/// an API out of reach makes only its rules unknown.
/// </summary>
public sealed class AwsPostureReader(AwsContext aws, ITopologyPort topology, DrConfiguration config) : IPostureReader
{
    public IReadOnlyList<string> AllowedRegions => aws.Section.AllowedRegions;

    public async Task<ProviderPosture> ReadAsync(CancellationToken ct)
    {
        var roles = await topology.GetAsync(ct);
        var primary = roles.Primary ?? config.PrimaryRegion.Name;
        var standby = roles.Others(primary).First();
        var databases = Observe.TryAsync(ReadDatabasesAsync, ct);
        var buckets = ReadBucketsAsync(ct);
        var objectReplication = ReadObjectReplicationAsync(primary, standby, ct);
        var replica = Observe.TryAsync(c => ReadReplicaAsync(standby, c), ct);
        var backups = Observe.TryAsync(c => ReadBackupsAsync(primary, c), ct);
        var alarms = Observe.TryAsync(c => ReadAlarmsAsync(primary, standby, c), ct);
        var checks = Observe.TryAsync(ReadHealthChecksAsync, ct);
        return new ProviderPosture(await databases, await buckets, await objectReplication, await replica, await backups, await alarms, await checks,
            RtoProjection.For(config, aws.Section).Parts.Select(p => new RtoPartFact(p.Name, p.Duration, p.Source)).ToList());
    }

    private async Task<IReadOnlyList<EncryptionFact>> ReadDatabasesAsync(CancellationToken ct) =>
        await Task.WhenAll(config.Regions.Select(async r =>
        {
            var db = RdsInstance.Parse(await aws.CallAsync(aws.Commands.DescribeDbInstance(r.Name), ct));
            return new EncryptionFact($"RDS {db.Identifier}", r.Name, db.Encrypted, db.KmsKeyId);
        }));

    private async Task<Observed<IReadOnlyList<EncryptionFact>>> ReadBucketsAsync(CancellationToken ct)
    {
        var named = config.Regions.Select(r => (Region: r.Name, Bucket: aws.Section.Region(r.Name).UploadsBucket)).Where(x => x.Bucket.Length > 0).ToList();
        if (named.Count == 0)
            return Observed<IReadOnlyList<EncryptionFact>>.Inapplicable("no bucket is named in aws.regions.<region>.uploadsBucket, so none is checked (`config from-terraform` fills them)");
        return await Observe.TryAsync<IReadOnlyList<EncryptionFact>>(async c => await Task.WhenAll(named.Select(async x =>
        {
            try
            {
                var rule = (await aws.CallAsync(AwsCommands.GetBucketEncryption(x.Region, x.Bucket), c))["ServerSideEncryptionConfiguration"]?["Rules"]?[0]?["ApplyServerSideEncryptionByDefault"];
                var algorithm = rule?["SSEAlgorithm"]?.GetValue<string>();
                var key = rule?["KMSMasterKeyID"]?.GetValue<string>();
                return new EncryptionFact($"s3://{x.Bucket}", x.Region, algorithm is not null, algorithm is null ? null : key is null ? algorithm : $"{algorithm} {key}");
            }
            catch (AwsServiceException e) when (e.Code == "ServerSideEncryptionConfigurationNotFoundError")
            {
                return new EncryptionFact($"s3://{x.Bucket}", x.Region, false);
            }
        })), ct);
    }

    /// <summary>The primary's uploads bucket replication rules (S3 keeps them on the source bucket).</summary>
    private async Task<Observed<ObjectReplicationFact>> ReadObjectReplicationAsync(string primary, string standby, CancellationToken ct)
    {
        var source = aws.Section.Region(primary).UploadsBucket;
        if (source.Length == 0)
            return Observed<ObjectReplicationFact>.Inapplicable($"no uploads bucket is named for {primary} (aws.regions.{primary}.uploadsBucket), so none is checked");
        var target = aws.Section.Region(standby).UploadsBucket;
        return await Observe.TryAsync(async c =>
        {
            JsonNode body;
            try { body = await aws.CallAsync(AwsCommands.GetBucketReplication(primary, source), c); }
            catch (AwsServiceException e) when (e.Code == "ReplicationConfigurationNotFoundError")
            {
                return new ObjectReplicationFact(source, primary, target.Length > 0 ? target : null, []);
            }
            var rules = (body["ReplicationConfiguration"]?["Rules"]?.AsArray() ?? []).Select(r => new ReplicationRuleFact(
                r?["ID"]?.GetValue<string>() ?? "(no id)",
                r?["Status"]?.GetValue<string>() == "Enabled",
                (r?["Destination"]?["Bucket"]?.GetValue<string>() ?? "").Split(":::").Last(),
                r?["Destination"]?["ReplicationTime"] is { } rtc && rtc["Status"]?.GetValue<string>() == "Enabled" ? (int?)(Number(rtc["Time"]?["Minutes"]) ?? 0) : null)).ToList();
            return new ObjectReplicationFact(source, primary, target.Length > 0 ? target : null, rules);
        }, ct);
    }

    private async Task<ReplicaFact> ReadReplicaAsync(string standby, CancellationToken ct)
    {
        RdsInstance db;
        try { db = RdsInstance.Parse(await aws.CallAsync(aws.Commands.DescribeDbInstance(standby), ct)); }
        catch (AwsServiceException e) when (e.IsNotFound) { return new ReplicaFact(standby, false, false, null, null, e.Message); }
        if (!db.IsReplica) return new ReplicaFact(standby, false, false, null, null, $"RDS {db.Identifier} in {standby} is not a read replica (status {db.Status})");
        var lag = await new CloudWatchReplicaLag(aws).LatestAsync(standby, TimeSpan.FromMinutes(15), ct);
        var streams = db.Serving && lag is not null;
        var detail = $"RDS {db.Identifier} replicates {db.ReplicaSource} (status {db.Status}); "
            + (lag is null ? "no ReplicaLag datapoint in the last 15 min" : $"ReplicaLag {lag.Seconds:0} s at {lag.At:HH:mm}Z");
        // CloudWatch's sample is up to a minute old: count its age as lag too, as the RPO guard does.
        var seconds = lag is null ? (double?)null : lag.Seconds + Math.Max(0, (aws.Time.GetUtcNow() - lag.At).TotalSeconds);
        return new ReplicaFact(standby, true, streams, seconds, null, detail);
    }

    private async Task<BackupFacts> ReadBackupsAsync(string primary, CancellationToken ct)
    {
        var body = await aws.CallAsync(aws.Commands.DescribeDbInstance(primary), ct);
        var db = RdsInstance.Parse(body);
        var restorable = body["DBInstances"]?[0]?["LatestRestorableTime"]?.GetValue<string>() is { } t && DateTimeOffset.TryParse(t, out var at) ? at : (DateTimeOffset?)null;
        var retention = new List<RetentionFact>();
        var copies = new Dictionary<string, List<string>>();
        if (db.BackupRetentionDays > 0)
            retention.Add(new(BackupClass.Daily, RetentionPeriod.OfDays(db.BackupRetentionDays), $"RDS {db.Identifier} automated backups"));
        if (aws.Section.BackupPlanId.Length > 0)
        {
            var plan = await aws.CallAsync(aws.Commands.GetBackupPlan(primary), ct);
            foreach (var rule in plan["BackupPlan"]?["Rules"]?.AsArray() ?? [])
            {
                var name = rule?["RuleName"]?.GetValue<string>() ?? "";
                var kept = Kept(rule?["Lifecycle"]);
                if (ClassOf(name) is { } cls) retention.Add(new(cls, kept, $"backup plan rule {name}"));
                foreach (var copy in rule?["CopyActions"]?.AsArray() ?? [])
                {
                    var vault = copy?["DestinationBackupVaultArn"]?.GetValue<string>() ?? "";
                    var parts = vault.Split(':');
                    if (parts.Length < 4) continue;
                    if (!copies.TryGetValue(parts[3], out var rules)) copies[parts[3]] = rules = [];
                    rules.Add($"{name} → {vault.Split(':').Last()} kept {Describe(Kept(copy?["Lifecycle"]))}");
                }
            }
        }
        var copyFacts = config.Regions.Where(r => r.Name != primary).Select(r => copies.TryGetValue(r.Name, out var rules)
            ? new CopyFact(r.Name, rules.Count, $"backup plan copy actions: {string.Join(", ", rules)}")
            : new CopyFact(r.Name, 0, aws.Section.BackupPlanId.Length > 0 ? $"no rule of backup plan {aws.Section.BackupPlanId} copies to {r.Name}" : "no aws.backupPlanId configured")).ToList();
        var pitr = db.BackupRetentionDays > 0
            ? new PitrFact(true, restorable, $"RDS {db.Identifier}: automated backups kept {db.BackupRetentionDays} days{(restorable is { } r ? $", restorable up to {r:yyyy-MM-ddTHH:mm:ssZ}" : "")}")
            : new PitrFact(false, null, $"RDS {db.Identifier}: automated backups are off (BackupRetentionPeriod 0), so no point-in-time recovery");
        return new BackupFacts("RDS automated backups + AWS Backup", retention, copyFacts, pitr);
    }

    /// <summary>Rules are told apart by name, as the Terraform module names them (daily, compliance, monthly).</summary>
    private static BackupClass? ClassOf(string ruleName) =>
        ruleName.Contains("daily", StringComparison.OrdinalIgnoreCase) ? BackupClass.Daily
        : ruleName.Contains("compliance", StringComparison.OrdinalIgnoreCase) || ruleName.Contains("weekly", StringComparison.OrdinalIgnoreCase) ? BackupClass.Compliance
        : ruleName.Contains("monthly", StringComparison.OrdinalIgnoreCase) ? BackupClass.Monthly
        : null;

    private static RetentionPeriod Kept(JsonNode? lifecycle) =>
        lifecycle?["DeleteAfterDays"]?.GetValue<long>() is { } days and > 0 ? RetentionPeriod.OfDays((int)Math.Min(days, 100_000)) : RetentionPeriod.Always;

    private static string Describe(RetentionPeriod r) => r.Forever ? "forever" : $"{r.Days} days";

    private async Task<IReadOnlyList<AlarmFact>> ReadAlarmsAsync(string primary, string standby, CancellationToken ct)
    {
        var wanted = AwsPlanAlarms.For(config, aws.Section, primary, standby);
        var found = new Dictionary<string, JsonNode>();
        foreach (var group in wanted.GroupBy(a => a.Region))
        {
            var body = await aws.CallAsync(aws.Commands.DescribeAlarms(group.Key, group.Select(a => a.Name)), ct);
            foreach (var a in body["MetricAlarms"]?.AsArray() ?? [])
                if (a?["AlarmName"]?.GetValue<string>() is { } name) found[name] = a;
        }
        return wanted.Select(w => new AlarmFact(w.Name, w.Region, Shape(w.Definition), found.TryGetValue(w.Name, out var d) ? Shape(d) : null,
            $"CloudWatch {w.Region}")).ToList();
    }

    private static AlarmShape Shape(JsonNode a)
    {
        var dims = string.Join(",", (a["Dimensions"]?.AsArray() ?? []).Select(d => $"{d?["Name"]}={d?["Value"]}"));
        return new AlarmShape($"{a["Namespace"]}/{a["MetricName"]}[{dims}]", a["ComparisonOperator"]?.GetValue<string>() ?? "",
            Number(a["Threshold"]) ?? double.NaN, (int)(Number(a["Period"]) ?? 0), (int)(Number(a["EvaluationPeriods"]) ?? 0));
    }

    /// <summary>A JSON number whatever CLR type it was written from (the plan's definitions hold ints, CloudWatch answers doubles).</summary>
    private static double? Number(JsonNode? n) =>
        n is JsonValue v && double.TryParse(v.ToJsonString(), System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var d) ? d : null;

    private async Task<IReadOnlyList<HealthCheckFact>> ReadHealthChecksAsync(CancellationToken ct) =>
        await Task.WhenAll(config.Regions.Select(async r =>
        {
            var c = (await aws.CallAsync(aws.Commands.GetHealthCheck(r.Name), ct))["HealthCheck"]?["HealthCheckConfig"];
            var target = $"{c?["Type"]?.GetValue<string>()} {c?["FullyQualifiedDomainName"]?.GetValue<string>() ?? c?["IPAddress"]?.GetValue<string>()}:{c?["Port"]}";
            return new HealthCheckFact(r.Name, target, c?["ResourcePath"]?.GetValue<string>() ?? "");
        }));
}
