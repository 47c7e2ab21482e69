using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Regami.Dr.Server.Leases;

/// <summary>
/// etcd v3 through its gRPC-JSON gateway: every RPC is a POST of the request message as JSON to
/// <c>&lt;client URL&gt;&lt;prefix&gt;/&lt;service path&gt;</c>. Keys and values are base64 (protobuf
/// <c>bytes</c>); 64-bit integers (lease IDs, revisions, TTLs in answers) travel as strings; fields
/// at their default value (false, 0, empty) are left out of answers.
/// </summary>
/// <remarks>
/// The prefix depends on the cluster version, which <c>GET /version</c> reports: 3.0–3.2 serve
/// <c>/v3alpha</c>, 3.3 <c>/v3beta</c>, 3.4 <c>/v3</c> (and still <c>/v3beta</c>), 3.5 and later only
/// <c>/v3</c>. We ask once and keep the answer, as Patroni does. Each request has its own
/// deadline; an answer that does not come in time is an error, never a guess.
/// </remarks>
internal sealed class EtcdGateway(Uri endpoint, HttpClient http)
{
    private readonly string _endpoint = endpoint.GetLeftPart(UriPartial.Path).TrimEnd('/');
    private string? _prefix;

    public string Endpoint => _endpoint;

    /// <summary>How long one request may take.</summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary><c>/v3</c>, <c>/v3beta</c> or <c>/v3alpha</c> once known.</summary>
    public string? Prefix => _prefix;

    /// <summary>etcd's <c>etcdcluster</c> version once known.</summary>
    public string? ClusterVersion { get; private set; }

    /// <summary>Calls <paramref name="rpc"/> (e.g. <c>/kv/txn</c>) with <paramref name="request"/> serialized as it is.</summary>
    public async Task<JsonElement> CallAsync(string rpc, object request, CancellationToken ct)
    {
        var prefix = _prefix ?? await DetectPrefixAsync(ct);
        var path = prefix + rpc;
        // Property names exactly as written (proto field names: "TTL", "ID", "request_put"), no web camel-casing.
        var body = new StringContent(JsonSerializer.Serialize(request), Encoding.UTF8, "application/json");
        var answer = await SendAsync(HttpMethod.Post, path, body, ct);
        // A streaming RPC (keepalive) reports an error inside the answer: {"error":{"grpc_code":…,"message":…}}.
        if (answer.ValueKind == JsonValueKind.Object && answer.TryGetProperty("error", out var error) && error.ValueKind == JsonValueKind.Object)
        {
            throw new EtcdException(_endpoint, $"POST {path}", Text(error, "message") ?? error.GetRawText(),
                grpcCode: (int?)Int64(error, "grpc_code"), httpStatus: (int?)Int64(error, "http_code") ?? 200);
        }
        return answer;
    }

    private async Task<string> DetectPrefixAsync(CancellationToken ct)
    {
        var version = await SendAsync(HttpMethod.Get, "/version", content: null, ct);
        var cluster = Text(version, "etcdcluster");
        var server = Text(version, "etcdserver");
        // The cluster version is "not_decided" while a new cluster elects its first leader.
        var parsed = ParseVersion(cluster) ?? ParseVersion(server)
            ?? throw new EtcdException(_endpoint, "GET /version", $"no version in the answer: {version.GetRawText()}", httpStatus: 200);
        ClusterVersion = cluster;
        _prefix = parsed < new Version(3, 3) ? "/v3alpha" : parsed < new Version(3, 4) ? "/v3beta" : "/v3";
        return _prefix;
    }

    private async Task<JsonElement> SendAsync(HttpMethod method, string path, HttpContent? content, CancellationToken ct)
    {
        var call = $"{method} {path}";
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
        deadline.CancelAfter(RequestTimeout);
        try
        {
            using var request = new HttpRequestMessage(method, _endpoint + path) { Content = content };
            using var response = await http.SendAsync(request, HttpCompletionOption.ResponseContentRead, deadline.Token);
            var body = await response.Content.ReadAsStringAsync(deadline.Token);
            JsonElement answer;
            try
            {
                using var document = JsonDocument.Parse(body);
                answer = document.RootElement.Clone();
            }
            catch (JsonException)
            {
                throw new EtcdException(_endpoint, call, $"answered {(int)response.StatusCode} with something that is not JSON: {Shorten(body)}",
                    httpStatus: (int)response.StatusCode);
            }
            if (!response.IsSuccessStatusCode)
            {
                // {"error":"etcdserver: requested lease not found","message":"…","code":5}
                var detail = Text(answer, "message") ?? Text(answer, "error") ?? Shorten(body);
                throw new EtcdException(_endpoint, call, detail, grpcCode: (int?)Int64(answer, "code"), httpStatus: (int)response.StatusCode);
            }
            return answer;
        }
        catch (OperationCanceledException e) when (!ct.IsCancellationRequested)
        {
            throw new EtcdException(_endpoint, call, $"did not answer within {RequestTimeout.TotalSeconds:0.###} s", inner: e);
        }
        catch (HttpRequestException e)
        {
            throw new EtcdException(_endpoint, call, e.Message, inner: e);
        }
    }

    public static string Base64(string text) => Convert.ToBase64String(Encoding.UTF8.GetBytes(text));

    public static string FromBase64(string base64) => Encoding.UTF8.GetString(Convert.FromBase64String(base64));

    /// <summary>A string property, or null.</summary>
    public static string? Text(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String
            ? value.GetString()
            : null;

    /// <summary>A 64-bit integer, sent as a JSON string or number; null when left out (protobuf's default, 0).</summary>
    public static long? Int64(JsonElement element, string name)
    {
        if (element.ValueKind != JsonValueKind.Object || !element.TryGetProperty(name, out var value)) return null;
        return value.ValueKind switch
        {
            JsonValueKind.Number => value.GetInt64(),
            JsonValueKind.String when long.TryParse(value.GetString(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var parsed) => parsed,
            _ => null,
        };
    }

    public static bool Bool(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.True;

    private static Version? ParseVersion(string? text)
    {
        if (text is null) return null;
        var parts = text.Split('.');
        return parts.Length >= 2 && int.TryParse(parts[0], out var major) && int.TryParse(parts[1], out var minor) ? new Version(major, minor) : null;
    }

    private static string Shorten(string text) => text.Length <= 200 ? text : text[..200] + "…";
}
