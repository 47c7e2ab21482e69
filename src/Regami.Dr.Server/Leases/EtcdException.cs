namespace Regami.Dr.Server.Leases;

/// <summary>
/// A call to etcd's JSON gateway that did not get an answer, or got an error as its answer. The
/// message names the endpoint, the call and etcd's own words (or the transport's, when etcd did
/// not answer), e.g. <c>etcd http://127.0.0.1:2379: POST /v3/lease/keepalive: did not answer within 2 s</c>.
/// </summary>
public sealed class EtcdException : Exception
{
    /// <summary>etcd's text for a lease that has expired or was revoked.</summary>
    public const string LeaseNotFoundText = "etcdserver: requested lease not found";

    public EtcdException(string endpoint, string call, string detail, int? grpcCode = null, int? httpStatus = null, Exception? inner = null)
        : base($"etcd {endpoint}: {call}: {detail}", inner)
    {
        Endpoint = endpoint;
        Call = call;
        Detail = detail;
        GrpcCode = grpcCode;
        HttpStatus = httpStatus;
    }

    /// <summary>The client URL called, e.g. <c>http://127.0.0.1:2379</c>.</summary>
    public string Endpoint { get; }

    /// <summary>The request, e.g. <c>POST /v3/kv/txn</c>.</summary>
    public string Call { get; }

    /// <summary>etcd's message (<c>etcdserver: requested lease not found</c>), or what the transport said.</summary>
    public string Detail { get; }

    /// <summary>The gRPC status code etcd answered with (5 = NotFound, 14 = Unavailable, …); null when etcd did not answer.</summary>
    public int? GrpcCode { get; }

    /// <summary>The gateway's HTTP status; null when etcd did not answer.</summary>
    public int? HttpStatus { get; }

    /// <summary>True when etcd answered (an error); false when it could not be reached or did not answer in time.</summary>
    public bool EtcdAnswered => HttpStatus is not null;

    public bool IsLeaseNotFound => Detail == LeaseNotFoundText;
}
