using System.Text.Json;
using System.Text.Json.Serialization;
using Regami.Dr.Core.Topology;

namespace Regami.Dr.Lab.State;

/// <summary>
/// What the lab supervisor started and what it believes: pids, ports, roles, desired counts,
/// faults. Written after every process start, so that after a crash of the supervisor
/// `lab down` can still stop everything by pid.
/// </summary>
public sealed class LabState
{
    public int Version { get; set; } = 1;
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }
    public Dictionary<string, RegionState> Regions { get; set; } = [];
    public ProcessRecord? Dns { get; set; }
    public ProcessRecord? Controller { get; set; }
    /// <summary>Whether `lab up` (and heal) run a controller for this lab (`--no-controller` turns it off).</summary>
    public bool ControllerEnabled { get; set; } = true;
    public List<FaultRecord> Faults { get; set; } = [];

    public RegionState Region(string name) => Regions.TryGetValue(name, out var r) ? r : Regions[name] = new RegionState { Name = name };
}

public sealed class RegionState
{
    public string Name { get; set; } = "";
    public string Address { get; set; } = "";
    public int PostgresPort { get; set; }
    public int? PostmasterPid { get; set; }
    public int DesiredInstances { get; set; }
    public List<InstanceRecord> Instances { get; set; } = [];
    public ProcessRecord? LoadBalancer { get; set; }
}

public sealed class InstanceRecord
{
    public string Id { get; set; } = "";
    public int Port { get; set; }
    public string Url { get; set; } = "";
    public int? Pid { get; set; }
    public DateTimeOffset? StartTime { get; set; }
}

public sealed class ProcessRecord
{
    public int Pid { get; set; }
    public string Url { get; set; } = "";
    public DateTimeOffset StartedAt { get; set; }
}

public sealed class FaultRecord
{
    public string Kind { get; set; } = "";
    public string Region { get; set; } = "";
    public DateTimeOffset At { get; set; }
    public DateTimeOffset? HealedAt { get; set; }
    public string Detail { get; set; } = "";
}

public static class LabJson
{
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    /// <summary>Write via a temporary file and rename, so readers never see half a file.</summary>
    public static void WriteAtomically<T>(string path, T value)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var tmp = $"{path}.{Environment.ProcessId}.tmp";
        File.WriteAllText(tmp, JsonSerializer.Serialize(value, Options));
        File.Move(tmp, path, overwrite: true);
    }

    public static T? Read<T>(string path) where T : class =>
        File.Exists(path) ? JsonSerializer.Deserialize<T>(File.ReadAllText(path), Options) : null;
}
