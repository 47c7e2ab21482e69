using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using DnsClient;

namespace Regami.Dr.Integration.Tests.Infrastructure;

/// <summary>
/// A concurrent writer like a real client: resolves the public name through the lab DNS (no
/// cache beyond the TTL), writes sequence-numbered records with short timeouts, and remembers
/// every acknowledged seq.
/// </summary>
public sealed class PublicWriter : IAsyncDisposable
{
    private readonly TestLab lab;
    private readonly CancellationTokenSource stop = new();
    private readonly Task loop;
    public ConcurrentBag<long> Acknowledged { get; } = [];
    public int Failed;
    public long NextSeq;

    public PublicWriter(TestLab lab, long firstSeq, TimeSpan interval)
    {
        this.lab = lab;
        NextSeq = firstSeq;
        loop = Task.Run(() => RunAsync(interval, stop.Token));
    }

    private async Task RunAsync(TimeSpan interval, CancellationToken ct)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(1) };
        var dns = new LookupClient(new LookupClientOptions(new NameServer(IPAddress.Parse(lab.DnsAddress), TestLab.DnsPort))
        { UseCache = true, Timeout = TimeSpan.FromMilliseconds(500), Retries = 0, ThrowDnsErrors = false });
        while (!ct.IsCancellationRequested)
        {
            var seq = NextSeq++;
            try
            {
                var answer = (await dns.QueryAsync(TestLab.PublicName, QueryType.A, cancellationToken: ct)).Answers.ARecords().FirstOrDefault();
                if (answer is null) { Interlocked.Increment(ref Failed); }
                else
                {
                    using var r = await http.PostAsJsonAsync($"http://{answer.Address}:8080/api/records", new { seq, payload = $"writer-{seq}" }, ct);
                    if (r.StatusCode == HttpStatusCode.Created) Acknowledged.Add(seq);
                    else Interlocked.Increment(ref Failed);
                }
            }
            catch (Exception) when (!ct.IsCancellationRequested) { Interlocked.Increment(ref Failed); }
            catch (OperationCanceledException) { break; }
            try { await Task.Delay(interval, ct); } catch (OperationCanceledException) { break; }
        }
    }

    public async Task StopAsync()
    {
        stop.Cancel();
        await loop;
    }

    public async ValueTask DisposeAsync()
    {
        if (!stop.IsCancellationRequested) await StopAsync();
        stop.Dispose();
    }
}
