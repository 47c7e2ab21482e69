using Regami.Dr.Core.Backups;
using Regami.Dr.Lab.Postgres;
using Regami.Dr.Lab.Processes;
using Regami.Dr.Lab.State;

namespace Regami.Dr.Lab.Backups;

/// <summary>What the lab records of a restored instance (instance.json in its directory).</summary>
public sealed class RestoreRecord
{
    public string Name { get; set; } = "";
    public string Region { get; set; } = "";
    public string Host { get; set; } = "";
    public int Port { get; set; }
    public string Source { get; set; } = "";
    public string BackupId { get; set; } = "";
    public string BackupLabel { get; set; } = "";
    public DateTimeOffset CreatedAt { get; set; }
    /// <summary>The regami-dr process restoring it: while it lives, the backup is in use (a prune keeps it).</summary>
    public int? RestoringPid { get; set; }
    public double? Seconds { get; set; }
    public string? Error { get; set; }
}

/// <summary>
/// Databases restored beside the lab's, each in its own directory below its region
/// (<c>regions/R/restores/NAME</c>), on its own port: the running primary is never overwritten.
/// </summary>
public sealed class RestoredInstances(LabEnvironment env)
{
    /// <summary>Restored instances listen from here upwards on their region's address.</summary>
    public int FirstPort => env.Options.Ports.Postgres + 100;

    public string Directory(string region, string name) => Path.Combine(env.Paths.RestoresDirectory(region), name);
    public string DataDirectory(string region, string name) => Path.Combine(Directory(region, name), "pgdata");
    private string RecordFile(string region, string name) => Path.Combine(Directory(region, name), "instance.json");
    public string LogFile(string region, string name) => Path.Combine(Directory(region, name), "postgres.log");

    public IReadOnlyList<RestoreRecord> Records()
    {
        var list = new List<RestoreRecord>();
        foreach (var r in env.Options.Regions)
        {
            var root = env.Paths.RestoresDirectory(r.Name);
            if (!System.IO.Directory.Exists(root)) continue;
            foreach (var dir in System.IO.Directory.GetDirectories(root).Order(StringComparer.Ordinal))
                if (LabJson.Read<RestoreRecord>(Path.Combine(dir, "instance.json")) is { } rec) list.Add(rec);
        }
        return list;
    }

    public void Save(RestoreRecord record) => LabJson.WriteAtomically(RecordFile(record.Region, record.Name), record);

    public PostgresCluster Cluster(RestoreRecord r) =>
        new(env.Binaries(), env.Runner, DataDirectory(r.Region, r.Name), r.Host, r.Port, LogFile(r.Region, r.Name));

    public bool IsRestoring(RestoreRecord r) => r.RestoringPid is { } pid && Posix.IsAlive(pid);

    public RestoredInstance View(RestoreRecord r) => new()
    {
        Name = r.Name,
        Region = r.Region,
        Host = r.Host,
        Port = r.Port,
        Database = env.Options.Database.Name,
        User = env.Options.Database.User,
        Source = r.Source,
        BackupLabel = r.BackupLabel,
        CreatedAt = r.CreatedAt,
        State = IsRestoring(r) ? "restoring" : r.Error is not null ? "failed" : Cluster(r).IsRunning() ? "running" : "stopped",
        Seconds = r.Seconds,
    };

    /// <summary>A free port on <paramref name="address"/> no other restored instance has.</summary>
    public int FreePort(string address)
    {
        var taken = Records().Where(r => r.Host == address).Select(r => r.Port).ToHashSet();
        for (var port = FirstPort; port < FirstPort + 400; port++)
            if (!taken.Contains(port) && PortProbe.IsFree(address, port)) return port;
        throw new LabException($"no free port for a restored instance on {address} between {FirstPort} and {FirstPort + 399}; drop some (`regami-dr restore list`)");
    }

    /// <summary>Stops a restored instance (a fast shutdown; killed when it does not stop).</summary>
    public async Task<bool> StopAsync(RestoreRecord r, CancellationToken ct)
    {
        var cluster = Cluster(r);
        if (!cluster.IsRunning()) return false;
        var pid = cluster.PostmasterPid()!.Value;
        try { await cluster.StopAsync("fast", ct); }
        catch (CommandFailedException) { Posix.Signal(pid, Posix.SIGKILL); }
        return true;
    }

    /// <summary>Stops every restored instance (`lab down`); their files stay unless the lab is purged.</summary>
    public async Task<IReadOnlyList<string>> StopAllAsync(CancellationToken ct)
    {
        var stopped = new List<string>();
        foreach (var r in Records())
            if (await StopAsync(r, ct)) stopped.Add($"restored instance {r.Name} ({r.Host}:{r.Port})");
        return stopped;
    }
}
