namespace Regami.Dr.Lab.State;

/// <summary>Where the lab keeps everything it owns, below one state directory.</summary>
public sealed class LabPaths(string root)
{
    public string Root { get; } = Path.GetFullPath(root);
    public string StateFile => Path.Combine(Root, "lab.json");
    public string ConfigFile => Path.Combine(Root, "lab-config.json");
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

    /// <summary>
    /// The default state directory: <c>--state-dir</c>, else <c>REGAMI_DR_STATE</c>, else
    /// <c>$XDG_STATE_HOME/regami-dr</c> or <c>~/.local/state/regami-dr</c>. As root the default is
    /// <c>/var/lib/regami-dr</c>: PostgreSQL runs as the <c>postgres</c> user, which cannot enter /root.
    /// </summary>
    public static string DefaultRoot(string? explicitDir, Func<string, string?> env, bool isRoot)
    {
        if (!string.IsNullOrWhiteSpace(explicitDir)) return explicitDir;
        if (env("REGAMI_DR_STATE") is { Length: > 0 } fromEnv) return fromEnv;
        if (isRoot) return "/var/lib/regami-dr";
        if (env("XDG_STATE_HOME") is { Length: > 0 } xdg) return Path.Combine(xdg, "regami-dr");
        var home = env("HOME") is { Length: > 0 } h ? h : Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        return Path.Combine(home, ".local", "state", "regami-dr");
    }
}
