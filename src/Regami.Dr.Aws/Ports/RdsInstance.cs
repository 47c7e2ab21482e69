using System.Text.Json.Nodes;

namespace Regami.Dr.Aws.Ports;

/// <summary>What describe-db-instances says about one instance, read once into names the ports use.</summary>
public sealed record RdsInstance(
    string Identifier,
    string Arn,
    string Status,
    string? ReplicaSource,
    IReadOnlyList<string> Replicas,
    IReadOnlyList<string> SecurityGroups,
    bool Encrypted,
    string? KmsKeyId,
    int BackupRetentionDays,
    string InstanceClass,
    int AllocatedStorageGiB,
    string? Host,
    int Port,
    IReadOnlyDictionary<string, string> Tags)
{
    /// <summary>Statuses in which the instance answers clients (RDS keeps serving while backing up or modifying).</summary>
    private static readonly HashSet<string> ServingStatuses =
        ["available", "backing-up", "modifying", "configuring-enhanced-monitoring", "configuring-log-exports", "storage-optimization", "maintenance", "upgrading", "renaming", "resetting-master-credentials", "configuring-iam-database-auth"];

    public bool Serving => ServingStatuses.Contains(Status);

    public bool Stopped => Status is "stopped" or "stopping";

    /// <summary>
    /// A read replica not yet promoted. RDS clears the source after promote-read-replica; the tag
    /// we write at promotion also counts, because some emulators (moto) keep the source field.
    /// </summary>
    public bool IsReplica => ReplicaSource is not null && !Tags.ContainsKey(Cli.AwsCommands.PromotedAtTag);

    /// <summary>Serves only through the fence security group: no client can open a connection.</summary>
    public bool IsFenced(string fenceGroup) => SecurityGroups.Count > 0 && SecurityGroups.All(g => g == fenceGroup);

    public DateTimeOffset? FencedAt => Tags.TryGetValue(Cli.AwsCommands.FencedAtTag, out var t) && DateTimeOffset.TryParse(t, out var at) ? at : null;

    public static RdsInstance Parse(JsonNode body)
    {
        var i = body["DBInstances"]?[0] ?? throw new FormatException("describe-db-instances returned no instance");
        string? S(string name) => i[name]?.GetValue<string>();
        var tags = (i["TagList"] as JsonArray ?? []).Where(t => t?["Key"] is not null)
            .ToDictionary(t => t!["Key"]!.GetValue<string>(), t => t!["Value"]?.GetValue<string>() ?? "");
        return new RdsInstance(
            S("DBInstanceIdentifier") ?? "",
            S("DBInstanceArn") ?? "",
            S("DBInstanceStatus") ?? "unknown",
            string.IsNullOrEmpty(S("ReadReplicaSourceDBInstanceIdentifier")) ? null : S("ReadReplicaSourceDBInstanceIdentifier"),
            (i["ReadReplicaDBInstanceIdentifiers"] as JsonArray ?? []).Select(r => r!.GetValue<string>()).ToList(),
            (i["VpcSecurityGroups"] as JsonArray ?? []).Where(g => g?["Status"]?.GetValue<string>() is not ("removing" or "inactive"))
                .Select(g => g!["VpcSecurityGroupId"]!.GetValue<string>()).ToList(),
            i["StorageEncrypted"]?.GetValue<bool>() ?? false,
            S("KmsKeyId"),
            i["BackupRetentionPeriod"]?.GetValue<int>() ?? 0,
            S("DBInstanceClass") ?? "",
            i["AllocatedStorage"]?.GetValue<int>() ?? 0,
            i["Endpoint"]?["Address"]?.GetValue<string>(),
            i["Endpoint"]?["Port"]?.GetValue<int>() ?? 5432,
            tags);
    }
}
