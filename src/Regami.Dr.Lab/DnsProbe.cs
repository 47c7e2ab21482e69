using System.Net;
using DnsClient;
using Regami.Dr.Lab.Configuration;

namespace Regami.Dr.Lab;

/// <summary>Asks the lab's DNS server, as a client would, which address the public name has.</summary>
public static class DnsProbe
{
    public static async Task<string?> QueryAsync(DnsOptions dns, CancellationToken ct)
    {
        var client = new LookupClient(new LookupClientOptions(new NameServer(IPAddress.Parse(dns.Address), dns.Port))
        {
            UseCache = false,
            Timeout = TimeSpan.FromSeconds(1),
            Retries = 0,
            ThrowDnsErrors = false,
            ContinueOnDnsError = false,
        });
        try
        {
            var result = await client.QueryAsync(dns.FullName, QueryType.A, cancellationToken: ct);
            return result.Answers.ARecords().FirstOrDefault()?.Address.ToString();
        }
        catch (DnsResponseException)
        {
            return null;
        }
    }
}
