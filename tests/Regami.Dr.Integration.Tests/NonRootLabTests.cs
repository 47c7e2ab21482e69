using System.Diagnostics;
using Regami.Dr.Integration.Tests.Infrastructure;

namespace Regami.Dr.Integration.Tests;

/// <summary>
/// PostgreSQL refuses to run as root, so the lab has two code paths: as root it runs PostgreSQL
/// as the `postgres` user; as anyone else it runs it directly. CI runs as root; this test runs a
/// whole lab as the unprivileged user `nobody` to cover the other path.
/// </summary>
public sealed class NonRootLabTests
{
    [Fact]
    public async Task A_lab_started_by_an_unprivileged_user_runs_postgres_as_that_user()
    {
        if (Environment.UserName != "root")
        {
            // Already unprivileged: every other test covers this path; run the check as ourselves.
            await using var own = await TestLab.StartAsync(net: 25);
            Assert.Equal("primary", TestLab.Region(await own.StatusAsync(), "eu-west-3").GetProperty("role").GetString());
            return;
        }

        var baseDir = TestLab.NewBaseDirectory();
        // nobody cannot read a root-only checkout: give it its own copy of the program.
        var cliCopy = Path.Combine(baseDir, "cli");
        CopyDirectory(CliProcess.CliDirectory, cliCopy);
        var home = Path.Combine(baseDir, "home");
        Directory.CreateDirectory(home);
        Run("chown", "-R", "nobody", baseDir);
        var env = new Dictionary<string, string> { ["HOME"] = home, ["DOTNET_CLI_HOME"] = home };

        await using var lab = await TestLab.StartAsync(net: 25, runAsUser: "nobody", cliDll: Path.Combine(cliCopy, "regami-dr.dll"), env: env, baseDir: baseDir);
        var status = await lab.StatusAsync();
        Assert.Equal("primary", TestLab.Region(status, "eu-west-3").GetProperty("role").GetString());
        Assert.True(status.GetProperty("replication").GetProperty("streaming").GetBoolean());
        Assert.Equal(lab.PrimaryAddress, await lab.ResolveAsync());

        var pid = TestLab.Region(status, "eu-west-3").GetProperty("database").GetProperty("pid").GetInt32();
        var owner = Run("ps", "-o", "user=", "-p", pid.ToString()).Trim();
        Assert.Equal("nobody", owner);

        // The backup engine runs as that user too: a backup with its cross-region copy, and a restore of it.
        var backup = await lab.RunAsync(["backup", "create", "--output", "json"], TimeSpan.FromMinutes(3));
        Assert.True(backup.ExitCode == 0, backup.ToString());
        Assert.Equal(2, backup.Json.GetProperty("copies").GetArrayLength());
        var restore = await lab.RunAsync(["restore", "--snapshot", backup.Json.GetProperty("id").GetString()!, "--as", "mine", "--output", "json"], TimeSpan.FromMinutes(3));
        Assert.True(restore.ExitCode == 0, restore.ToString());
        Assert.Equal(0, (await lab.RunAsync("restore", "drop", "mine")).ExitCode);
    }

    private static string Run(string program, params string[] args)
    {
        var psi = new ProcessStartInfo(program) { RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var output = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        Assert.True(p.ExitCode == 0, $"{program} {string.Join(' ', args)} exited {p.ExitCode}");
        return output;
    }

    private static void CopyDirectory(string from, string to)
    {
        foreach (var dir in Directory.EnumerateDirectories(from, "*", SearchOption.AllDirectories))
            Directory.CreateDirectory(dir.Replace(from, to));
        Directory.CreateDirectory(to);
        foreach (var file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
            File.Copy(file, file.Replace(from, to), overwrite: true);
    }
}
