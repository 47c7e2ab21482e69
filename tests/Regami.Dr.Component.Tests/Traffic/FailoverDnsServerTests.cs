using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using DnsClient;
using DnsClient.Protocol;
using Regami.Dr.Core.Traffic;
using Regami.Dr.Lab.Dns;
using Xunit.Abstractions;
using static Regami.Dr.Component.Tests.Traffic.DnsTestKit;

namespace Regami.Dr.Component.Tests.Traffic;

/// <summary>
/// The real thing: the DNS server on a free 127.0.0.1 port (UDP and TCP), two Kestrel health
/// endpoints whose status code the tests flip, queries through DnsClient. Fast settings: probes every
/// 100 ms, threshold 2, so each switch takes a few hundred milliseconds.
/// </summary>
[Trait("Category", "RealSockets")]
public sealed class FailoverDnsServerTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const string Primary = "127.0.0.2";
    private const string Secondary = "127.0.0.3";
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(10);

    private readonly string _dir = Path.Combine(Path.GetTempPath(), "regami-dns-test-" + Guid.NewGuid().ToString("N")[..8]);
    private HealthEndpoint _primary = null!;
    private HealthEndpoint _secondary = null!;
    private int _port;

    private string StatusFile => Path.Combine(_dir, "dns-status.json");
    private string RoutingControls => Path.Combine(_dir, "routing-controls.json");
    private string VerifiedHealthy => Path.Combine(_dir, "verified-healthy.json");

    public async Task InitializeAsync()
    {
        _primary = await HealthEndpoint.StartAsync();
        _secondary = await HealthEndpoint.StartAsync();
        _port = FreeDnsPort();
    }

    public async Task DisposeAsync()
    {
        await _primary.DisposeAsync();
        await _secondary.DisposeAsync();
        if (Directory.Exists(_dir)) Directory.Delete(_dir, recursive: true);
    }

    private DnsServerOptions Options(Uri? primaryTarget = null) => new()
    {
        ListenEndPoint = new IPEndPoint(IPAddress.Loopback, _port),
        HealthCheck = new HealthCheckOptions
        {
            RequestInterval = TimeSpan.FromMilliseconds(100),
            FailureThreshold = 2,
            Timeout = TimeSpan.FromMilliseconds(100),
        },
        HealthCheckTargets = new Dictionary<string, Uri>
        {
            [DnsServerOptions.HealthCheckIdFor("eu-west-3")] = primaryTarget ?? _primary.Url,
            [DnsServerOptions.HealthCheckIdFor("eu-central-1")] = _secondary.Url,
        },
        RoutingControlsFile = RoutingControls,
        VerifiedHealthyFile = VerifiedHealthy,
        StatusFile = StatusFile,
    };

    private sealed record Running(Task Run, CancellationTokenSource Stop) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            await Stop.CancelAsync();
            await Run.WaitAsync(TimeSpan.FromSeconds(5));
            Stop.Dispose();
        }
    }

    private Running Start(DnsServerOptions options)
    {
        var stop = new CancellationTokenSource();
        var run = new FailoverDnsServer(new TestOutputLogger(output)).RunAsync(options, stop.Token);
        return new Running(run, stop);
    }

    private Task<string?> Answer(LookupClient dns) => AddressOf(dns);

    private Task<DnsServerStatus?> Status() => Task.FromResult(DnsServerStatus.TryRead(StatusFile));

    /// <summary>Waits until both checks have passed probes in a row and the primary is answered, so a
    /// test's fault starts from a settled state (a cold process may time out its very first probes).</summary>
    private Task<DnsServerStatus?> SteadyState() =>
        EventuallyAsync(Status,
            s => s is { Answer.Situation: FailoverSituation.PrimaryHealthy } && s.Records.All(r => r.Healthy && r.ConsecutiveSuccesses >= 2),
            Deadline, "both health checks settled healthy");

    [Fact]
    public async Task Fails_over_after_the_threshold_and_back_after_as_many_successes()
    {
        await using var server = Start(Options());
        var dns = Client(_port);
        await SteadyState();

        var first = await dns.QueryAsync("api.regami.test", QueryType.A);
        var record = first.Answers.ARecords().Single();
        Assert.Equal(Primary, record.Address.ToString());
        Assert.Equal(1, record.InitialTimeToLive);
        Assert.True(first.Header.HasAuthorityAnswer);

        // Primary's database check starts failing: the answer must move only once 2 probes in a row failed.
        _primary.StatusCode = 503;
        var seen = new List<DnsServerStatus>();
        await EventuallyAsync(async () =>
        {
            if (DnsServerStatus.TryRead(StatusFile) is { } s) seen.Add(s);
            return await Answer(dns);
        }, a => a == Secondary, Deadline, "DNS answer moves to the secondary");

        // Not before the threshold: the endpoint has sent at least 2 failures, and no tick ever
        // answered the secondary with fewer than 2 failures in a row recorded.
        Assert.True(_primary.FailedResponses >= 2, $"switched after {_primary.FailedResponses} failed probe(s)");
        Assert.DoesNotContain(seen, s => s.Answer.Region == "eu-central-1" && s.Records[0].ConsecutiveFailures < 2);
        var failedOver = await EventuallyAsync(Status, s => s?.Answer.Region == "eu-central-1", Deadline, "status shows the secondary");
        Assert.Equal(FailoverSituation.PrimaryUnhealthy, failedOver!.Answer.Situation);
        Assert.StartsWith("primary eu-west-3 unhealthy (", failedOver.Answer.Reason);
        Assert.Contains("HTTP 503", failedOver.Answer.Reason);
        Assert.EndsWith("→ answering secondary", failedOver.Answer.Reason);
        var primaryRecord = failedOver.Records[0];
        Assert.False(primaryRecord.Healthy);
        Assert.True(primaryRecord.ConsecutiveFailures >= 2);
        Assert.NotNull(primaryRecord.LastChangeAt);
        Assert.Equal(_primary.Url.ToString(), primaryRecord.Target);

        // The primary recovers: traffic returns after 2 passed probes.
        _primary.StatusCode = 200;
        await EventuallyAsync(() => Answer(dns), a => a == Primary, Deadline, "DNS answer returns to the primary");
        var failedBack = await EventuallyAsync(Status, s => s?.Answer.Region == "eu-west-3", Deadline, "status shows the primary");
        Assert.True(failedBack!.Records[0].Healthy);
        Assert.True(failedBack.Records[0].ConsecutiveSuccesses >= 2);
        Assert.Equal(Environment.ProcessId, failedBack.Pid);
        Assert.Equal(1, failedBack.TtlSeconds);
        Assert.True(failedBack.QueriesAnswered > 0);
    }

    [Fact]
    public async Task All_unhealthy_answers_the_primary()
    {
        await using var server = Start(Options());
        var dns = Client(_port);
        await SteadyState();

        _primary.StatusCode = 503;
        _secondary.StatusCode = 500;

        var status = await EventuallyAsync(Status, s => s?.Answer.Situation == FailoverSituation.AllUnhealthy, Deadline, "both unhealthy");
        Assert.Equal(Primary, await Answer(dns));
        Assert.EndsWith("all records unhealthy → Route 53 answers as if all were healthy → primary", status!.Answer.Reason);
        Assert.All(status.Records, r => Assert.False(r.Healthy));

        // The secondary coming back takes traffic, since the primary is still down.
        _secondary.StatusCode = 200;
        await EventuallyAsync(() => Answer(dns), a => a == Secondary, Deadline, "healthy secondary answered");
    }

    [Fact]
    public async Task A_new_check_starts_healthy_then_an_unreachable_primary_fails_over()
    {
        var refused = new Uri($"http://127.0.0.1:{ClosedTcpPort()}/health?check=db");
        // 1 s probes here: the first query must land before the second probe could flip the status.
        var slow = new HealthCheckOptions { RequestInterval = TimeSpan.FromSeconds(1), FailureThreshold = 2, Timeout = TimeSpan.FromSeconds(1) };
        await using var server = Start(Options(primaryTarget: refused) with { HealthCheck = slow });
        var dns = Client(_port);

        // Sockets are bound when RunAsync returns: the very first query is answered, by the primary,
        // although its first probe has already been refused.
        Assert.Equal(Primary, await Answer(dns));

        await EventuallyAsync(() => Answer(dns), a => a == Secondary, Deadline, "failover away from a refused endpoint");
        var status = await EventuallyAsync(Status, s => s?.Answer.Region == "eu-central-1", Deadline, "status shows the secondary");
        Assert.StartsWith("connection refused", status!.Records[0].LastReason);
    }

    [Fact]
    public async Task Routing_controls_file_turns_a_region_off_and_on()
    {
        await using var server = Start(Options());
        var dns = Client(_port);
        await SteadyState();

        RoutingControlsFile.Write(RoutingControls, new Dictionary<string, bool> { ["eu-west-3"] = false, ["eu-central-1"] = true });
        await EventuallyAsync(() => Answer(dns), a => a == Secondary, Deadline, "primary switched off");
        var off = await EventuallyAsync(Status, s => s?.Answer.Region == "eu-central-1", Deadline, "status shows routing control off");
        Assert.False(off!.RoutingControls["eu-west-3"]);
        Assert.False(off.Records[0].RoutingControlOn);
        Assert.True(off.Records[0].Healthy);
        Assert.False(off.Records[0].EffectiveHealthy);
        Assert.StartsWith("primary eu-west-3 unhealthy (routing control off)", off.Answer.Reason);

        // A broken file keeps the last good state and says so.
        await File.WriteAllTextAsync(RoutingControls, "{ not json");
        var broken = await EventuallyAsync(Status, s => s?.RoutingControlsError is not null, Deadline, "broken file reported");
        Assert.Equal("eu-central-1", broken!.Answer.Region);
        Assert.Equal(Secondary, await Answer(dns));

        RoutingControlsFile.Write(RoutingControls, new Dictionary<string, bool> { ["eu-west-3"] = true });
        await EventuallyAsync(() => Answer(dns), a => a == Primary, Deadline, "primary switched back on");

        RoutingControlsFile.Write(RoutingControls, new Dictionary<string, bool> { ["eu-west-3"] = false });
        await EventuallyAsync(() => Answer(dns), a => a == Secondary, Deadline, "primary switched off again");
        File.Delete(RoutingControls);
        await EventuallyAsync(() => Answer(dns), a => a == Primary, Deadline, "a missing file means all on");
    }

    [Fact]
    public async Task A_verified_region_is_answered_at_once_not_after_a_threshold_of_fresh_passes()
    {
        // A threshold of 10 probes at 200 ms: passing it takes ≥ 2 s; the verification must not wait for it.
        var slowToTrust = new HealthCheckOptions { RequestInterval = TimeSpan.FromMilliseconds(200), FailureThreshold = 10, Timeout = TimeSpan.FromMilliseconds(200) };
        // A verification written before the server starts is old news: it must change nothing.
        VerifiedHealthyFile.Write(VerifiedHealthy, "eu-central-1", new HealthVerification(DateTimeOffset.UtcNow, "stale"));
        _secondary.StatusCode = 503;
        await using var server = Start(Options() with { HealthCheck = slowToTrust });
        var dns = Client(_port);
        await EventuallyAsync(Status, s => s is { } st && !st.Records[1].Healthy, Deadline, "the cold secondary turns unhealthy");

        // The failover: the primary's control goes off (both records unhealthy → the primary is still
        // answered), then the secondary comes up, is verified by the runbook and marked.
        RoutingControlsFile.Write(RoutingControls, new Dictionary<string, bool> { ["eu-west-3"] = false, ["eu-central-1"] = true });
        await EventuallyAsync(Status, s => s?.Answer.Situation == FailoverSituation.AllUnhealthy, Deadline, "all unhealthy");
        Assert.Equal(Primary, await Answer(dns));
        _secondary.StatusCode = 200;
        var markedAt = Stopwatch.StartNew();
        VerifiedHealthyFile.Write(VerifiedHealthy, "eu-central-1", new HealthVerification(DateTimeOffset.UtcNow, "run r-1 saw it healthy"));
        await EventuallyAsync(() => Answer(dns), a => a == Secondary, Deadline, "the verified secondary is answered");
        var answeredAfter = markedAt.Elapsed;

        var status = await EventuallyAsync(Status, s => s?.Answer.Region == "eu-central-1", Deadline, "status shows the secondary");
        // Fewer passes than the threshold when it was first answered: the verification did it.
        Assert.True(answeredAfter < TimeSpan.FromSeconds(1.5), $"answered {answeredAfter.TotalSeconds:0.00} s after the mark; 10 passes take ≥ 2 s");
        Assert.True(status!.Records[1].Healthy);
        output.WriteLine($"answered {answeredAfter.TotalMilliseconds:0} ms after the mark; {status.Records[1].ConsecutiveSuccesses} passes since; {status.Records[1].LastReason}");

        // Probing goes on: a marked region that fails its checks turns unhealthy again.
        _secondary.StatusCode = 503;
        await EventuallyAsync(Status, s => s is { } st && !st.Records[1].Healthy, Deadline, "the secondary fails its checks again");
    }

    [Fact]
    public void Verified_healthy_file_hands_out_each_new_verification_once()
    {
        Directory.CreateDirectory(_dir);
        var old = new HealthVerification(DateTimeOffset.Parse("2026-11-30T00:00:00Z"), "before the server started");
        VerifiedHealthyFile.Write(VerifiedHealthy, "eu-central-1", old);
        var file = new VerifiedHealthyFile(VerifiedHealthy);
        Assert.Empty(file.TakeNew());

        var fresh = new HealthVerification(DateTimeOffset.Parse("2026-11-30T00:00:05Z"), "run r-2");
        VerifiedHealthyFile.Write(VerifiedHealthy, "eu-west-3", fresh);
        var taken = file.TakeNew();
        Assert.Equal(fresh, Assert.Single(taken, v => v.Key == "eu-west-3").Value);
        Assert.DoesNotContain("eu-central-1", taken.Keys);
        Assert.Empty(file.TakeNew());

        File.WriteAllText(VerifiedHealthy, "{ broken");
        Assert.Empty(file.TakeNew());
        Assert.NotNull(file.Error);
    }

    [Fact]
    public async Task Answers_the_zone_like_an_authoritative_server_over_udp_and_tcp()
    {
        await using var server = Start(Options());

        foreach (var tcp in new[] { false, true })
        {
            var dns = Client(_port, tcpOnly: tcp);
            var via = tcp ? "TCP" : "UDP";

            var api = await dns.QueryAsync("API.Regami.Test", QueryType.A);
            Assert.True(Primary == api.Answers.ARecords().SingleOrDefault()?.Address.ToString(), $"{via}: api A");

            var other = await dns.QueryAsync("www.regami.test", QueryType.A);
            Assert.Equal(DnsHeaderResponseCode.NotExistentDomain, other.Header.ResponseCode);
            Assert.Single(other.Authorities.SoaRecords());

            var outside = await dns.QueryAsync("example.com", QueryType.A);
            Assert.Equal(DnsHeaderResponseCode.Refused, outside.Header.ResponseCode);

            var noData = await dns.QueryAsync("api.regami.test", QueryType.AAAA);
            Assert.Equal(DnsHeaderResponseCode.NoError, noData.Header.ResponseCode);
            Assert.Empty(noData.Answers);

            var soa = await dns.QueryAsync("regami.test", QueryType.SOA);
            Assert.Equal("ns.regami.test.", soa.Answers.SoaRecords().Single().MName.Value);

            var ns = await dns.QueryAsync("regami.test", QueryType.NS);
            Assert.Equal("ns.regami.test.", ns.Answers.NsRecords().Single().NSDName.Value);
            Assert.Equal("127.0.0.1", await AddressOf(dns, "ns.regami.test"));
        }
    }

    [Fact]
    public async Task Releases_its_sockets_so_it_can_start_and_stop_repeatedly()
    {
        for (var round = 0; round < 3; round++)
        {
            var server = Start(Options());
            Assert.Equal(Primary, await Answer(Client(_port)));
            await server.DisposeAsync();

            Assert.Equal("stopped", DnsServerStatus.TryRead(StatusFile)?.State);
        }

        using var udp = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        udp.Bind(new IPEndPoint(IPAddress.Loopback, _port));
        using var tcp = new TcpListener(IPAddress.Loopback, _port);
        tcp.Start();
        tcp.Stop();
    }

    [Fact]
    public void A_port_in_use_fails_at_once_and_leaves_nothing_bound()
    {
        // TCP taken, UDP free: the UDP transport binds first and must be released again.
        using var blocker = new TcpListener(IPAddress.Loopback, _port);
        blocker.Start();

        Assert.Throws<SocketException>(() => { _ = new FailoverDnsServer().RunAsync(Options(), CancellationToken.None); });

        using var udp = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        udp.Bind(new IPEndPoint(IPAddress.Loopback, _port));
    }

    [Fact]
    public void Invalid_options_are_refused_with_every_problem_named()
    {
        var options = Options() with
        {
            Zone = "other.test",
            HealthCheck = new HealthCheckOptions { FailureThreshold = 0 },
        };

        var e = Assert.Throws<ArgumentException>(() => { _ = new FailoverDnsServer().RunAsync(options, CancellationToken.None); });

        Assert.Contains("healthCheck.failureThreshold must be between 1 and 10", e.Message);
        Assert.Contains("record name 'api.regami.test' is not inside zone 'other.test'", e.Message);
    }

    [Fact]
    public void Default_options_are_the_lab_of_the_design()
    {
        var o = new DnsServerOptions();

        Assert.Empty(o.Validate());
        Assert.Equal("127.0.0.1:5353", o.ListenEndPoint.ToString());
        Assert.Equal("api.regami.test", o.RecordSet.Name);
        Assert.Equal(1, o.RecordSet.TtlSeconds);
        Assert.Equal(("eu-west-3", "127.0.0.2"), (o.RecordSet.Primary.Region, o.RecordSet.Primary.Address));
        Assert.Equal(("eu-central-1", "127.0.0.3"), (o.RecordSet.Secondary.Region, o.RecordSet.Secondary.Address));
        Assert.Equal("http://127.0.0.2:8080/health?check=db", o.HealthCheckTargets[o.RecordSet.Primary.HealthCheckId!].ToString());
        Assert.Equal("http://127.0.0.3:8080/health?check=db", o.HealthCheckTargets[o.RecordSet.Secondary.HealthCheckId!].ToString());
    }
}
