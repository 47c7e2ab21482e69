using System.Net;
using System.Net.Http.Json;
using Regami.Dr.Core.Campaigns;

namespace Regami.Dr.Lab.Campaign;

/// <summary>
/// The single-writer check, from outside: every <see cref="Period"/> it sends one write to every region's
/// load balancer at the same instant and records which regions acknowledged it (HTTP 201 — the row is
/// committed in that region's database). Two acknowledgements in one round are two writable databases
/// reachable at once. The public name always leads to one of these load balancers, so checking them
/// covers it. Probe rows use their own seq range, apart from the writer's.
/// </summary>
public sealed class SingleWriterSampler(LabEnvironment env, long firstSeq)
{
    public TimeSpan Period { get; init; } = TimeSpan.FromMilliseconds(250);
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(1);

    private readonly List<WriterSample> _samples = [];
    private long _next = firstSeq;

    /// <summary>Rounds sent so far.</summary>
    public int Rounds { get; private set; }

    /// <summary>Rounds in which at least one region acknowledged.</summary>
    public int RoundsAcknowledged { get; private set; }

    /// <summary>Rounds in which more than one region acknowledged.</summary>
    public IReadOnlyList<WriterSample> Samples
    {
        get { lock (_samples) return _samples.ToList(); }
    }

    public async Task RunAsync(CancellationToken ct)
    {
        using var http = new HttpClient(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromSeconds(5), ConnectTimeout = RequestTimeout })
        { Timeout = Timeout.InfiniteTimeSpan };
        var regions = env.Options.Regions;
        using var timer = new PeriodicTimer(Period, env.Time);
        try
        {
            do
            {
                var at = env.Time.GetUtcNow();
                var answers = await Task.WhenAll(regions.Select(r => TryWriteAsync(http, env.LoadBalancerUrl(r), Interlocked.Increment(ref _next), ct)));
                var acked = regions.Where((_, i) => answers[i]).Select(r => r.Name).ToList();
                Rounds++;
                if (acked.Count > 0) RoundsAcknowledged++;
                if (acked.Count > 1)
                    lock (_samples) _samples.Add(new WriterSample(at, acked));
            }
            while (await timer.WaitForNextTickAsync(ct));
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested) { }
    }

    private async Task<bool> TryWriteAsync(HttpClient http, string loadBalancerUrl, long seq, CancellationToken ct)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(RequestTimeout);
        try
        {
            using var response = await http.PostAsJsonAsync(loadBalancerUrl + "/api/records", new { seq, payload = "campaign-probe" }, timeout.Token);
            return response.StatusCode == HttpStatusCode.Created;
        }
        catch (Exception e) when (e is HttpRequestException or OperationCanceledException && !ct.IsCancellationRequested)
        {
            return false; // no answer: nothing was acknowledged
        }
    }
}
