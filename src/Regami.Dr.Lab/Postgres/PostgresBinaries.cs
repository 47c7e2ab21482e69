using Regami.Dr.Lab.State;

namespace Regami.Dr.Lab.Postgres;

/// <summary>Finds PostgreSQL's server programs (initdb, pg_ctl, pg_basebackup, pg_rewind).</summary>
public sealed record PostgresBinaries(string Directory)
{
    public const string InstallHint = "install the PostgreSQL 15 server: `apt-get install -y postgresql` (as root; on Debian 12 that is PostgreSQL 15)";

    public string InitDb => Path.Combine(Directory, "initdb");
    public string PgCtl => Path.Combine(Directory, "pg_ctl");
    public string PgBaseBackup => Path.Combine(Directory, "pg_basebackup");
    public string PgRewind => Path.Combine(Directory, "pg_rewind");
    public string PgControlData => Path.Combine(Directory, "pg_controldata");

    public static PostgresBinaries Locate(string? configured)
    {
        var candidates = new List<string>();
        if (!string.IsNullOrWhiteSpace(configured)) candidates.Add(configured);
        else
        {
            if (Environment.GetEnvironmentVariable("REGAMI_DR_PG_BIN") is { Length: > 0 } env) candidates.Add(env);
            // Debian keeps server binaries off PATH, one directory per major version; prefer 15, accept newer.
            foreach (var v in new[] { 15, 16, 17, 18 }) candidates.Add($"/usr/lib/postgresql/{v}/bin");
            foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)) candidates.Add(dir);
        }
        foreach (var dir in candidates)
        {
            if (File.Exists(Path.Combine(dir, "initdb")) && File.Exists(Path.Combine(dir, "pg_ctl")) && File.Exists(Path.Combine(dir, "pg_basebackup")))
                return new PostgresBinaries(dir);
        }
        var where = string.IsNullOrWhiteSpace(configured) ? "in /usr/lib/postgresql/*/bin or on PATH" : $"in {configured} (database.binDirectory)";
        throw new LabException($"PostgreSQL server programs (initdb, pg_ctl, pg_basebackup) not found {where}; {InstallHint}") { ExitCode = 2 };
    }
}
