using System.Diagnostics;
using System.Net;
using Regami.Dr.Core.Drills;
using Regami.Dr.Component.Tests.Traffic;
using Regami.Dr.Core.Traffic;
using Regami.Dr.Lab.Dns;
using Regami.Dr.Lab.Workload;
using Xunit.Abstractions;
using Regami.Dr.Component.Tests.Infrastructure;

namespace Regami.Dr.Component.Tests.Drills;

/// <summary>
/// The workload against a real Kestrel app that mimics the API (201, then 503, then hung, then 201 again), with the
/// name resolution faked at its port; and once through the real lab DNS server, following a failover.
/// </summary>
[Trait("Category", "RealSockets")]
public sealed class PublicNameWorkloadTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(10);

    private static WorkloadOptions Fast(int port, string address = "127.0.0.1") => new()
    {
        Resolve = _ => Task.FromResult<string?>(address),
        LoadBalancerPort = port,
        RatePerSecond = 100,
        RequestTimeout = TimeSpan.FromMilliseconds(250),
        FirstSeq = 1000,
    };

    private sealed record Running(PublicNameWorkload Workload, Task Run, CancellationTokenSource Stop) : IAsyncDisposable
    {
        public async Task<IReadOnlyList<WriteAttempt>> StopAsync()
        {
            await Stop.CancelAsync();
            await Run.WaitAsync(Deadline);
            return Workload.Attempts();
        }

        public async ValueTask DisposeAsync()
        {
            if (!Run.IsCompleted) await StopAsync();
            Stop.Dispose();
        }
    }

    private static Running Start(WorkloadOptions options)
    {
        var workload = new PublicNameWorkload(options, TimeProvider.System);
        var stop = new CancellationTokenSource();
        return new Running(workload, workload.RunAsync(stop.Token), stop);
    }

    private static Task Until(Func<bool> condition, string what) => Eventually.WaitUntilAsync(condition, Deadline, what);

    [Fact]
    public async Task Records_every_write_through_commit_refusal_hang_and_recovery()
    {
        await using var api = await FakeRecordsApi.StartAsync();
        await using var running = Start(Fast(api.Port));
        var w = running.Workload;

        await Until(() => w.Progress.Acknowledged >= 15, "15 writes acknowledged");
        var faultAt = DateTimeOffset.UtcNow;
        api.Mode = FakeApiMode.ReadOnly;
        await Until(() => w.Progress.Refused >= 15, "15 writes refused");
        api.Mode = FakeApiMode.Hang;
        await Until(() => w.Progress.Unknown >= 15, "15 writes timed out");
        var healedAt = DateTimeOffset.UtcNow;
        api.Mode = FakeApiMode.Commit;
        var acknowledgedBefore = w.Progress.Acknowledged;
        await Until(() => w.Progress.Acknowledged >= acknowledgedBefore + 15, "15 more writes acknowledged");
        var stopAt = DateTimeOffset.UtcNow;
        var attempts = await running.StopAsync();

        // Every write started has exactly one outcome: nothing is left in flight after the stop.
        var progress = w.Progress;
        output.WriteLine($"{progress}");
        Assert.Equal(Enumerable.Range(1000, attempts.Count).Select(i => (long)i), attempts.Select(a => a.Seq));
        Assert.Equal(progress.Sent, attempts.Count);
        Assert.Equal(progress.LastSeq, attempts[^1].Seq);
        Assert.Equal(0, progress.InFlight);
        Assert.Equal(attempts.Count, progress.Acknowledged + progress.Refused + progress.Unknown);
        Assert.NotNull(w.StoppedAt);

        var acks = attempts.Where(a => a.Outcome == WriteOutcome.Acknowledged).ToList();
        Assert.All(acks, a =>
        {
            Assert.Equal(201, a.StatusCode);
            Assert.Equal("eu-west-3", a.Region);
            Assert.NotNull(a.CommittedAt);
            Assert.InRange(a.CommittedAt!.Value, a.SentAt.AddSeconds(-1), a.AnsweredAt!.Value.AddSeconds(1));
            Assert.Equal("127.0.0.1", a.Address);
            Assert.Null(a.Error);
        });
        var refused = attempts.Where(a => a.Outcome == WriteOutcome.Refused).ToList();
        Assert.All(refused, a =>
        {
            Assert.Equal(503, a.StatusCode);
            Assert.Contains("database is read-only: cannot execute INSERT", a.Error);
        });
        var unknown = attempts.Where(a => a.Outcome == WriteOutcome.Unknown).ToList();
        Assert.All(unknown, a =>
        {
            Assert.Null(a.StatusCode);
            Assert.Contains("no answer from 127.0.0.1 within 250 ms", a.Error);
            // Given up only after its timeout (a lower bound: a slow machine only makes it later).
            Assert.True((a.AnsweredAt!.Value - a.SentAt).TotalMilliseconds >= 200, $"gave up after {(a.AnsweredAt!.Value - a.SentAt).TotalMilliseconds:0} ms");
        });
        Assert.StartsWith("seq ", progress.LastError);

        // A hung write does not hold the schedule: another write starts while it hangs (the hung
        // writes overlap). How many a second a busy machine manages is printed, not asserted.
        Assert.Contains(unknown, a => unknown.Any(b => b.Seq != a.Seq && b.SentAt > a.SentAt && b.SentAt < a.AnsweredAt!.Value));
        var hangFrom = unknown.Min(a => a.SentAt);
        var hangTo = unknown.Max(a => a.SentAt);
        var sentDuringHang = attempts.Count(a => a.SentAt >= hangFrom && a.SentAt <= hangTo);
        var expected = (stopAt - w.StartedAt!.Value).TotalSeconds * 100;
        output.WriteLine($"{sentDuringHang} writes started in {(hangTo - hangFrom).TotalMilliseconds:0} ms of hangs; {attempts.Count} writes where the rate allows {expected:0}");
        // ...and the rate is a ceiling: it never bursts above 100/s (an upper bound a slow machine cannot break).
        Assert.True(attempts.Count <= expected + 3, $"{attempts.Count} writes where the rate allows {expected:0}");

        // The set check against what the API committed: nothing acknowledged is lost, nothing appears from nowhere.
        var present = api.Committed.Keys.ToHashSet();
        var m = DrillMeasurement.Measure(attempts, present, new DrillMarks(faultAt));
        Assert.Empty(m.Writes.Lost);
        Assert.Empty(m.Writes.Unexpected);
        Assert.Equal(acks.Count, m.Writes.Ok.Count);
        // (A write that timed out on a stalled machine while the API committed it is recovered, not failed.)
        Assert.Equal(refused.Count + unknown.Count, m.Writes.Failed.Count + m.Writes.Recovered.Count);
        Assert.All(m.Writes.Recovered, seq => Assert.Equal(WriteOutcome.Unknown, attempts.Single(a => a.Seq == seq).Outcome));
        Assert.NotNull(m.Rto);
        Assert.InRange(m.Recovery.RecoveredAt!.Value, healedAt, stopAt);
        Assert.Equal(TimeSpan.Zero, m.Rpo);
    }

    [Fact]
    public async Task A_name_that_does_not_resolve_or_a_refused_connection_refuses_the_write()
    {
        var closedPort = DnsTestKit.ClosedTcpPort();
        var calls = 0;
        var options = Fast(closedPort) with
        {
            RequestTimeout = TimeSpan.FromSeconds(3), // a refused connect is immediate; never let a slow machine turn it into a timeout
            Resolve = _ => (Interlocked.Increment(ref calls) % 3) switch
            {
                0 => Task.FromResult<string?>(null),
                1 => throw new InvalidOperationException("server failure"),
                _ => Task.FromResult<string?>("127.0.0.1"),
            },
        };
        await using var running = Start(options);

        await Until(() => running.Workload.Progress.Sent >= 9, "9 writes started");
        var attempts = await running.StopAsync();

        Assert.All(attempts, a => Assert.Equal(WriteOutcome.Refused, a.Outcome));
        Assert.All(attempts, a => Assert.Null(a.StatusCode));
        Assert.Contains(attempts, a => a.Error == "DNS: no A record for api.regami.test");
        Assert.Contains(attempts, a => a.Error == "DNS: api.regami.test did not resolve (server failure)");
        Assert.Contains(attempts, a => a.Error == $"connection to 127.0.0.1:{closedPort} refused" && a.Address == "127.0.0.1");
    }

    [Fact]
    public async Task Follows_the_public_name_through_the_lab_dns_when_its_answer_changes()
    {
        // The real DNS server (100 ms ticks, TTL 1 s) in front of two "regions" of the fake API on 127.0.0.2 and 127.0.0.3.
        await using var api = await FakeRecordsApi.StartAsync("127.0.0.2", "127.0.0.3");
        await using var health = await HealthEndpoint.StartAsync();
        var dir = Directory.CreateTempSubdirectory("regami-workload-dns-").FullName;
        var routingControls = Path.Combine(dir, "routing-controls.json");
        var statusFile = Path.Combine(dir, "dns-status.json");
        var dnsPort = DnsTestKit.FreeDnsPort();
        using var stopDns = new CancellationTokenSource();
        var dns = new FailoverDnsServer(new TestOutputLogger(output)).RunAsync(new DnsServerOptions
        {
            ListenEndPoint = new IPEndPoint(IPAddress.Loopback, dnsPort),
            HealthCheck = new HealthCheckOptions { RequestInterval = TimeSpan.FromMilliseconds(100), FailureThreshold = 2, Timeout = TimeSpan.FromMilliseconds(100) },
            HealthCheckTargets = new Dictionary<string, Uri>
            {
                [DnsServerOptions.HealthCheckIdFor("eu-west-3")] = health.Url,
                [DnsServerOptions.HealthCheckIdFor("eu-central-1")] = health.Url,
            },
            RoutingControlsFile = routingControls,
            StatusFile = statusFile,
        }, stopDns.Token);
        try
        {
            var options = new WorkloadOptions
            {
                DnsPort = dnsPort,
                LoadBalancerPort = api.Port,
                RatePerSecond = 100,
                RequestTimeout = TimeSpan.FromSeconds(3), // this test is about addresses, not timeouts
            };
            await using var running = Start(options);
            var w = running.Workload;
            await Until(() => w.Progress.Acknowledged >= 10 && w.Progress.LastAddress == "127.0.0.2", "writes to the primary");

            RoutingControlsFile.Write(routingControls, new Dictionary<string, bool> { ["eu-west-3"] = false });
            await Until(() => DnsServerStatus.TryRead(statusFile)?.Answer.Region == "eu-central-1", "DNS answers the secondary");
            var switchedAt = DateTimeOffset.UtcNow;
            await Until(() => w.Progress.LastRegion == "eu-central-1", "writes follow to the secondary");
            var followedAfter = DateTimeOffset.UtcNow - switchedAt;
            var attempts = await running.StopAsync();

            var status = DnsServerStatus.TryRead(statusFile)!;
            output.WriteLine($"followed after {followedAfter.TotalMilliseconds:0} ms; {attempts.Count} writes, {status.QueriesAnswered} DNS queries");
            Assert.All(attempts, a => Assert.Equal(WriteOutcome.Acknowledged, a.Outcome));
            Assert.Contains(attempts, a => a is { Address: "127.0.0.2", Region: "eu-west-3" });
            Assert.Contains(attempts, a => a is { Address: "127.0.0.3", Region: "eu-central-1" });
            // The answer is cached for its TTL (far fewer queries than writes), and not forever: the
            // writes followed (how soon is printed above, not asserted).
            Assert.True(status.QueriesAnswered <= attempts.Count / 5, $"{status.QueriesAnswered} queries for {attempts.Count} writes");
            // Writes go to the address the name had when they were sent: once moved, they stay moved.
            var firstOnSecondary = attempts.First(a => a.Address == "127.0.0.3").Seq;
            Assert.DoesNotContain(attempts, a => a.Seq > firstOnSecondary + 5 && a.Address == "127.0.0.2");
        }
        finally
        {
            await stopDns.CancelAsync();
            await dns.WaitAsync(Deadline);
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void Invalid_options_are_refused_with_every_problem()
    {
        var ex = Assert.Throws<ArgumentException>(() => new PublicNameWorkload(
            new WorkloadOptions { RatePerSecond = 0, RequestTimeout = TimeSpan.Zero, MaxInFlight = 0, DnsAddress = "dns.example" },
            TimeProvider.System));

        Assert.Contains("ratePerSecond", ex.Message);
        Assert.Contains("requestTimeout", ex.Message);
        Assert.Contains("maxInFlight", ex.Message);
        Assert.Contains("dnsAddress must be an IP address (found 'dns.example')", ex.Message);
    }

    [Fact]
    public async Task A_workload_refuses_a_second_run()
    {
        await using var api = await FakeRecordsApi.StartAsync();
        await using var running = Start(Fast(api.Port));
        await running.StopAsync();

        await Assert.ThrowsAsync<InvalidOperationException>(() => running.Workload.RunAsync(CancellationToken.None));
    }
}
