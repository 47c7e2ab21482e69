using Regami.Dr.Core.Traffic;
using Regami.Dr.Lab.Dns;

namespace Regami.Dr.Core.Tests.Traffic;

public sealed class RoutingControlsFileTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "regami-rc-test-" + Guid.NewGuid().ToString("N")[..8]);

    private string FilePath => Path.Combine(_dir, "routing-controls.json");

    public void Dispose()
    {
        if (Directory.Exists(_dir)) Directory.Delete(_dir, recursive: true);
    }

    [Fact]
    public void Missing_file_means_all_on()
    {
        var file = new RoutingControlsFile(FilePath);

        Assert.False(file.Refresh());
        Assert.Empty(file.Current);
        Assert.Null(file.Error);
    }

    [Fact]
    public void No_path_means_all_on()
    {
        var file = new RoutingControlsFile(null);

        Assert.False(file.Refresh());
        Assert.Null(file.Path);
        Assert.Empty(file.Current);
    }

    [Fact]
    public void Reads_a_written_file_and_reports_changes_only_once()
    {
        var file = new RoutingControlsFile(FilePath);
        RoutingControlsFile.Write(FilePath, new Dictionary<string, bool> { ["eu-west-3"] = false, ["eu-central-1"] = true });

        Assert.True(file.Refresh());
        Assert.False(file.Current["eu-west-3"]);
        Assert.True(file.Current["eu-central-1"]);
        Assert.False(file.Refresh());
    }

    [Fact]
    public void Listing_a_region_as_on_is_not_a_change()
    {
        var file = new RoutingControlsFile(FilePath);
        RoutingControlsFile.Write(FilePath, new Dictionary<string, bool> { ["eu-west-3"] = true });

        Assert.False(file.Refresh());
        Assert.True(file.Current["eu-west-3"]);
    }

    [Fact]
    public void A_broken_file_keeps_the_last_good_state_and_says_why()
    {
        var file = new RoutingControlsFile(FilePath);
        RoutingControlsFile.Write(FilePath, new Dictionary<string, bool> { ["eu-west-3"] = false });
        file.Refresh();

        File.WriteAllText(FilePath, "{ \"eu-west-3\": maybe }");

        Assert.False(file.Refresh());
        Assert.False(file.Current["eu-west-3"]);
        Assert.Contains("keeping the previous routing controls", file.Error);

        File.WriteAllText(FilePath, "{ \"eu-west-3\": true, /* lab note */ }");
        Assert.True(file.Refresh());
        Assert.Null(file.Error);
    }

    [Fact]
    public void Deleting_the_file_turns_everything_back_on()
    {
        var file = new RoutingControlsFile(FilePath);
        RoutingControlsFile.Write(FilePath, new Dictionary<string, bool> { ["eu-west-3"] = false });
        file.Refresh();

        File.Delete(FilePath);

        Assert.True(file.Refresh());
        Assert.Empty(file.Current);
    }

    [Fact]
    public void Describe_reads_as_a_sentence()
    {
        Assert.Equal("all on", RoutingControlsFile.Describe(new Dictionary<string, bool>()));
        Assert.Equal("eu-central-1 off, eu-west-3 on",
            RoutingControlsFile.Describe(new Dictionary<string, bool> { ["eu-west-3"] = true, ["eu-central-1"] = false }));
    }
}

public sealed class DnsServerStatusTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "regami-status-test-" + Guid.NewGuid().ToString("N")[..8]);

    public void Dispose()
    {
        if (Directory.Exists(_dir)) Directory.Delete(_dir, recursive: true);
    }

    [Fact]
    public void Round_trips_through_the_file_in_camel_case()
    {
        var path = Path.Combine(_dir, "nested", "dns-status.json");
        var status = new DnsServerStatus
        {
            State = "running",
            Pid = 42,
            Listen = "127.0.0.1:5353",
            Zone = "regami.test",
            Name = "api.regami.test",
            TtlSeconds = 1,
            StartedAt = DateTimeOffset.UnixEpoch,
            UpdatedAt = DateTimeOffset.UnixEpoch.AddSeconds(5),
            Answer = new DnsAnswerStatus(FailoverRole.Secondary, "eu-central-1", "127.0.0.3", FailoverSituation.PrimaryUnhealthy, "primary … → answering secondary"),
            Records = [],
            RoutingControls = new Dictionary<string, bool> { ["eu-west-3"] = true },
            HealthCheck = new DnsHealthCheckSettings(1, 3, 1, "/health?check=db"),
        };

        status.WriteAtomically(path);
        var text = File.ReadAllText(path);
        var read = DnsServerStatus.TryRead(path);

        Assert.Contains("\"situation\": \"primaryUnhealthy\"", text);
        Assert.Contains("→ answering secondary", text);
        Assert.Equal(status.Answer, read!.Answer);
        Assert.Equal(42, read.Pid);
        Assert.Equal(["dns-status.json"], Directory.GetFiles(Path.GetDirectoryName(path)!).Select(Path.GetFileName));
    }

    [Fact]
    public void Missing_or_garbled_files_read_as_null()
    {
        Directory.CreateDirectory(_dir);
        var garbled = Path.Combine(_dir, "garbled.json");
        File.WriteAllText(garbled, "{\"state\":");

        Assert.Null(DnsServerStatus.TryRead(Path.Combine(_dir, "missing.json")));
        Assert.Null(DnsServerStatus.TryRead(garbled));
    }
}
