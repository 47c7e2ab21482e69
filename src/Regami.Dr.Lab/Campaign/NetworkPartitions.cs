using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using Regami.Dr.Lab.Processes;
using Regami.Dr.Lab.State;

namespace Regami.Dr.Lab.Campaign;

/// <summary>
/// Network partitions on the lab's loopback addresses, with nftables. On loopback the kernel gives
/// every connection the source 127.0.0.1, so rules cannot tell regions apart by source address;
/// they tell processes apart instead:
/// <list type="bullet">
/// <item>between the regions: packets of the <c>postgres</c> user (the standby's walreceiver, as the
/// lab runs PostgreSQL as <c>postgres</c> when root) to the primary's PostgreSQL port are dropped —
/// the replication link is cut, clients (the API instances run as root) still reach the primary;</item>
/// <item>between the controller and a region: the controller's process is moved into its own cgroup
/// (v2) and that cgroup's packets to the region's address are dropped — the controller sees the
/// region dead while clients are served by it.</item>
/// </list>
/// Everything lives in one nftables table of this lab and one cgroup; <see cref="HealAsync"/> removes
/// both. Needs root, <c>nft</c> (Debian <c>nftables</c>) and a cgroup2 mount: <see cref="Unavailable"/>
/// says which is missing.
/// </summary>
public sealed class NetworkPartitions(LabEnvironment env)
{
    private const string CgroupRoot = "/sys/fs/cgroup";
    private readonly string _id = Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(env.Paths.Root)))[..8].ToLowerInvariant();

    private string Table => $"regami_campaign_{_id}";
    private string? Cgroup2Mount => File.ReadLines("/proc/mounts").Select(l => l.Split(' ')).FirstOrDefault(f => f.Length > 2 && f[2] == "cgroup2")?[1];
    private string? ControllerCgroup => Cgroup2Mount is { } m ? Path.Combine(m, $"regami-campaign-{_id}") : null;

    /// <summary>Why partitions cannot be made here, or null when they can.</summary>
    public string? Unavailable()
    {
        if (!Posix.IsRoot) return "network partitions need root (nftables rules and a cgroup)";
        if (!File.Exists("/usr/sbin/nft") && !File.Exists("/sbin/nft")) return "network partitions need nftables: apt-get install -y nftables";
        if (Cgroup2Mount is null) return "network partitions need a cgroup2 mount (for the controller's cgroup)";
        return null;
    }

    /// <summary>The standby cannot reach <paramref name="primaryRegion"/>'s PostgreSQL; clients still can.</summary>
    public Task<string> CutReplicationAsync(string primaryRegion, CancellationToken ct)
    {
        var address = env.Options.FindRegion(primaryRegion)!.Address;
        var port = env.Options.Ports.Postgres;
        return AddRuleAsync($"meta skuid postgres ip daddr {address} tcp dport {port} drop",
            $"replication link cut: packets of user postgres to {primaryRegion}'s PostgreSQL {address}:{port} dropped", ct);
    }

    /// <summary>The controller (<paramref name="pid"/>) cannot reach <paramref name="region"/>'s address; clients still can.</summary>
    public async Task<string> IsolateControllerAsync(int pid, string region, CancellationToken ct)
    {
        var cgroup = ControllerCgroup ?? throw new LabException("no cgroup2 mount");
        Directory.CreateDirectory(cgroup);
        await File.WriteAllTextAsync(Path.Combine(cgroup, "cgroup.procs"), pid.ToString(), ct);
        var address = env.Options.FindRegion(region)!.Address;
        // nft names a cgroup by its path under /sys/fs/cgroup; the level is its depth in the cgroup2 tree.
        var level = Path.GetRelativePath(Cgroup2Mount!, cgroup).Split('/').Length;
        return await AddRuleAsync($"socket cgroupv2 level {level} \"{Path.GetRelativePath(CgroupRoot, cgroup)}\" ip daddr {address} drop",
            $"controller (pid {pid}) cut off from {region} ({address})", ct);
    }

    /// <summary>Removes every rule and puts the controller back; idempotent.</summary>
    public async Task<string?> HealAsync(CancellationToken ct)
    {
        if (Unavailable() is not null) return null;
        var had = (await NftAsync($"list table inet {Table}", ct, check: false)).ExitCode == 0;
        if (had) await NftAsync($"delete table inet {Table}", ct);
        if (ControllerCgroup is { } cgroup && Directory.Exists(cgroup))
        {
            foreach (var pid in File.ReadAllLines(Path.Combine(cgroup, "cgroup.procs")).Where(l => l.Length > 0))
                await File.WriteAllTextAsync(Path.Combine(Cgroup2Mount!, "cgroup.procs"), pid, ct);
            Directory.Delete(cgroup);
        }
        return had ? "network partitions removed" : null;
    }

    private async Task<string> AddRuleAsync(string rule, string said, CancellationToken ct)
    {
        await NftAsync($"add table inet {Table}", ct);
        await NftAsync($"add chain inet {Table} out {{ type filter hook output priority 0; }}", ct);
        await NftAsync($"add rule inet {Table} out {rule}", ct);
        return said;
    }

    private static async Task<(int ExitCode, string Output)> NftAsync(string command, CancellationToken ct, bool check = true)
    {
        var psi = new ProcessStartInfo("nft") { RedirectStandardError = true, RedirectStandardOutput = true, RedirectStandardInput = true, UseShellExecute = false };
        psi.ArgumentList.Add("-f");
        psi.ArgumentList.Add("-");
        using var p = Process.Start(psi) ?? throw new LabException("could not start nft");
        await p.StandardInput.WriteLineAsync(command);
        p.StandardInput.Close();
        var output = await p.StandardOutput.ReadToEndAsync(ct) + await p.StandardError.ReadToEndAsync(ct);
        await p.WaitForExitAsync(ct);
        if (check && p.ExitCode != 0) throw new LabException($"nft {command}: {output.Trim()}");
        return (p.ExitCode, output);
    }
}
