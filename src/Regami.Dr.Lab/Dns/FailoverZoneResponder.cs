using System.Net;
using ARSoft.Tools.Net;
using ARSoft.Tools.Net.Dns;
using Regami.Dr.Core.Traffic;

namespace Regami.Dr.Lab.Dns;

/// <summary>
/// Turns a DNS query into the authoritative response of the lab zone:
/// <list type="bullet">
/// <item>the failover name, type A (or ANY) → the current <see cref="FailoverAnswer"/>'s address with the record set's TTL;</item>
/// <item>the zone apex → SOA and NS (<c>ns.{zone}</c>, which resolves to the server's own address);</item>
/// <item>an existing name with another type → NOERROR without answers (NODATA) and the SOA;</item>
/// <item>any other name in the zone → NXDOMAIN and the SOA; a name outside the zone → REFUSED.</item>
/// </list>
/// Negative answers carry the record set's TTL as SOA minimum, so they are not cached longer than answers.
/// </summary>
public sealed class FailoverZoneResponder
{
    private readonly DomainName _zone;
    private readonly DomainName _name;
    private readonly DomainName _nameServer;
    private readonly IPAddress _nameServerAddress;
    private readonly int _ttl;

    public FailoverZoneResponder(DnsServerOptions options)
    {
        _zone = DomainName.Parse(options.Zone);
        _name = DomainName.Parse(options.RecordSet.Name);
        _nameServer = DomainName.Parse("ns." + options.Zone);
        _nameServerAddress = options.NameServerAddress;
        _ttl = options.RecordSet.TtlSeconds;
    }

    /// <summary>Builds the response to <paramref name="query"/>; <paramref name="currentAnswer"/> is asked only for the failover name.</summary>
    public DnsMessage Respond(DnsMessage query, Func<FailoverAnswer> currentAnswer)
    {
        var response = query.CreateResponseInstance();
        response.IsRecursionAllowed = false;
        if (query.Questions.Count != 1)
        {
            response.ReturnCode = ReturnCode.FormatError;
            return response;
        }

        var question = query.Questions[0];
        if (!question.Name.IsEqualOrSubDomainOf(_zone) || question.RecordClass is not (RecordClass.INet or RecordClass.Any))
        {
            response.ReturnCode = ReturnCode.Refused;
            return response;
        }

        response.IsAuthoritiveAnswer = true;
        response.ReturnCode = ReturnCode.NoError;
        var type = question.RecordType;
        var any = type == RecordType.Any;

        if (question.Name.Equals(_name))
        {
            if (type == RecordType.A || any)
                response.AnswerRecords.Add(new ARecord(_name, _ttl, IPAddress.Parse(currentAnswer().Address)));
        }
        else if (question.Name.Equals(_zone))
        {
            if (type == RecordType.Soa || any) response.AnswerRecords.Add(Soa());
            if (type == RecordType.Ns || any) response.AnswerRecords.Add(new NsRecord(_zone, _ttl, _nameServer));
        }
        else if (question.Name.Equals(_nameServer))
        {
            if (type == RecordType.A || any) response.AnswerRecords.Add(new ARecord(_nameServer, _ttl, _nameServerAddress));
        }
        else
        {
            response.ReturnCode = ReturnCode.NxDomain;
        }

        if (response.AnswerRecords.Count == 0)
            response.AuthorityRecords.Add(Soa());
        return response;
    }

    private SoaRecord Soa() => new(
        _zone, _ttl, _nameServer, DomainName.Parse("hostmaster." + _zone),
        serialNumber: 1, refreshInterval: 3600, retryInterval: 600, expireInterval: 86400, negativeCachingTTL: _ttl);
}
