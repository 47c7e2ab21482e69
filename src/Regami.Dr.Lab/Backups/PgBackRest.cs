using System.Text.Json;
using Regami.Dr.Lab.Processes;
using Regami.Dr.Lab.State;

namespace Regami.Dr.Lab.Backups;

/// <summary>A backup as pgBackRest's <c>info --output=json</c> lists it (only completed backups are listed).</summary>
public sealed record EngineBackup(string Label, int Repo, string Type, DateTimeOffset Start, DateTimeOffset Stop, long DatabaseBytes, long RepositoryBytes,
    string? Prior, IReadOnlyDictionary<string, string> Annotations, bool PageErrors);

/// <summary>What `pgbackrest verify` says of one repository: its status and the files it named.</summary>
public sealed record EngineVerify(bool Valid, IReadOnlyList<string> Problems);

/// <summary>
/// The lab's backup engine, pgBackRest (Debian package <c>pgbackrest</c>): one stanza, one
/// repository per region (repo1 = the first region's directory, repo2 = the second's), WAL
/// pushed to both by <c>archive-push</c>. Its own expiry is switched off (retention 9999999):
/// what is deleted is decided by <see cref="Core.Backups.RetentionPolicy"/>.
/// </summary>
public sealed class PgBackRest(LabEnvironment env)
{
    public const string Stanza = "regami";
    public const string InstallHint = "install pgBackRest, the lab's backup engine: `apt-get install -y pgbackrest` (as root)";
    private static readonly TimeSpan ShortTimeout = TimeSpan.FromMinutes(2);
    private static readonly TimeSpan LongTimeout = TimeSpan.FromHours(2);
    private LabPaths Paths => env.Paths;

    /// <summary>The pgbackrest program (archive_command names it by its full path: PostgreSQL's environment has a minimal PATH).</summary>
    public static string Locate()
    {
        foreach (var dir in new[] { "/usr/bin", "/usr/local/bin" }.Concat((Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)))
        {
            var candidate = Path.Combine(dir, "pgbackrest");
            if (File.Exists(candidate)) return candidate;
        }
        throw new LabException($"pgbackrest not found in /usr/bin or on PATH; {InstallHint}") { ExitCode = 2 };
    }

    /// <summary>1-based repository number of a region (its position in the configuration).</summary>
    public int RepoOf(string region)
    {
        var i = env.Options.Regions.Select(r => r.Name).ToList().IndexOf(region);
        if (i < 0) throw new LabException($"unknown region '{region}'") { ExitCode = 2 };
        return i + 1;
    }

    public string RegionOfRepo(int repo) => env.Options.Regions[repo - 1].Name;

    /// <summary>
    /// The archive_command every lab node carries. PostgreSQL runs it with the data directory as
    /// its working directory and gives %p relative to it; pgBackRest wants the data directory, so
    /// the shell passes its own. The same line works on every node (it is copied between regions).
    /// </summary>
    public static string ArchiveCommand(string program, string configFile)
    {
        if (configFile.IndexOfAny(['\'', '"', '$', '`', '\\']) >= 0 || program.IndexOfAny(['\'', '"', '$', '`', '\\']) >= 0)
            throw new LabException($"the state directory {configFile} contains a quote, '$', '`' or '\\', which PostgreSQL's archive_command cannot carry; choose another --state-dir") { ExitCode = 2 };
        return $"\"{program}\" --config=\"{configFile}\" --stanza={Stanza} --pg1-path=\"$(pwd)\" archive-push %p";
    }

    /// <summary>Writes the engine's configuration and its directories (idempotent). The repositories' paths are absolute: the file is the same for every node.</summary>
    public void WriteConfiguration()
    {
        Directory.CreateDirectory(Paths.BackupDirectory);
        foreach (var sub in new[] { "log", "lock", "spool" }) Directory.CreateDirectory(Path.Combine(Paths.BackupDirectory, sub));
        var lines = new List<string> { "# Written by regami-dr (the lab's backup engine). Retention is regami-dr's: `regami-dr backup prune`.", "[global]" };
        foreach (var r in env.Options.Regions)
        {
            var n = RepoOf(r.Name);
            Directory.CreateDirectory(Paths.BackupRepository(r.Name));
            lines.Add($"repo{n}-path={Paths.BackupRepository(r.Name)}");
            lines.Add($"repo{n}-retention-full=9999999");
        }
        lines.AddRange([
            $"log-path={Path.Combine(Paths.BackupDirectory, "log")}",
            $"lock-path={Path.Combine(Paths.BackupDirectory, "lock")}",
            $"spool-path={Path.Combine(Paths.BackupDirectory, "spool")}",
            "log-level-console=warn",
            "log-level-file=info",
            "start-fast=y",
            "compress-type=lz4",
            "process-max=2",
            $"[{Stanza}]",
            $"pg1-user={env.Options.Database.User}",
        ]);
        var text = string.Join('\n', lines) + "\n";
        if (!File.Exists(Paths.BackupConfigFile) || File.ReadAllText(Paths.BackupConfigFile) != text) File.WriteAllText(Paths.BackupConfigFile, text);
        if (env.IsRoot) Posix.ChownToPostgres(Paths.BackupDirectory, recursive: true);
        if (env.IsRoot) foreach (var r in env.Options.Regions) Posix.ChownToPostgres(Paths.BackupRepository(r.Name), recursive: true);
    }

    private string Program => Locate();

    private IEnumerable<string> Common => [$"--config={Paths.BackupConfigFile}", $"--stanza={Stanza}"];

    /// <summary>How pgBackRest reaches the database of <paramref name="region"/>: its data directory and its socket.</summary>
    private IEnumerable<string> Database(string region) =>
        [$"--pg1-path={Paths.PgData(region)}", $"--pg1-socket-path={Paths.SocketDirectory(region)}", $"--pg1-port={env.Options.Ports.Postgres}"];

    private Task<CommandResult> RunAsync(IEnumerable<string> args, TimeSpan timeout, CancellationToken ct, bool check = true) =>
        env.Runner.RunPostgresAsync(Program, Common.Concat(args), timeout, ct, check);

    /// <summary>
    /// stanza-create against the primary when a repository lacks the stanza (idempotent): at the first
    /// `lab up`, and again after a repository was lost (stanza-create re-creates the missing one and
    /// checks the others against the database). A `lab up` with every repository in place pays nothing.
    /// </summary>
    public async Task EnsureStanzaAsync(string primaryRegion, CancellationToken ct)
    {
        if (env.Options.Regions.All(r => File.Exists(Path.Combine(Paths.BackupRepository(r.Name), "backup", Stanza, "backup.info")))) return;
        WriteConfiguration();
        await RunAsync(["stanza-create", .. Database(primaryRegion)], ShortTimeout, ct);
    }

    /// <summary>A backup of the primary into one repository; returns the new backup's label.</summary>
    public async Task<string> BackupAsync(string primaryRegion, int repo, bool differential, IReadOnlyDictionary<string, string> annotations, CancellationToken ct)
    {
        WriteConfiguration();
        var before = (await InfoAsync(ct)).Select(b => (b.Label, b.Repo)).ToHashSet();
        var args = new List<string> { "backup", $"--repo={repo}", $"--type={(differential ? "diff" : "full")}" };
        args.AddRange(Database(primaryRegion));
        args.AddRange(annotations.Select(a => $"--annotation={a.Key}={a.Value}"));
        await RunAsync(args, LongTimeout, ct);
        var added = (await InfoAsync(ct)).Where(b => b.Repo == repo && !before.Contains((b.Label, b.Repo))).OrderByDescending(b => b.Stop).FirstOrDefault();
        return added?.Label ?? throw new LabException($"pgbackrest backup --repo={repo} succeeded but info lists no new backup; see {Path.Combine(Paths.BackupDirectory, "log")}");
    }

    /// <summary>Every completed backup in every repository that answers.</summary>
    public async Task<IReadOnlyList<EngineBackup>> InfoAsync(CancellationToken ct)
    {
        if (!File.Exists(Paths.BackupConfigFile)) return [];
        var r = await RunAsync(["info", "--output=json"], ShortTimeout, ct, check: false);
        if (r.ExitCode != 0) throw new Processes.CommandFailedException(r);
        return ParseInfo(r.StandardOutput);
    }

    public static IReadOnlyList<EngineBackup> ParseInfo(string json)
    {
        var list = new List<EngineBackup>();
        using var doc = JsonDocument.Parse(json);
        foreach (var stanza in doc.RootElement.EnumerateArray())
        {
            if (!stanza.TryGetProperty("backup", out var backups)) continue;
            foreach (var b in backups.EnumerateArray())
            {
                var annotations = new Dictionary<string, string>();
                if (b.TryGetProperty("annotation", out var a) && a.ValueKind == JsonValueKind.Object)
                    foreach (var p in a.EnumerateObject()) annotations[p.Name] = p.Value.GetString() ?? "";
                var info = b.GetProperty("info");
                list.Add(new EngineBackup(
                    b.GetProperty("label").GetString()!,
                    b.GetProperty("database").GetProperty("repo-key").GetInt32(),
                    b.GetProperty("type").GetString()!,
                    DateTimeOffset.FromUnixTimeSeconds(b.GetProperty("timestamp").GetProperty("start").GetInt64()),
                    DateTimeOffset.FromUnixTimeSeconds(b.GetProperty("timestamp").GetProperty("stop").GetInt64()),
                    info.GetProperty("size").GetInt64(),
                    info.GetProperty("repository").GetProperty("delta").GetInt64(),
                    b.TryGetProperty("prior", out var prior) && prior.ValueKind == JsonValueKind.String ? prior.GetString() : null,
                    annotations,
                    b.TryGetProperty("error", out var err) && err.ValueKind == JsonValueKind.True));
            }
        }
        return list;
    }

    /// <summary>Deletes one backup from one repository (what the retention policy decided).</summary>
    public Task ExpireAsync(int repo, string label, CancellationToken ct) =>
        RunAsync(["expire", $"--repo={repo}", $"--set={label}"], ShortTimeout, ct);

    /// <summary>
    /// pgBackRest's verify of one backup in one repository. pgBackRest 2.45 exits 0 even when it
    /// finds invalid files, so the verdict is read from its text report, and the files it names
    /// from its log lines.
    /// </summary>
    public async Task<EngineVerify> VerifyAsync(int repo, string label, CancellationToken ct)
    {
        var r = await RunAsync(["verify", $"--repo={repo}", $"--set={label}", "--output=text", "--verbose", "--log-level-console=info"], LongTimeout, ct, check: false);
        return ParseVerify(r.ExitCode, r.StandardOutput + "\n" + r.StandardError);
    }

    public static EngineVerify ParseVerify(int exitCode, string output)
    {
        var problems = new List<string>();
        foreach (var line in output.Split('\n'))
        {
            // e.g. "P01   INFO: invalid checksum '20261129-180635F/pg_data/base/5/2602.gz'"
            var m = System.Text.RegularExpressions.Regex.Match(line, @"INFO: ((?:invalid|missing|skipping)[^']*)'([^']+)'");
            if (m.Success) problems.Add($"{m.Groups[1].Value.Trim()} {m.Groups[2].Value}");
        }
        var statusOk = output.Contains("status: ok", StringComparison.Ordinal);
        var statusError = output.Contains("status: error", StringComparison.Ordinal);
        if (exitCode != 0) problems.Insert(0, $"pgbackrest verify exited {exitCode}: {output.Split('\n').FirstOrDefault(l => l.Contains("ERROR"))?.Trim() ?? "no detail"}");
        if (statusError && problems.Count == 0) problems.Add("pgbackrest verify reports status: error");
        return new EngineVerify(exitCode == 0 && statusOk && !statusError && problems.Count == 0, problems);
    }

    /// <summary>
    /// Restores into an empty directory: the backup's consistent point (<paramref name="toTime"/> null)
    /// or WAL replayed up to <paramref name="toTime"/>; the instance promotes itself at the target.
    /// Archiving is off in the restored copy: a scratch or rescue instance must not push WAL into the repositories.
    /// </summary>
    /// <param name="latest">Replay every archived segment (pgBackRest's default type) instead of stopping at the consistent point.</param>
    public Task<CommandResult> RestoreAsync(int repo, string label, string dataDirectory, DateTimeOffset? toTime, CancellationToken ct, bool latest = false)
    {
        var args = new List<string> { "restore", $"--repo={repo}", $"--set={label}", $"--pg1-path={dataDirectory}", "--archive-mode=off" };
        if (toTime is { } t) args.AddRange(["--type=time", $"--target={t.UtcDateTime:yyyy-MM-dd HH:mm:ss.ffffff}+00", "--target-action=promote"]);
        else if (latest) args.Add("--type=default"); // to the end of the archive, then promote (no target to act on)
        else args.AddRange(["--type=immediate", "--target-action=promote"]);
        return RunAsync(args, LongTimeout, ct);
    }

    public async Task<string> VersionAsync(CancellationToken ct)
    {
        var r = await env.Runner.RunAsync(Program, ["version"], ShortTimeout, ct, check: false);
        return r.StandardOutput.Trim() is { Length: > 0 } v ? v : "pgBackRest";
    }
}
