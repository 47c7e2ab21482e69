namespace Regami.Dr.Lab.State;

/// <summary>Where the lab keeps everything it owns, below one state directory.</summary>
public sealed class LabPaths(string root)
{
    public string Root { get; } = Path.GetFullPath(root);
    public string StateFile => Path.Combine(Root, "lab.json");
    /// <summary>The configuration the lab was created with (regami-dr.yaml layout).</summary>
    public string ConfigFile => Path.Combine(Root, "regami-dr.yaml");
    /// <summary>Where labs created before regami-dr.yaml kept their configuration (the old layout, as JSON).</summary>
    public string LegacyConfigFile => Path.Combine(Root, "lab-config.json");
    public string LockFile => Path.Combine(Root, "lab.lock");
    public string LogDirectory => Path.Combine(Root, "logs");
    public string TrafficDirectory => Path.Combine(Root, "traffic");
    public string RoutingControlsFile => Path.Combine(TrafficDirectory, "routing-controls.json");
    public string DnsStatusFile => Path.Combine(TrafficDirectory, "dns-status.json");
    public string RegionDirectory(string region) => Path.Combine(Root, "regions", region);
    public string PgData(string region) => Path.Combine(RegionDirectory(region), "pgdata");
    public string PgLog(string region) => Path.Combine(LogDirectory, $"postgres-{region}.log");
    public string WalArchive(string region) => Path.Combine(RegionDirectory(region), "wal-archive");
    public string InstancesFile(string region) => Path.Combine(RegionDirectory(region), "instances.json");
    public string Log(string name) => Path.Combine(LogDirectory, name + ".log");
}
