using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Regami.Dr.Lab.LoadBalancing;
using Xunit.Abstractions;
using Regami.Dr.Component.Tests.Infrastructure;

namespace Regami.Dr.Component.Tests.LoadBalancing;

/// <summary>Real sockets: the load balancer and tiny Kestrel backends on free 127.0.0.1 ports.</summary>
public sealed class RegionalLoadBalancerProxyTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(10); // a bound for a hung test, not a figure checked

    [Fact]
    public async Task Proxies_every_path_to_a_healthy_instance_with_forwarded_headers()
    {
        await using var a = await TestBackend.StartAsync("a");
        await using var lb = await TestLoadBalancer.StartAsync([a.AsInstance()]);

        await Eventually.WaitUntilAsync(async () => (await lb.GetAsync()).Status == HttpStatusCode.OK, Deadline, "instance a healthy");

        using var response = await lb.Client.GetAsync("/api/records/42?x=1");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("a /api/records/42?x=1", await response.Content.ReadAsStringAsync());
        Assert.Contains("127.0.0.1", response.Headers.GetValues("X-Seen-Forwarded-For").Single());
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Answers_503_json_when_the_file_lists_no_instance(bool fileExists)
    {
        await using var lb = await TestLoadBalancer.StartAsync(fileExists ? [] : null, region: "eu-central-1");

        using var response = await lb.Client.GetAsync("/anything");

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal("no healthy instance", json.RootElement.GetProperty("error").GetString());
        Assert.Equal("eu-central-1", json.RootElement.GetProperty("region").GetString());
    }

    [Fact]
    public async Task Answers_503_json_not_502_when_every_instance_is_down()
    {
        var deadUrl = $"http://127.0.0.1:{LoopbackPort.Free()}";
        await using var lb = await TestLoadBalancer.StartAsync([new LoadBalancerInstance("dead", deadUrl)]);

        for (var i = 0; i < 5; i++)
        {
            var (status, _, body) = await lb.GetAsync("/");
            Assert.Equal(HttpStatusCode.ServiceUnavailable, status);
            Assert.Contains("no healthy instance", body);
            await Task.Delay(50);
        }
    }

    [Fact]
    public async Task Health_check_db_is_proxied_and_its_status_passed_through()
    {
        await using var a = await TestBackend.StartAsync("a");
        a.DbHealthStatus = 503;
        await using var lb = await TestLoadBalancer.StartAsync([a.AsInstance()]);
        await Eventually.WaitUntilAsync(async () => (await lb.GetAsync()).Status == HttpStatusCode.OK, Deadline, "instance a healthy");

        // Process-level /health stays 200, so the instance stays in rotation and the db verdict is the instance's.
        var (status, _, body) = await lb.GetAsync("/health?check=db");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, status);
        using (var json = JsonDocument.Parse(body))
        {
            Assert.Equal("a", json.RootElement.GetProperty("instance").GetString());
            Assert.Equal("down", json.RootElement.GetProperty("db").GetString());
        }

        a.DbHealthStatus = 200;
        (status, _, body) = await lb.GetAsync("/health?check=db");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Contains("\"instance\":\"a\"", body);

        // The instance's 503 is not taken for an unhealthy instance: still proxied afterwards.
        a.DbHealthStatus = 503;
        for (var i = 0; i < 3; i++)
        {
            (status, _, _) = await lb.GetAsync("/health?check=db");
            Assert.Equal(HttpStatusCode.ServiceUnavailable, status);
            Assert.Equal(HttpStatusCode.OK, (await lb.GetAsync("/")).Status);
        }
    }

    [Fact]
    public async Task Active_health_check_keeps_probing_the_configured_path()
    {
        await using var a = await TestBackend.StartAsync("a");
        await using var lb = await TestLoadBalancer.StartAsync([a.AsInstance()]);
        await Eventually.WaitUntilAsync(async () => (await lb.GetAsync()).Instance == "a", Deadline, "instance a healthy");

        // The behaviour is that probing goes on after the first verdict; how many probes a second a
        // busy machine manages is not something a test can assert reliably.
        var before = a.ProbeCount;
        await Eventually.WaitUntilAsync(() => a.ProbeCount >= before + 3, Deadline, "three more health probes on the configured path");
    }

    [Fact]
    public async Task Status_endpoint_lists_destinations_and_health()
    {
        await using var a = await TestBackend.StartAsync("a");
        var deadUrl = $"http://127.0.0.1:{LoopbackPort.Free()}";
        await using var lb = await TestLoadBalancer.StartAsync([a.AsInstance(), new LoadBalancerInstance("dead", deadUrl)]);

        JsonElement root = default;
        await Eventually.WaitUntilAsync(async () =>
        {
            using var json = JsonDocument.Parse(await lb.Client.GetStringAsync(RegionalLoadBalancer.StatusPath));
            root = json.RootElement.Clone();
            // Wait for the verdicts this test is about, not just for any verdict: on a loaded
            // machine a's first probe can time out and mark it unhealthy until the next one.
            return root.GetProperty("healthyCount").GetInt32() == 1
                   && root.GetProperty("destinations").EnumerateArray().All(d => d.GetProperty("active").GetString() != "Unknown");
        }, Deadline, "a healthy and the dead destination probed");

        Assert.Equal("eu-west-3", root.GetProperty("region").GetString());
        Assert.Equal(1, root.GetProperty("healthyCount").GetInt32());
        var byId = root.GetProperty("destinations").EnumerateArray().ToDictionary(d => d.GetProperty("id").GetString()!);
        Assert.Equal("Healthy", byId["a"].GetProperty("active").GetString());
        Assert.True(byId["a"].GetProperty("available").GetBoolean());
        Assert.Equal("Unhealthy", byId["dead"].GetProperty("active").GetString());
        Assert.False(byId["dead"].GetProperty("available").GetBoolean());
    }
}

public sealed class RegionalLoadBalancerFailoverTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(10); // a bound for a hung test, not a figure checked

    [Fact]
    public async Task Killed_instance_leaves_rotation()
    {
        await using var a = await TestBackend.StartAsync("a");
        await using var b = await TestBackend.StartAsync("b");
        await using var lb = await TestLoadBalancer.StartAsync([a.AsInstance(), b.AsInstance()]);

        var seen = new HashSet<string>();
        await Eventually.WaitUntilAsync(async () =>
        {
            var r = await lb.GetAsync();
            if (r.Instance is not null)
            {
                seen.Add(r.Instance);
            }

            return seen.Count == 2;
        }, Deadline, "both instances receive traffic");

        await a.KillAsync();
        var sinceKill = Stopwatch.StartNew();

        // Converged = 10 consecutive requests answered by b.
        var streak = 0;
        await Eventually.WaitUntilAsync(async () =>
        {
            var r = await lb.GetAsync();
            streak = r.Status == HttpStatusCode.OK && r.Instance == "b" ? streak + 1 : 0;
            return streak >= 10;
        }, Deadline, "traffic only to b after a was killed");
        output.WriteLine($"only b answered {sinceKill.Elapsed.TotalSeconds:0.00} s after a was killed (health check every 100 ms)");
    }

    [Fact]
    public async Task Instance_added_to_the_file_receives_traffic()
    {
        await using var a = await TestBackend.StartAsync("a");
        await using var lb = await TestLoadBalancer.StartAsync([a.AsInstance()]);
        await Eventually.WaitUntilAsync(async () => (await lb.GetAsync()).Instance == "a", Deadline, "instance a healthy");

        await using var b = await TestBackend.StartAsync("b");
        await lb.SetInstancesAsync(a.AsInstance(), b.AsInstance());

        await Eventually.WaitUntilAsync(async () => (await lb.GetAsync()).Instance == "b", Deadline, "instance b receives traffic");
        var (status, _, _) = await lb.GetAsync();
        Assert.Equal(HttpStatusCode.OK, status);
    }

    [Fact]
    public async Task Added_instance_that_is_not_listening_gets_no_traffic()
    {
        await using var a = await TestBackend.StartAsync("a");
        await using var lb = await TestLoadBalancer.StartAsync([a.AsInstance()]);
        await Eventually.WaitUntilAsync(async () => (await lb.GetAsync()).Instance == "a", Deadline, "instance a healthy");

        var deadUrl = $"http://127.0.0.1:{LoopbackPort.Free()}";
        await lb.SetInstancesAsync(a.AsInstance(), new LoadBalancerInstance("late", deadUrl));

        // Across the reload and the first probes, every request is still served by a (no 502).
        var sw = Stopwatch.StartNew();
        while (sw.Elapsed < TimeSpan.FromMilliseconds(600))
        {
            var (status, instance, body) = await lb.GetAsync();
            Assert.True(status == HttpStatusCode.OK && instance == "a", $"{(int)status} {instance} {body}");
            await Task.Delay(10);
        }
    }

    [Fact]
    public async Task Removing_every_instance_gives_503_naming_the_cause()
    {
        await using var a = await TestBackend.StartAsync("a");
        await using var lb = await TestLoadBalancer.StartAsync([a.AsInstance()]);
        await Eventually.WaitUntilAsync(async () => (await lb.GetAsync()).Instance == "a", Deadline, "instance a healthy");

        await lb.SetInstancesAsync();
        var sinceEmptied = Stopwatch.StartNew();
        await Eventually.WaitUntilAsync(
            async () => (await lb.GetAsync()).Status == HttpStatusCode.ServiceUnavailable,
            Deadline, "503 after the file lists no instance");
        output.WriteLine($"503 {sinceEmptied.Elapsed.TotalSeconds:0.00} s after the file was emptied (reload every 100 ms)");
        var (_, _, body) = await lb.GetAsync();
        Assert.Contains("no healthy instance", body);
    }

    [Fact]
    public async Task RunAsync_stops_on_cancellation_and_releases_the_port()
    {
        await using var a = await TestBackend.StartAsync("a");
        var dir = Directory.CreateTempSubdirectory("regami-lb-run-").FullName;
        try
        {
            var file = Path.Combine(dir, "instances.json");
            await LoadBalancerInstancesFile.WriteAsync(file, [a.AsInstance()]);
            var port = LoopbackPort.Free();
            var options = new LoadBalancerOptions("eu-west-3", $"http://127.0.0.1:{port}", file)
            {
                HealthCheckInterval = TimeSpan.FromMilliseconds(100),
                ReloadInterval = TimeSpan.FromMilliseconds(100),
            };

            using var cts = new CancellationTokenSource();
            var run = RegionalLoadBalancer.RunAsync(options, cts.Token);
            using var client = new HttpClient(new SocketsHttpHandler { UseProxy = false }) { Timeout = TimeSpan.FromSeconds(2) };
            await Eventually.WaitUntilAsync(async () =>
            {
                try
                {
                    using var r = await client.GetAsync($"http://127.0.0.1:{port}/x");
                    return r.StatusCode == HttpStatusCode.OK;
                }
                catch (HttpRequestException)
                {
                    return false;
                }
            }, Deadline, "load balancer serving");

            cts.Cancel();
            await run.WaitAsync(TimeSpan.FromSeconds(5));

            using var listener = new TcpListener(IPAddress.Loopback, port);
            listener.Start(); // throws if the port were still bound
            listener.Stop();
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}

public sealed class LoadBalancerInstancesFileTests
{
    [Fact]
    public void Parses_instances_skipping_bad_urls_and_duplicate_ids()
    {
        var list = LoadBalancerInstancesFile.Parse("""
            {"instances":[
              {"id":"eu-west-3-1","url":"http://127.0.0.2:8081"},
              {"id":"eu-west-3-1","url":"http://127.0.0.2:8089"},
              {"id":"bad","url":"not a url"},
              {"url":"http://127.0.0.2:8082/"}
            ]}
            """);

        Assert.Equal(
            [new LoadBalancerInstance("eu-west-3-1", "http://127.0.0.2:8081"), new LoadBalancerInstance("http://127.0.0.2:8082/", "http://127.0.0.2:8082/")],
            list);
        Assert.Empty(LoadBalancerInstancesFile.Parse("""{"instances":[]}"""));
        Assert.Empty(LoadBalancerInstancesFile.Parse(""));
        Assert.Empty(LoadBalancerInstancesFile.Read(Path.Combine(Path.GetTempPath(), Guid.NewGuid().ToString("N"))));
        Assert.ThrowsAny<JsonException>(() => LoadBalancerInstancesFile.Parse("{\"instances\":[{"));
    }

    [Fact]
    public async Task Write_then_read_round_trips()
    {
        var path = Path.Combine(Path.GetTempPath(), $"regami-lb-{Guid.NewGuid():N}", "instances.json");
        try
        {
            LoadBalancerInstance[] instances = [new("a", "http://127.0.0.2:8081"), new("b", "http://127.0.0.2:8082")];
            await LoadBalancerInstancesFile.WriteAsync(path, instances);
            Assert.Equal(instances, LoadBalancerInstancesFile.Read(path));
            Assert.Contains("\"instances\"", await File.ReadAllTextAsync(path));
        }
        finally
        {
            Directory.Delete(Path.GetDirectoryName(path)!, recursive: true);
        }
    }
}
