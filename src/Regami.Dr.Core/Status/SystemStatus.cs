using System.Text.Json.Serialization;
using Regami.Dr.Core.Topology;

namespace Regami.Dr.Core.Status;

// The shape of `regami-dr status --output json` (schemas/status.schema.json).
// Serialized camelCase at the edge; field names here are relied on by scripts.

public sealed record SystemStatus(
    string Environment,
    string? PrimaryRegion,
    IReadOnlyList<RegionStatus> Regions,
    TrafficStatus Traffic,
    ReplicationStatus Replication,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] ControllerStatus? Controller = null,
    DateTimeOffset? ObservedAt = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyList<string>? Problems = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] Backups.BackupStatus? Backups = null);

public sealed record RegionStatus(
    string Name,
    RegionRole Role,
    bool Healthy,
    DatabaseStatus Database,
    ComputeStatus Compute,
    LoadBalancerStatus? LoadBalancer = null);

public sealed record DatabaseStatus(
    string State,
    bool Writable,
    string Host,
    int Port,
    string Name,
    long? LagBytes,
    double? LagSeconds,
    bool? InRecovery = null,
    string? Lsn = null,
    int? Timeline = null,
    int? Pid = null,
    string? Detail = null);

public sealed record ComputeStatus(int Desired, int Running, IReadOnlyList<InstanceStatus>? Instances = null);

public sealed record InstanceStatus(string Id, string Url, int? Pid, bool Running, bool? Healthy);

public sealed record LoadBalancerStatus(string Url, bool Running, int? Pid, int? HealthStatusCode);

public sealed record TrafficStatus(
    string Name,
    string? ActiveRegion,
    int TtlSeconds,
    string? AnsweredAddress = null,
    string? Reason = null,
    IReadOnlyDictionary<string, bool>? RoutingControls = null,
    IReadOnlyDictionary<string, bool>? HealthChecks = null);

public sealed record ReplicationStatus(
    ReplicationMode Mode,
    bool Streaming,
    long? LagBytes,
    double? LagSeconds,
    string? SyncState = null,
    string? ReplicaRegion = null);

public sealed record ControllerStatus(string? Url);
