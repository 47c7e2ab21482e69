using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text;

namespace Regami.Dr.Component.Tests.Leases;

/// <summary>
/// A real single-member etcd (Debian package <c>etcd-server</c>) on 127.0.60.1 with free client
/// and peer ports and a throw-away data directory; killed and deleted on dispose.
/// </summary>
internal sealed class EtcdServer : IDisposable
{
    public const string ListenAddress = "127.0.60.1";
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(20);

    private readonly Process _process;
    private readonly StringBuilder _log;
    private readonly string _dataDir;

    private EtcdServer(Process process, StringBuilder log, string dataDir, Uri clientUrl)
    {
        _process = process;
        _log = log;
        _dataDir = dataDir;
        ClientUrl = clientUrl;
    }

    /// <summary>e.g. <c>http://127.0.60.1:41234</c>.</summary>
    public Uri ClientUrl { get; }

    /// <summary>Process start until <c>/health</c> answered healthy.</summary>
    public TimeSpan StartedIn { get; private set; }

    public int ProcessId => _process.Id;

    public static string FindBinary()
    {
        var onPath = (Environment.GetEnvironmentVariable("PATH") ?? "")
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(dir => Path.Combine(dir, "etcd"))
            .FirstOrDefault(File.Exists);
        return onPath ?? (File.Exists("/usr/bin/etcd") ? "/usr/bin/etcd"
            : throw new InvalidOperationException(
                "etcd is not installed (looked on PATH and at /usr/bin/etcd): install the Debian package etcd-server " +
                "(apt-get install -y --no-install-recommends etcd-server)."));
    }

    public static async Task<EtcdServer> StartAsync()
    {
        var binary = FindBinary();
        var clientPort = FreePort();
        var peerPort = FreePort();
        while (peerPort == clientPort) peerPort = FreePort();
        var client = $"http://{ListenAddress}:{clientPort}";
        var peer = $"http://{ListenAddress}:{peerPort}";
        var dataDir = Path.Combine(Path.GetTempPath(), $"regami-etcd-{Guid.NewGuid():N}");

        var info = new ProcessStartInfo(binary)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[]
                 {
                     "--name", "default", "--data-dir", dataDir,
                     "--listen-client-urls", client, "--advertise-client-urls", client,
                     "--listen-peer-urls", peer, "--initial-advertise-peer-urls", peer,
                     "--initial-cluster", $"default={peer}",
                 })
            info.ArgumentList.Add(arg);

        var log = new StringBuilder();
        var started = Stopwatch.StartNew();
        var process = Process.Start(info) ?? throw new InvalidOperationException($"could not start {binary}");
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (log) log.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (log) log.AppendLine(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        var server = new EtcdServer(process, log, dataDir, new Uri(client));
        try
        {
            using var http = new HttpClient(new SocketsHttpHandler { UseProxy = false }) { Timeout = TimeSpan.FromSeconds(1) };
            while (true)
            {
                if (process.HasExited)
                    throw new InvalidOperationException($"etcd exited with code {process.ExitCode} while starting:\n{server.LogTail()}");
                try
                {
                    var health = await http.GetStringAsync(client + "/health");
                    if (health.Contains("\"health\":\"true\"", StringComparison.Ordinal)) break;
                }
                catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
                {
                    // not listening yet
                }
                if (started.Elapsed > StartTimeout)
                    throw new TimeoutException($"etcd was not healthy within {StartTimeout.TotalSeconds} s:\n{server.LogTail()}");
                await Task.Delay(25);
            }
        }
        catch
        {
            server.Dispose();
            throw;
        }
        server.StartedIn = started.Elapsed;
        return server;
    }

    /// <summary>SIGSTOP: etcd keeps its sockets but answers nothing (a hung server, a partition).</summary>
    public void Freeze() => Signal(SigStop);

    /// <summary>SIGCONT after <see cref="Freeze"/>.</summary>
    public void Thaw() => Signal(SigCont);

    /// <summary>SIGKILL and wait until it is gone.</summary>
    public void Kill()
    {
        if (_process.HasExited) return;
        _process.Kill(entireProcessTree: true);
        _process.WaitForExit(5000);
    }

    public string LogTail()
    {
        lock (_log)
        {
            var text = _log.ToString();
            return text.Length <= 4000 ? text : text[^4000..];
        }
    }

    public void Dispose()
    {
        try { Thaw(); } catch (Exception) { /* already gone */ }
        Kill();
        _process.Dispose();
        try { Directory.Delete(_dataDir, recursive: true); } catch (DirectoryNotFoundException) { }
    }

    private const int SigCont = 18, SigStop = 19; // Linux

    [DllImport("libc", SetLastError = true, EntryPoint = "kill")]
    private static extern int SendSignal(int pid, int signal);

    private void Signal(int signal)
    {
        if (_process.HasExited) return;
        if (SendSignal(_process.Id, signal) != 0)
            throw new InvalidOperationException($"kill({_process.Id}, {signal}) failed: errno {Marshal.GetLastPInvokeError()}");
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Parse(ListenAddress), 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}

/// <summary>One etcd for a test class; fails the class with the install line when etcd is missing.</summary>
public sealed class EtcdServerFixture : IAsyncLifetime
{
    private EtcdServer? _server;

    internal EtcdServer Server => _server ?? throw new InvalidOperationException("etcd not started");

    public async Task InitializeAsync() => _server = await EtcdServer.StartAsync();

    public Task DisposeAsync()
    {
        _server?.Dispose();
        return Task.CompletedTask;
    }
}
