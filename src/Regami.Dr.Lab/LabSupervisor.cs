using Regami.Dr.Lab.Backups;
using Regami.Dr.Core.Runbooks;
using System.Diagnostics;
using System.Net.Sockets;
using Regami.Dr.Core.Polling;
using Regami.Dr.Core.Topology;
using Regami.Dr.Lab.Configuration;
using Regami.Dr.Lab.Postgres;
using Regami.Dr.Lab.Processes;
using Regami.Dr.Lab.State;

namespace Regami.Dr.Lab;

/// <summary>What `lab up` did: what it found running, what it started, how long it took.</summary>
/// <param name="Held">What was left alone because an unfinished run is taking it out of service, and who finishes it.</param>
public sealed record LabUpResult(bool AlreadyUp, IReadOnlyList<string> Found, IReadOnlyList<string> Started, TimeSpan Duration)
{
    public IReadOnlyList<string> Held { get; init; } = [];
}

/// <summary>What `lab down` stopped.</summary>
public sealed record LabDownResult(bool WasUp, IReadOnlyList<string> Stopped, IReadOnlyList<string> Problems, bool Purged);

/// <summary>
/// Owns the lab's processes: starts them, records their pids, stops them. It restarts nothing
/// by itself — a drill must be able to leave the lab broken — only `lab up` and `heal` start
/// what is missing.
/// </summary>
public sealed class LabSupervisor(LabEnvironment env, Action<string>? report = null)
{
    private readonly LabOptions o = env.Options;
    private readonly LabPaths paths = env.Paths;
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(2) };
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(100);

    private string? lastReport;

    private void Report(string message)
    {
        if (message == lastReport) return; // progress, not a heartbeat: say each new thing once
        lastReport = message;
        report?.Invoke(message);
    }

    public async Task<LabUpResult> UpAsync(ReplicationMode? mode, CancellationToken ct, bool? withController = null)
    {
        var sw = Stopwatch.StartNew();
        var bin = env.Binaries(); // fail fast (exit 2) with the install command
        PgBackRest.Locate(); // the same for the backup engine: WAL is archived through it
        using var _ = await env.Store.LockAsync(TimeSpan.FromSeconds(30), ct);
        var state = env.Store.Load();
        var fresh = state is null;
        var initialMode = ReplicationMode.Async;
        var found = new List<string>();
        var started = new List<string>();
        if (state is null)
        {
            var chosen = mode ?? o.Replication.ParsedMode;
            state = new LabState { CreatedAt = env.Time.GetUtcNow(), ControllerEnabled = withController ?? o.Controller.Enabled };
            initialMode = chosen;
            foreach (var r in o.Regions)
            {
                var rs = state.Region(r.Name);
                rs.Address = r.Address;
                rs.PostgresPort = o.Ports.Postgres;
                rs.DesiredInstances = r.IsPrimary ? o.Compute.ActiveInstances : o.Compute.StandbyInstances;
            }
        }
        else if (mode is { } m && (await env.Topology.GetAsync(ct)).ReplicationMode is var running && m != running)
        {
            throw new LabException($"the lab at {paths.Root} already runs {running.ToString().ToLowerInvariant()} replication; `regami-dr lab down --purge` first to recreate it in {m.ToString().ToLowerInvariant()} mode") { ExitCode = 2 };
        }

        // Before anything is created: a busy address must not leave half a lab behind.
        CheckPortsFree(state);
        if (fresh)
        {
            PrepareDirectories();
            new PgBackRest(env).WriteConfiguration();
            // The lab keeps the configuration it was created with: later commands read this copy.
            if (env.ConfigText is { } text) File.WriteAllText(paths.ConfigFile, text);
            // The roles it starts with are recorded in the state store, where runbooks change them.
            await env.Topology.RecordAsync(o.Regions.ToDictionary(r => r.Name, r => r.IsPrimary ? RegionRole.Primary : RegionRole.Standby), initialMode, ct);
            env.Store.Save(state);
        }
        var topology = await env.Topology.GetAsync(ct);
        // A region an unfinished run is taking out of service is not repaired here (issue 10): the
        // run's owner finishes it. Restarting it would undo the fence half-way.
        var holds = fresh || env.RecentRuns is null ? [] : RepairHolds.From(await env.RecentRuns(ct)).ToDictionary(h => h.Region);
        var held = new List<string>();

        // Databases first: the primary, then its standby (cloned from it), in their recorded roles.
        // Compute and load balancers start as soon as the primary's database runs: the API boots
        // (≈ 1 s) while the standby is cloned, instead of after it.
        var primaryName = topology.Primary ?? o.PrimaryRegion.Name;
        var primary = env.Cluster(primaryName);
        var serving = false;
        try
        {
            foreach (var r in o.Regions.OrderBy(r => r.Name == primaryName ? 0 : 1))
            {
                var cluster = env.Cluster(r.Name);
                if (holds.TryGetValue(r.Name, out var hold) && !cluster.IsRunning())
                    held.Add($"PostgreSQL {r.Name} left stopped: {hold.Reason}");
                else
                    await EnsureDatabaseAsync(r.Name, cluster, r.Name == primaryName ? null : primary, state, topology, found, started, ct);
                if (r.Name == primaryName && primary.IsRunning())
                {
                    StartComputeAndLoadBalancers(state, holds, found, started, held);
                    serving = true;
                }
            }
            if (primary.IsRunning()) await ApplyReplicationModeAsync(primary, topology, ct);
        }
        catch (Npgsql.NpgsqlException e)
        {
            // A server that runs but does not answer: say so plainly, not with a driver's stack trace.
            throw new LabException($"PostgreSQL did not answer while `lab up` checked it ({e.Message}); a hung server (`lab fault hang-db`) is resumed by `lab fault heal`, " +
                $"a server being stopped by a runbook comes back when the run ends (`regami-dr runbook list`). `regami-dr lab down` stops whatever was started.", e);
        }
        if (!serving) StartComputeAndLoadBalancers(state, holds, found, started, held);
        // The backup engine's stanza (pgbackrest stanza-create, ≈ 1–2 s) is for backups and WAL
        // archiving only, which retry until it exists: it is created while the instances boot.
        var stanza = primary.IsRunning() ? new PgBackRest(env).EnsureStanzaAsync(primaryName, ct) : Task.CompletedTask;
        // A new lab's standby is a copy of the primary from before its first start (no base backup's
        // checkpoint), so the primary's last checkpoint is still initdb's: a later pg_rewind would
        // then copy everything written since, the whole new database (42 of 61 MB, 4.4 s instead of
        // ≈ 1 s). One checkpoint, off the critical path like the stanza, gives it a recent one.
        var checkpoint = fresh && primary.IsRunning() ? primary.ExecuteAsync("postgres", o.Database.User, "CHECKPOINT", ct, 120) : Task.CompletedTask;

        if (!File.Exists(paths.RoutingControlsFile))
            LabJson.WriteAtomically(paths.RoutingControlsFile, o.Regions.ToDictionary(r => r.Name, _ => true));

        // DNS starts once the primary's load balancer answers healthy: its health checks then start
        // green instead of counting failures while the instances boot (and needing N successes back).
        // With the primary held by an unfinished run there is nothing healthy to wait for: the
        // controller (started below) finishes the run; waiting would only time out.
        var primaryHeld = holds.ContainsKey(primaryName);
        if (!primaryHeld) await WaitUntilHealthyAsync(state, o.Timeouts.LabUp, includeDns: false, ct);
        if (IsOurs(state.Dns?.Pid)) found.Add($"DNS server (pid {state.Dns!.Pid})");
        else
        {
            var pid = Spawn(["lab", "serve", "dns"], "dns");
            state.Dns = new ProcessRecord { Pid = pid, Url = $"udp://{o.Dns.Address}:{o.Dns.Port}", StartedAt = env.Time.GetUtcNow() };
            started.Add($"DNS server {o.Dns.Address}:{o.Dns.Port} (pid {pid})");
        }
        env.Store.Save(state);

        // The controller's process is started now and answers once DNS is healthy too: it must not
        // mistake a lab that is still starting for an outage, and by now the primary's load balancer
        // (what it probes) is healthy; its own start-up (≈ 1 s) overlaps the DNS wait.
        if (withController is { } w) state.ControllerEnabled = w;
        var controllerPid = state.ControllerEnabled ? SpawnControllerIfMissing(state, found, started) : null;
        if (!primaryHeld) await WaitUntilHealthyAsync(state, o.Timeouts.LabUp, includeDns: true, ct);
        await stanza;
        await checkpoint;
        if (controllerPid is { } controller) await WaitForControllerAsync(controller, ct);
        return new LabUpResult(!fresh && started.Count == 0 && held.Count == 0, found, started, sw.Elapsed) { Held = held };
    }

    /// <summary>
    /// Starts the lab's controller when it is not running, and nothing else — what a service manager
    /// does for a crashed controller (the fault campaign uses it; `lab up` would also repair the rest).
    /// </summary>
    public async Task<LabUpResult> UpControllerAsync(CancellationToken ct)
    {
        var sw = Stopwatch.StartNew();
        var found = new List<string>();
        var started = new List<string>();
        int? spawned;
        // The lab lock only while the pid is recorded: faults and other commands must not wait for the controller's start.
        using (await env.Store.LockAsync(TimeSpan.FromSeconds(30), ct))
        {
            var state = env.Store.Load() ?? throw new LabException($"no lab at {paths.Root}; start one with `regami-dr lab up`");
            spawned = SpawnControllerIfMissing(state, found, started);
        }
        if (spawned is { } pid) await WaitForControllerAsync(pid, ct);
        return new LabUpResult(started.Count == 0, found, started, sw.Elapsed);
    }

    /// <summary>Spawns the API instances and the load balancer of every region not held by an unfinished run (each a separate process; nothing waits here).</summary>
    private void StartComputeAndLoadBalancers(LabState state, IReadOnlyDictionary<string, RepairHold> holds, List<string> found, List<string> started, List<string> held)
    {
        foreach (var r in o.Regions)
        {
            var rs = state.Region(r.Name);
            if (holds.TryGetValue(r.Name, out var hold)) held.Add($"API instances of {r.Name} not restarted: {hold.Reason}");
            else
            {
                var (f, s) = StartMissingInstances(r, rs);
                found.AddRange(f);
                started.AddRange(s);
            }
            if (IsOurs(rs.LoadBalancer?.Pid)) found.Add($"load balancer {r.Name} (pid {rs.LoadBalancer!.Pid})");
            else
            {
                var pid = Spawn(["lab", "serve", "lb", "--region", r.Name], $"lb-{r.Name}");
                rs.LoadBalancer = new ProcessRecord { Pid = pid, Url = env.LoadBalancerUrl(r), StartedAt = env.Time.GetUtcNow() };
                started.Add($"load balancer {r.Name} {rs.LoadBalancer.Url} (pid {pid})");
            }
            env.Store.Save(state);
        }
    }

    private int? SpawnControllerIfMissing(LabState state, List<string> found, List<string> started)
    {
        if (IsOurs(state.Controller?.Pid))
        {
            found.Add($"controller {state.Controller!.Url} (pid {state.Controller.Pid})");
            return null;
        }
        var pid = Spawn(["monitor"], "controller");
        state.Controller = new ProcessRecord { Pid = pid, Url = env.ControllerUrl, StartedAt = env.Time.GetUtcNow() };
        env.Store.Save(state);
        started.Add($"controller {env.ControllerUrl} (pid {pid})");
        return pid;
    }

    private async Task WaitForControllerAsync(int pid, CancellationToken ct)
    {
        var answered = await Poll.UntilAsync(async c =>
        {
            if (!Posix.IsAlive(pid)) throw new LabException($"the controller (pid {pid}) exited at start; see {paths.Log("controller")}");
            if (await StatusCodeAsync(env.ControllerUrl + "api/controller", c) == 200) return true;
            Report("waiting for the controller");
            return false;
        }, o.Timeouts.LabUp, PollInterval, TimeProvider.System, ct);
        if (!answered)
            throw new LabException($"the controller did not answer at {env.ControllerUrl} within {o.Timeouts.LabUp.TotalSeconds:0} s; see {paths.Log("controller")}");
    }

    private void PrepareDirectories()
    {
        Directory.CreateDirectory(paths.Root);
        Directory.CreateDirectory(paths.LogDirectory);
        Directory.CreateDirectory(paths.TrafficDirectory);
        foreach (var r in o.Regions)
        {
            Directory.CreateDirectory(paths.RegionDirectory(r.Name));
            Directory.CreateDirectory(paths.WalArchive(r.Name));
        }
        if (!env.IsRoot) return;
        // PostgreSQL runs as `postgres`: it must traverse the state directory and own its region dirs.
        foreach (var dir in new[] { paths.Root, Path.Combine(paths.Root, "regions"), paths.LogDirectory })
            File.SetUnixFileMode(dir, (UnixFileMode)0b111_101_101);
        CheckPostgresCanReach(paths.Root);
        foreach (var r in o.Regions)
        {
            File.AppendAllText(paths.PgLog(r.Name), "");
            Chown(paths.RegionDirectory(r.Name), recursive: true);
            Chown(paths.PgLog(r.Name), recursive: false);
        }
    }

    private void CheckPostgresCanReach(string dir)
    {
        for (var d = new DirectoryInfo(dir).Parent; d is not null; d = d.Parent)
        {
            var mode = File.GetUnixFileMode(d.FullName);
            if ((mode & UnixFileMode.OtherExecute) == 0)
                throw new LabException($"the postgres user cannot enter {d.FullName} (mode {Convert.ToString((int)mode, 8)}), a parent of the state directory {paths.Root}; choose another --state-dir (the default for root is /var/lib/regami-dr)") { ExitCode = 2 };
        }
    }

    private static void Chown(string path, bool recursive) => Posix.ChownToPostgres(path, recursive);

    private void CheckPortsFree(LabState state)
    {
        var busy = new List<string>();
        void Check(string address, int port, bool running, string what, ProtocolType proto = ProtocolType.Tcp)
        {
            if (!running && !PortProbe.IsFree(address, port, proto))
                busy.Add($"{address}:{port} ({what}) is in use by {PortProbe.Holder(address, port, proto)}");
        }
        foreach (var r in o.Regions)
        {
            var rs = state.Region(r.Name);
            Check(r.Address, o.Ports.Postgres, env.Cluster(r.Name).IsRunning(), $"PostgreSQL {r.Name}");
            Check(r.Address, o.Ports.LoadBalancer, IsOurs(rs.LoadBalancer?.Pid), $"load balancer {r.Name}");
            for (var i = 1; i <= rs.DesiredInstances; i++)
            {
                var inst = rs.Instances.FirstOrDefault(x => x.Id == InstanceId(r.Name, i));
                Check(r.Address, o.Ports.FirstInstance + i - 1, IsOurs(inst?.Pid), $"API instance {InstanceId(r.Name, i)}");
            }
        }
        Check(o.Dns.Address, o.Dns.Port, IsOurs(state.Dns?.Pid), "DNS server", ProtocolType.Udp);
        var controller = new Uri(env.ControllerUrl);
        Check(controller.Host, controller.Port, IsOurs(state.Controller?.Pid), "controller");
        if (busy.Count > 0)
            throw new LabException("cannot start the lab, addresses in use:\n  " + string.Join("\n  ", busy) +
                "\nStop what holds them (another lab: `regami-dr lab down --state-dir <its dir>`), or move this lab with --config (lab.addresses, lab.ports, lab.dns).") { ExitCode = 2 };
    }

    private async Task EnsureDatabaseAsync(string region, PostgresCluster cluster, PostgresCluster? primaryOfIt, LabState state,
        Core.Ports.TopologySnapshot topology, List<string> found, List<string> started, CancellationToken ct)
    {
        var rs = state.Region(region);
        if (topology.Roles.GetValueOrDefault(region) == RegionRole.Fenced && !cluster.IsRunning())
        {
            // Starting a fenced former primary would make a second writable primary.
            found.Add($"PostgreSQL {region} is fenced (failed over away from); `regami-dr failback` rebuilds it as a replica");
            return;
        }
        if (cluster.IsRunning())
        {
            found.Add($"PostgreSQL {region} {cluster.Address}:{cluster.Port} (pid {cluster.PostmasterPid()})");
        }
        else
        {
            if (!cluster.Exists)
            {
                if (primaryOfIt is null)
                {
                    Report($"initdb {region}");
                    await cluster.InitAsync(o.Database.User, ct, PgBackRest.ArchiveCommand(PgBackRest.Locate(), paths.BackupConfigFile));
                    await SeedStandbysAsync(region, cluster, ct);
                }
                else
                {
                    await EnsureSlotAsync(region, primaryOfIt, ct);
                    Report($"pg_basebackup {region} from {primaryOfIt.Address}");
                    await cluster.CloneFromAsync(primaryOfIt, o.Database.User, LabEnvironment.SlotName(region), region, ct);
                }
            }
            else if (primaryOfIt is not null && File.Exists(Path.Combine(cluster.DataDirectory, "standby.signal")))
            {
                // A standby seeded from the new primary's data directory starts with its slot missing.
                await EnsureSlotAsync(region, primaryOfIt, ct);
            }
            // A SIGKILLed postmaster stays a zombie until its parent reaps it (1–2 s here), and
            // pg_ctl refuses to start while its pid still exists: wait for the reap first.
            if (cluster.PostmasterPid() is { } stale && Posix.Exists(stale) && !Posix.IsAlive(stale))
                await PostgresRoleOperations.WaitReapedAsync(stale, TimeSpan.FromSeconds(15), ct);
            Report($"starting PostgreSQL {region}");
            await cluster.StartAsync(ct);
            started.Add($"PostgreSQL {region} {cluster.Address}:{cluster.Port} (pid {cluster.PostmasterPid()})");
        }
        rs.PostmasterPid = cluster.PostmasterPid();
        env.Store.Save(state);
        if (primaryOfIt is null)
        {
            var exists = await cluster.ScalarAsync<bool>("postgres", o.Database.User, $"SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = '{o.Database.Name}')", ct);
            if (!exists) await cluster.ExecuteAsync("postgres", o.Database.User, $"CREATE DATABASE \"{o.Database.Name}\"", ct);
        }
    }

    private Task EnsureSlotAsync(string standbyRegion, PostgresCluster primary, CancellationToken ct)
    {
        var slot = LabEnvironment.SlotName(standbyRegion);
        return primary.ExecuteAsync("postgres", o.Database.User,
            $"SELECT pg_create_physical_replication_slot('{slot}') WHERE NOT EXISTS (SELECT 1 FROM pg_replication_slots WHERE slot_name = '{slot}')", ct);
    }

    /// <summary>
    /// A new lab: every other region without a data directory gets a copy of the primary's, taken
    /// between initdb and its first start (<see cref="PostgresRoleOperations.SeedStandbyAsync"/>),
    /// instead of a pg_basebackup once it runs.
    /// </summary>
    private async Task SeedStandbysAsync(string primaryRegion, PostgresCluster primary, CancellationToken ct)
    {
        var ops = new PostgresRoleOperations(env.Binaries(), env.Runner, o.Database.User);
        foreach (var r in o.Regions.Where(r => r.Name != primaryRegion))
        {
            var standby = env.Cluster(r.Name);
            if (standby.Exists || standby.IsRunning()) continue;
            Report($"copying {primaryRegion}'s new data directory for {r.Name} (its standby, before either starts)");
            await ops.SeedStandbyAsync(primary, standby, LabEnvironment.SlotName(r.Name), r.Name, ct);
        }
    }

    /// <summary>
    /// Sync mode names the standby in synchronous_standby_names on the primary only, set after
    /// the standby was cloned, so a promoted standby does not wait for a standby that is gone.
    /// </summary>
    private async Task ApplyReplicationModeAsync(PostgresCluster primary, Core.Ports.TopologySnapshot topology, CancellationToken ct)
    {
        // With no standby (after a failover, before failback) the primary runs async: naming a
        // standby that is not there would make every commit wait forever.
        var standby = topology.Standby;
        var value = topology.ReplicationMode == ReplicationMode.Sync && standby is not null ? $"\"{standby}\"" : "";
        await primary.ExecuteAsync("postgres", o.Database.User, $"ALTER SYSTEM SET synchronous_standby_names = '{value.Replace("'", "''")}'", ct);
        await primary.ExecuteAsync("postgres", o.Database.User, "SELECT pg_reload_conf()", ct);
    }

    public static string InstanceId(string region, int index) => $"{region}-{index}";

    private (List<string> Found, List<string> Started) StartMissingInstances(RegionOptions r, RegionState rs)
    {
        var found = new List<string>();
        var started = new List<string>();
        for (var i = 1; i <= rs.DesiredInstances; i++)
        {
            var id = InstanceId(r.Name, i);
            var inst = rs.Instances.FirstOrDefault(x => x.Id == id);
            if (inst is null)
            {
                inst = new InstanceRecord { Id = id, Port = o.Ports.FirstInstance + i - 1, Url = env.InstanceUrl(r, i) };
                rs.Instances.Add(inst);
            }
            if (IsOurs(inst.Pid)) { found.Add($"API {id} {inst.Url} (pid {inst.Pid})"); continue; }
            inst.Pid = Spawn(["lab", "serve", "app", "--region", r.Name, "--instance", i.ToString()], $"app-{id}");
            inst.StartTime = env.Time.GetUtcNow();
            started.Add($"API {id} {inst.Url} (pid {inst.Pid})");
        }
        WriteInstancesFile(r.Name, rs);
        return (found, started);
    }

    /// <summary>The instance list the region's load balancer routes to (it re-reads the file).</summary>
    private void WriteInstancesFile(string region, RegionState rs)
    {
        Directory.CreateDirectory(paths.RegionDirectory(region));
        File.WriteAllText(paths.InstancesFile(region) + ".tmp", LoadBalancing.LoadBalancerInstancesFile.Serialize(
            rs.Instances.Where(i => i.Pid is not null).OrderBy(i => i.Id).Select(i => new LoadBalancing.LoadBalancerInstance(i.Id, i.Url))));
        File.Move(paths.InstancesFile(region) + ".tmp", paths.InstancesFile(region), overwrite: true);
    }

    /// <summary>
    /// Sets a region's desired instance count and starts/stops instances to match. A stopped instance
    /// gets <paramref name="stopGrace"/> (default lab.timeouts.processStop) to finish its requests.
    /// </summary>
    public async Task<(int Started, int Stopped)> ScaleAsync(string region, int desired, CancellationToken ct, TimeSpan? stopGrace = null)
    {
        var r = o.FindRegion(region) ?? throw new LabException($"unknown region '{region}'") { ExitCode = 2 };
        if (desired < 0 || desired > o.Compute.MaxInstances) throw new LabException($"desired count must be 0..{o.Compute.MaxInstances}") { ExitCode = 2 };
        using var _ = await env.Store.LockAsync(TimeSpan.FromSeconds(30), ct);
        var state = env.Store.Load() ?? throw NotUp();
        var rs = state.Region(region);
        rs.DesiredInstances = desired;
        var extra = rs.Instances.Where(i => int.Parse(i.Id[(region.Length + 1)..]) > desired).ToList();
        // Take instances out of the load balancer first, then stop them.
        rs.Instances.RemoveAll(extra.Contains);
        WriteInstancesFile(region, rs);
        env.Store.Save(state);
        // Side by side: each waits out its in-flight requests, which on a hung database is about a
        // second each (fence-compute took 2.1 s for two instances one after the other).
        await Task.WhenAll(extra.Where(i => i.Pid is not null && IsOurs(i.Pid))
            .Select(i => DetachedProcess.StopAsync(i.Pid!.Value, stopGrace ?? o.Timeouts.ProcessStop, ct)));
        var (_, started) = StartMissingInstances(r, rs);
        env.Store.Save(state);
        return (started.Count, extra.Count);
    }

    public async Task<LabDownResult> DownAsync(bool purge, CancellationToken ct)
    {
        var stopped = new List<string>();
        var problems = new List<string>();
        if (!Directory.Exists(paths.Root))
            return new LabDownResult(false, stopped, problems, false);
        LabState? state;
        using (await env.Store.LockAsync(TimeSpan.FromSeconds(30), ct))
        {
            state = env.Store.Load();
            var grace = o.Timeouts.ProcessStop;
            async Task Stop(int? pid, string what)
            {
                if (!IsOurs(pid)) return;
                var gone = await DetachedProcess.StopAsync(pid!.Value, grace, ct);
                lock (stopped) (gone ? stopped : problems).Add(gone ? $"{what} (pid {pid})" : $"{what} (pid {pid}) did not stop");
            }
            if (state is not null)
            {
                // The controller first (it must not take the teardown for an outage), then traffic,
                // then compute, then the databases: nothing serves from a stopping database.
                await Stop(state.Controller?.Pid, "controller");
                await Stop(state.Dns?.Pid, "DNS server");
                await Task.WhenAll(state.Regions.Values.Select(rs => Stop(rs.LoadBalancer?.Pid, $"load balancer {rs.Name}")));
                await Task.WhenAll(state.Regions.Values.SelectMany(rs => rs.Instances).Select(i => Stop(i.Pid, $"API {i.Id}")));
            }
            // Instances restored from backups (`regami-dr restore`) run beside the lab's databases.
            stopped.AddRange(await new RestoredInstances(env).StopAllAsync(ct));
            foreach (var r in o.Regions)
            {
                if (!Directory.Exists(paths.PgData(r.Name))) continue;
                var cluster = env.Cluster(r.Name);
                if (!cluster.IsRunning()) continue;
                var pid = cluster.PostmasterPid()!.Value;
                ResumeTree(pid); // a hung (SIGSTOP) server cannot shut down
                try
                {
                    await cluster.StopAsync("fast", ct);
                    stopped.Add($"PostgreSQL {r.Name} (pid {pid})");
                }
                catch (CommandFailedException e)
                {
                    Posix.Signal(pid, Posix.SIGKILL);
                    problems.Add($"PostgreSQL {r.Name} (pid {pid}) did not stop cleanly, killed: {e.Message}");
                }
            }
            if (state is not null && !purge)
            {
                foreach (var rs in state.Regions.Values)
                {
                    rs.PostmasterPid = null;
                    rs.LoadBalancer = null;
                    foreach (var i in rs.Instances) i.Pid = null;
                }
                state.Dns = null;
                state.Controller = null;
                env.Store.Save(state);
            }
        }
        if (purge)
        {
            Directory.Delete(paths.Root, recursive: true);
        }
        return new LabDownResult(state is not null, stopped, problems, purge);
    }

    /// <summary>Starts a lab daemon: this program with `lab serve ...` and the lab's state directory.</summary>
    private int Spawn(IReadOnlyList<string> args, string logName)
    {
        var all = env.Self.PrefixArgs.Concat(args).Concat(["--state-dir", paths.Root]).ToList();
        return DetachedProcess.Start(env.Self.Program, all, paths.Log(logName),
            new Dictionary<string, string> { ["DOTNET_gcServer"] = "0", ["DOTNET_TieredPGO"] = "0" });
    }

    /// <summary>A pid is ours when it is alive and its command line names this lab's state directory.</summary>
    private bool IsOurs(int? pid) => pid is { } p && Posix.IsAlive(p) && Posix.CommandLine(p).Contains(paths.Root, StringComparison.Ordinal);

    internal static void ResumeTree(int pid)
    {
        foreach (var p in ProcessTree.Descendants(pid).Prepend(pid)) Posix.Signal(p, Posix.SIGCONT);
    }

    private async Task WaitUntilHealthyAsync(LabState state, TimeSpan timeout, bool includeDns, CancellationToken ct)
    {
        string waitingFor = "";
        var topology = await env.Topology.GetAsync(ct);
        var primaryName = topology.Primary!;
        var primaryOptions = o.FindRegion(primaryName)!;
        var hasStandby = topology.Standby is not null;
        var healthy = await Poll.UntilAsync(async c =>
        {
            waitingFor = await FirstUnhealthyAsync(state, primaryName, primaryOptions, hasStandby, includeDns, c) ?? "";
            if (waitingFor.Length == 0) return true;
            Report($"waiting for {waitingFor}");
            return false;
        }, timeout, PollInterval, TimeProvider.System, ct);
        if (!healthy)
            throw new LabException($"the lab did not become healthy within {timeout.TotalSeconds:0} s: still waiting for {waitingFor}. " +
                $"Logs are in {paths.LogDirectory}; everything started so far is recorded in {paths.StateFile} (`regami-dr lab down` stops it).");
    }

    private async Task<string?> FirstUnhealthyAsync(LabState state, string primaryName, RegionOptions primaryOptions, bool hasStandby, bool includeDns, CancellationToken ct)
    {
        foreach (var rs in state.Regions.Values)
            foreach (var i in rs.Instances.Where(i => i.Pid is not null))
            {
                if (!Posix.IsAlive(i.Pid!.Value)) return $"API {i.Id} (process {i.Pid} exited; see {paths.Log("app-" + i.Id)})";
                if (await StatusCodeAsync(i.Url + "/health", ct) != 200) return $"API {i.Id} at {i.Url}";
            }
        var primary = env.Cluster(primaryName);
        var obs = await primary.ObserveAsync(o.Database.User, TimeSpan.FromSeconds(2), ct);
        if (!obs.Reachable) return $"PostgreSQL {primaryName}: {obs.Error}";
        if (hasStandby && obs.ReplicaState != "streaming") return "the standby to stream from the primary";
        var lb = env.LoadBalancerUrl(primaryOptions) + o.HealthCheck.Path;
        if (await StatusCodeAsync(lb, ct) != 200) return $"load balancer {primaryName} {lb}";
        if (!includeDns) return null;
        if (state.Dns is { } dns && !Posix.IsAlive(dns.Pid)) return $"DNS server (process {dns.Pid} exited; see {paths.Log("dns")})";
        var dnsStatus = TryReadDnsStatus();
        var primaryRecord = dnsStatus?.Records.FirstOrDefault(r => r.Region == primaryName);
        if (primaryRecord is not { EffectiveHealthy: true }) return $"the DNS health check of {primaryName} to pass ({primaryRecord?.Explanation ?? "no status yet"})";
        var answer = await DnsProbe.QueryAsync(o.Dns, ct);
        if (answer != primaryOptions.Address) return $"DNS {o.Dns.FullName} to answer {primaryOptions.Address} (answers {answer ?? "nothing"})";
        return null;
    }

    internal static async Task<int?> StatusCodeAsync(string url, CancellationToken ct)
    {
        try
        {
            using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
            cts.CancelAfter(TimeSpan.FromSeconds(1.5));
            using var response = await Http.GetAsync(url, cts.Token);
            return (int)response.StatusCode;
        }
        catch (Exception e) when (e is HttpRequestException or OperationCanceledException)
        {
            if (ct.IsCancellationRequested) throw;
            return null;
        }
    }

    private Dns.DnsServerStatus? TryReadDnsStatus()
    {
        try { return Dns.DnsServerStatus.TryRead(paths.DnsStatusFile); }
        catch (Exception e) when (e is IOException or System.Text.Json.JsonException) { return null; }
    }

    private LabException NotUp() => new($"no lab at {paths.Root}; start one with `regami-dr lab up`") { ExitCode = 1 };
}
