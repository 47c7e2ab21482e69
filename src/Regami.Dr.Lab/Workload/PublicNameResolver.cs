using System.Net;
using DnsClient;

namespace Regami.Dr.Lab.Workload;

/// <summary>
/// Resolves the public name as an ordinary client does: asks one DNS server and keeps the answer for exactly its TTL
/// (the lab's 1 s), so the workload follows a failover as fast as a real client would, and no faster.
/// </summary>
public sealed class PublicNameResolver
{
    private readonly LookupClient _client;
    private readonly string _name;

    public PublicNameResolver(string name, IPAddress server, int port, TimeSpan timeout)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        _name = name;
        _client = new LookupClient(new LookupClientOptions(new NameServer(server, port))
        {
            UseCache = true,              // honour the TTL...
            MinimumCacheTimeout = null,   // ...as served: no floor,
            MaximumCacheTimeout = null,   // no ceiling,
            CacheFailedResults = false,   // and no memory of failures.
            Timeout = timeout,
            Retries = 0,
            ThrowDnsErrors = false,
            ContinueOnDnsError = false,
            ContinueOnEmptyResponse = false,
        });
    }

    public PublicNameResolver(WorkloadOptions options)
        : this(options.PublicName, IPAddress.Parse(options.DnsAddress), options.DnsPort, options.DnsTimeout)
    {
    }

    /// <summary>
    /// The first A record of the name, or null when the server answered without one. Concurrent callers share one query
    /// (at 50 writes/s, an expired answer would otherwise send a burst of identical queries); the query itself is
    /// bounded by the DNS timeout, and <paramref name="cancellationToken"/> only stops this caller's wait.
    /// </summary>
    /// <exception cref="DnsResponseException">No answer in time, or the server could not be reached.</exception>
    public Task<string?> ResolveAsync(CancellationToken cancellationToken)
    {
        Task<string?> query;
        lock (_gate)
        {
            if (_pending is null || _pending.IsCompleted)
                _pending = QueryAsync();
            query = _pending;
        }
        return query.WaitAsync(cancellationToken);
    }

    private readonly object _gate = new();
    private Task<string?>? _pending;

    private async Task<string?> QueryAsync()
    {
        var response = await _client.QueryAsync(_name, QueryType.A, QueryClass.IN, CancellationToken.None).ConfigureAwait(false);
        return response.Answers.ARecords().FirstOrDefault()?.Address.ToString();
    }
}
