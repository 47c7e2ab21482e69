using Regami.Dr.Lab.Processes;
using Regami.Dr.Lab.State;

namespace Regami.Dr.Lab.Campaign;

/// <summary>
/// The controllers a campaign hits: the lab's own (restarted alone, as a service manager would) and
/// an optional second one sharing its lease. Controller faults go to whichever holds the lease.
/// </summary>
public sealed class CampaignControllers(LabEnvironment env, Uri? secondUrl, Action<string>? progress) : IDisposable
{
    private readonly LabSupervisor _supervisor = new(env);
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(2) };
    private int? _secondPid;

    public void Dispose() => _http.Dispose();

    /// <summary>The lab's controller, when it runs.</summary>
    public int? LabControllerPid() => env.Store.Load()?.Controller?.Pid is { } pid && Posix.IsAlive(pid) ? pid : null;

    /// <summary>The controller holding the lease (with two, the one a fault should hit), else the lab's.</summary>
    public async Task<(int? Pid, bool Second)> LeaderAsync(CancellationToken ct)
    {
        if (secondUrl is { } url && _secondPid is { } second && Posix.IsAlive(second) && await HoldsLeaseAsync(url, ct))
            return (second, true);
        return (LabControllerPid(), false);
    }

    /// <summary>Restarts a killed controller after <paramref name="after"/>.</summary>
    public async Task RestartAfterAsync(TimeSpan after, bool second, CancellationToken ct)
    {
        await Task.Delay(after, env.Time, ct);
        if (second)
        {
            await EnsureSecondAsync(ct);
            progress?.Invoke($"  second controller restarted (pid {_secondPid})");
            return;
        }
        LabUpResult up;
        try
        {
            up = await _supervisor.UpControllerAsync(ct);
        }
        catch (LabException e)
        {
            // A later controller-kill of the same sequence hit the controller this restart was still
            // waiting for (long run, sequence 47): start it again; an instance already up is found, not doubled.
            progress?.Invoke($"  controller restart interrupted ({e.Message}); starting it again");
            up = await _supervisor.UpControllerAsync(ct);
        }
        progress?.Invoke($"  controller restarted: {string.Join("; ", up.Started.Concat(up.Found))}");
    }

    /// <summary>SIGCONT for a paused controller after <paramref name="after"/> (also when the wait is cancelled).</summary>
    public static async Task ContinueAfterAsync(int pid, TimeSpan after, TimeProvider time, CancellationToken ct)
    {
        try { await Task.Delay(after, time, ct); }
        finally { Posix.Signal(pid, Posix.SIGCONT); }
    }

    /// <summary>Resumes every controller left stopped (SIGSTOP).</summary>
    public void ResumePaused()
    {
        foreach (var pid in new[] { LabControllerPid(), _secondPid }.OfType<int>())
            if (Posix.State(pid) == 'T') Posix.Signal(pid, Posix.SIGCONT);
    }

    /// <summary>Starts the second controller when it is not running, and waits until it answers.</summary>
    public async Task EnsureSecondAsync(CancellationToken ct)
    {
        if (secondUrl is not { } url || (_secondPid is { } p && Posix.IsAlive(p))) return;
        _secondPid = DetachedProcess.Start(env.Self.Program,
            [.. env.Self.PrefixArgs, "monitor", "--listen", url.ToString(), "--name", $"campaign-second@{Environment.MachineName}", "--state-dir", env.Paths.Root],
            env.Paths.Log("controller-second"));
        var deadline = env.Time.GetUtcNow() + TimeSpan.FromSeconds(60);
        while (env.Time.GetUtcNow() < deadline)
        {
            try
            {
                using var answer = await _http.GetAsync(new Uri(url, "api/controller"), ct);
                if (answer.IsSuccessStatusCode) return;
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !ct.IsCancellationRequested) { }
            if (!Posix.IsAlive(_secondPid.Value)) throw new LabException($"the second controller exited at start; see {env.Paths.Log("controller-second")}");
            await Task.Delay(TimeSpan.FromMilliseconds(300), env.Time, ct);
        }
        throw new LabException($"the second controller did not answer at {url} within 60 s; see {env.Paths.Log("controller-second")}");
    }

    public async Task StopSecondAsync()
    {
        if (_secondPid is { } second) await DetachedProcess.StopAsync(second, TimeSpan.FromSeconds(10), CancellationToken.None);
    }

    /// <summary>Ticks the leading controller has made, or null when none answers as leader.</summary>
    public async Task<long?> LeaderTicksAsync(CancellationToken ct)
    {
        long? best = null;
        foreach (var url in new[] { new Uri(env.ControllerUrl), secondUrl }.OfType<Uri>())
        {
            if (await ControllerAsync(url, ct) is not { } doc) continue;
            using (doc)
                if (doc.RootElement.TryGetProperty("holdsLease", out var holds) && holds.ValueKind == System.Text.Json.JsonValueKind.True
                    && doc.RootElement.TryGetProperty("ticks", out var ticks) && ticks.TryGetInt64(out var n))
                    best = best is { } b && b > n ? b : n;
        }
        return best;
    }

    private async Task<bool> HoldsLeaseAsync(Uri controller, CancellationToken ct)
    {
        using var doc = await ControllerAsync(controller, ct);
        return doc is not null && doc.RootElement.TryGetProperty("holdsLease", out var holds) && holds.ValueKind == System.Text.Json.JsonValueKind.True;
    }

    /// <summary>The controller's <c>/api/controller</c>, or null when it does not answer.</summary>
    private async Task<System.Text.Json.JsonDocument?> ControllerAsync(Uri controller, CancellationToken ct)
    {
        try { return System.Text.Json.JsonDocument.Parse(await _http.GetStringAsync(new Uri(controller, "api/controller"), ct)); }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or System.Text.Json.JsonException && !ct.IsCancellationRequested) { return null; }
    }
}
