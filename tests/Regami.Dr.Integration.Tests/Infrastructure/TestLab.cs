using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using DnsClient;

namespace Regami.Dr.Integration.Tests.Infrastructure;

/// <summary>
/// A real lab in its own state directory and on its own loopback addresses (so it never meets
/// a developer's default lab): `lab up` at start, `lab down --purge` at the end.
/// </summary>
public sealed class TestLab : IAsyncDisposable
{
    public string StateDir { get; }
    public string ConfigFile { get; }
    public string PrimaryAddress { get; }
    public string StandbyAddress { get; }
    public string DnsAddress { get; }
    public const int DnsPort = 5353;
    public const string PublicName = "api.regami.test";
    public CliResult? UpResult { get; private set; }

    private readonly string? runAsUser;
    private readonly string? cliDll;
    private readonly IReadOnlyDictionary<string, string>? env;

    private TestLab(int net, string? runAsUser, string? cliDll, IReadOnlyDictionary<string, string>? env, string baseDir, string extraConfig = "")
    {
        this.runAsUser = runAsUser;
        this.cliDll = cliDll;
        this.env = env;
        DnsAddress = $"127.0.{net}.1";
        PrimaryAddress = $"127.0.{net}.2";
        StandbyAddress = $"127.0.{net}.3";
        StateDir = Path.Combine(baseDir, "state");
        ConfigFile = Path.Combine(baseDir, "regami-dr.yaml");
        File.WriteAllText(ConfigFile, $"""
            # test lab on its own loopback addresses
            lab:
              addresses:
                eu-west-3: {PrimaryAddress}
                eu-central-1: {StandbyAddress}
              dns:
                address: {DnsAddress}
                port: {DnsPort}
            """ + "\n" + extraConfig);
    }

    public static string NewBaseDirectory()
    {
        var dir = Path.Combine(Path.GetTempPath(), "regami-dr-tests", Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(dir);
        // The postgres user (when tests run as root) and other users must be able to enter it.
        for (var d = dir; d != Path.GetTempPath().TrimEnd('/'); d = Path.GetDirectoryName(d)!)
            File.SetUnixFileMode(d, (UnixFileMode)0b111_111_111 | UnixFileMode.StickyBit);
        return dir;
    }

    /// <param name="controller">Start the controller (automatic failover). Off by default so that tests of
    /// other parts see exactly the faults they inject and nothing reacting to them.</param>
    /// <summary>A lab's config and state directory, not started (the drill brings its own lab up).</summary>
    public static TestLab Prepare(int net, string extraConfig = "") => new(net, null, null, null, NewBaseDirectory(), extraConfig);

    public static async Task<TestLab> StartAsync(int net, string extraArgs = "", string? runAsUser = null, string? cliDll = null,
        IReadOnlyDictionary<string, string>? env = null, string? baseDir = null, bool controller = false, string extraConfig = "")
    {
        var lab = new TestLab(net, runAsUser, cliDll, env, baseDir ?? NewBaseDirectory(), extraConfig);
        var args = new List<string> { "lab", "up" };
        if (!controller) args.Add("--no-controller");
        args.AddRange(extraArgs.Split(' ', StringSplitOptions.RemoveEmptyEntries));
        lab.UpResult = await lab.RunAsync(args, TimeSpan.FromMinutes(3));
        if (lab.UpResult.ExitCode != 0)
        {
            await lab.DisposeAsync();
            throw new InvalidOperationException("lab up failed: " + lab.UpResult);
        }
        return lab;
    }

    public Task<CliResult> RunAsync(IEnumerable<string> args, TimeSpan? timeout = null, IReadOnlyDictionary<string, string>? env = null)
    {
        var merged = new Dictionary<string, string>(this.env ?? new Dictionary<string, string>());
        foreach (var (k, v) in env ?? new Dictionary<string, string>()) merged[k] = v;
        return CliProcess.RunAsync(args.Concat(["--state-dir", StateDir, "--config", ConfigFile]), timeout, runAsUser, merged, cliDll);
    }

    public Task<CliResult> RunAsync(params string[] args) => RunAsync((IEnumerable<string>)args);

    public async Task<JsonElement> StatusAsync()
    {
        var r = await RunAsync("status", "--output", "json");
        Assert.True(r.StandardOutput.TrimStart().StartsWith('{'), r.ToString());
        return r.Json;
    }

    public static JsonElement Region(JsonElement status, string name) =>
        status.GetProperty("regions").EnumerateArray().First(r => r.GetProperty("name").GetString() == name);

    public async Task<string?> ResolveAsync()
    {
        var client = new LookupClient(new LookupClientOptions(new NameServer(IPAddress.Parse(DnsAddress), DnsPort))
        { UseCache = false, Timeout = TimeSpan.FromSeconds(1), Retries = 1, ThrowDnsErrors = false });
        var result = await client.QueryAsync(PublicName, QueryType.A);
        return result.Answers.ARecords().FirstOrDefault()?.Address.ToString();
    }

    /// <summary>Writes a record through the public name, as a client would: DNS, then the load balancer.</summary>
    public async Task<HttpResponseMessage> WriteThroughPublicNameAsync(long seq, string payload)
    {
        var address = await ResolveAsync() ?? throw new InvalidOperationException("DNS gave no answer");
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        return await http.PostAsJsonAsync($"http://{address}:8080/api/records", new { seq, payload });
    }

    /// <summary>A scalar straight from a region's database (a test reads the truth, not the API).</summary>
    public static async Task<T?> ScalarAsync<T>(string address, string sql)
    {
        await using var conn = new Npgsql.NpgsqlConnection($"Host={address};Port=5432;Username=postgres;Database=regami;Pooling=false;Timeout=3;Command Timeout=5");
        await conn.OpenAsync();
        await using var cmd = new Npgsql.NpgsqlCommand(sql, conn);
        var v = await cmd.ExecuteScalarAsync();
        return v is null or DBNull ? default : (T)Convert.ChangeType(v, typeof(T));
    }

    public async ValueTask DisposeAsync()
    {
        try { await RunAsync(["lab", "down", "--purge"], TimeSpan.FromMinutes(2)); }
        catch (Exception) { /* best effort: the next assertion run shows leftovers */ }
    }
}
