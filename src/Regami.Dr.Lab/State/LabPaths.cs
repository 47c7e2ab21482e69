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
    /// <summary>Health verifications written by runbooks: the DNS server counts a freshly verified region healthy at once.</summary>
    public string VerifiedHealthyFile => Path.Combine(TrafficDirectory, "verified-healthy.json");
    public string DnsStatusFile => Path.Combine(TrafficDirectory, "dns-status.json");
    public string RegionDirectory(string region) => Path.Combine(Root, "regions", region);
    public string PgData(string region) => Path.Combine(RegionDirectory(region), "pgdata");
    public string PgLog(string region) => Path.Combine(LogDirectory, $"postgres-{region}.log");
    public string WalArchive(string region) => Path.Combine(RegionDirectory(region), "wal-archive");
    /// <summary>The region's backup repository (pgBackRest repoN): a backup copied here survives the loss of the other region.</summary>
    public string BackupRepository(string region) => Path.Combine(RegionDirectory(region), "backups");
    /// <summary>The backup engine's own files: its configuration, logs, locks, spool; and our record of verifications.</summary>
    public string BackupDirectory => Path.Combine(Root, "backups");
    public string BackupConfigFile => Path.Combine(BackupDirectory, "pgbackrest.conf");
    public string VerificationsFile => Path.Combine(BackupDirectory, "verifications.json");
    public string RestoreTestsFile => Path.Combine(BackupDirectory, "restore-tests.json");
    /// <summary>Scratch instances of `backup verify` and the restore test; deleted after each use.</summary>
    public string ScratchDirectory => Path.Combine(BackupDirectory, "scratch");
    /// <summary>Instances restored from backups (`regami-dr restore`), one directory each.</summary>
    public string RestoresDirectory(string region) => Path.Combine(RegionDirectory(region), "restores");
    /// <summary>
    /// The directory of the region's PostgreSQL socket (the backup engine connects through it). A
    /// socket path must stay under ~107 bytes: a deep state directory gets a short one in /tmp.
    /// </summary>
    public string SocketDirectory(string region)
    {
        var dir = Path.Combine(RegionDirectory(region), "run");
        if (dir.Length + "/.s.PGSQL.65535".Length <= 100) return dir;
        var hash = Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(Root)))[..10].ToLowerInvariant();
        return Path.Combine("/tmp", $"regami-dr-{hash}", region);
    }
    public string InstancesFile(string region) => Path.Combine(RegionDirectory(region), "instances.json");
    public string Log(string name) => Path.Combine(LogDirectory, name + ".log");
}
