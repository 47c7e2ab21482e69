using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Regami.Dr.Aws.Tests.Moto;

/// <summary>
/// A moto server (<c>moto_server -H 127.0.0.1 -p PORT</c>, the AWS emulator) on a free loopback
/// port: every AWS service in one process, state in memory, any credentials accepted (account
/// 123456789012). Killed with its process tree on dispose.
/// </summary>
public sealed class MotoServer : IAsyncDisposable
{
    public const string Host = "127.0.0.1";
    public const string InstallHint = "moto_server not found: install it with `pip install 'moto[server]==5.2.1'`";
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(30);
    private const int LogLines = 200;

    // No proxy: a developer's http_proxy must not carry loopback requests away.
    private static readonly HttpClient Http = new(new SocketsHttpHandler { UseProxy = false }) { Timeout = TimeSpan.FromSeconds(5) };

    private readonly Process _process;
    private readonly Queue<string> _log = new();

    private MotoServer(Process process, int port)
    {
        _process = process;
        Port = port;
        Endpoint = new Uri($"http://{Host}:{port}");
        Pid = process.Id;
        process.OutputDataReceived += (_, e) => Append(e.Data);
        process.ErrorDataReceived += (_, e) => Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    /// <summary>e.g. <c>http://127.0.0.1:41234</c> (what <c>--endpoint-url</c> takes).</summary>
    public Uri Endpoint { get; }

    /// <summary><see cref="Endpoint"/> as text, without the trailing slash <see cref="Uri.ToString"/> adds.</summary>
    public string EndpointUrl => $"http://{Host}:{Port}";

    public int Port { get; }

    public int Pid { get; }

    /// <summary>Process start until <c>/moto-api/</c> answered.</summary>
    public TimeSpan StartedIn { get; private set; }

    /// <summary>Env MOTO_SERVER, else <c>moto_server</c> on PATH; throws <see cref="InstallHint"/> when neither exists.</summary>
    public static string FindExecutable()
    {
        var configured = Environment.GetEnvironmentVariable("MOTO_SERVER");
        if (!string.IsNullOrEmpty(configured))
            return File.Exists(configured) ? configured
                : throw new InvalidOperationException($"{InstallHint} (MOTO_SERVER={configured} does not exist)");
        return (Environment.GetEnvironmentVariable("PATH") ?? "")
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(dir => Path.Combine(dir, "moto_server"))
            .FirstOrDefault(File.Exists)
            ?? throw new InvalidOperationException(InstallHint);
    }

    /// <summary>Starts moto on a free port of 127.0.0.1 and returns once it answers HTTP (at most 30 s).</summary>
    public static async Task<MotoServer> StartAsync(CancellationToken ct = default)
    {
        var executable = FindExecutable();
        // The free port is only free when we look: another process may take it before moto binds
        // it. moto then exits at once with "Address already in use"; try another port.
        for (var attempt = 1; ; attempt++)
        {
            var server = Launch(executable, FreePort());
            try
            {
                await server.WaitUntilAnsweringAsync(ct);
                return server;
            }
            catch (PortTakenException) when (attempt < 3)
            {
                await server.DisposeAsync();
            }
            catch
            {
                await server.DisposeAsync();
                throw;
            }
        }
    }

    /// <summary>Forgets every resource of every service (<c>POST /moto-api/reset</c>).</summary>
    public async Task ResetAsync(CancellationToken ct = default)
    {
        using var response = await Http.PostAsync($"{EndpointUrl}/moto-api/reset", content: null, ct);
        if (!response.IsSuccessStatusCode)
            throw new InvalidOperationException(
                $"moto reset answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync(ct)}");
    }

    /// <summary>The last lines moto wrote (its request log and errors go to stderr).</summary>
    public string LogTail()
    {
        lock (_log) return string.Join('\n', _log);
    }

    /// <summary>Kills moto's process tree (SIGKILL, by pid) and waits until it is gone.</summary>
    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited) _process.Kill(entireProcessTree: true);
            using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            await _process.WaitForExitAsync(wait.Token);
        }
        catch (InvalidOperationException)
        {
            // already reaped
        }
        finally
        {
            _process.Dispose();
        }
    }

    private static MotoServer Launch(string executable, int port)
    {
        var info = new ProcessStartInfo(executable)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[] { "-H", Host, "-p", port.ToString() }) info.ArgumentList.Add(arg);
        var process = Process.Start(info) ?? throw new InvalidOperationException($"could not start {executable}");
        process.StandardInput.Close();
        return new MotoServer(process, port);
    }

    private async Task WaitUntilAnsweringAsync(CancellationToken ct)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            ct.ThrowIfCancellationRequested();
            if (_process.HasExited)
            {
                // Let the stderr reader catch up before reading the log.
                await _process.WaitForExitAsync(ct);
                var log = LogTail();
                if (log.Contains("Address already in use", StringComparison.Ordinal))
                    throw new PortTakenException($"moto_server could not bind {EndpointUrl} (taken after we found it free):\n{log}");
                throw new InvalidOperationException($"moto_server exited with code {_process.ExitCode} while starting:\n{log}");
            }
            try
            {
                using var response = await Http.GetAsync($"{EndpointUrl}/moto-api/", ct);
                if (response.IsSuccessStatusCode)
                {
                    StartedIn = clock.Elapsed;
                    return;
                }
            }
            catch (HttpRequestException)
            {
                // not listening yet
            }
            catch (TaskCanceledException) when (!ct.IsCancellationRequested)
            {
                // the request timed out: still starting
            }
            if (clock.Elapsed > StartTimeout)
                throw new TimeoutException(
                    $"moto_server (pid {Pid}) did not answer {EndpointUrl}/moto-api/ within {StartTimeout.TotalSeconds} s:\n{LogTail()}");
            await Task.Delay(50, ct);
        }
    }

    private void Append(string? line)
    {
        if (line is null) return;
        lock (_log)
        {
            _log.Enqueue(line);
            while (_log.Count > LogLines) _log.Dequeue();
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Parse(Host), 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private sealed class PortTakenException(string message) : Exception(message);
}
