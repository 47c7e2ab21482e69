using System.Net;
using System.Net.Sockets;
using Regami.Dr.Integration.Tests.Infrastructure;

namespace Regami.Dr.Integration.Tests;

/// <summary>Bad input and a hostile environment: clear errors, exit codes of the contract, nothing half-done.</summary>
public sealed class BadInputTests
{
    [Fact]
    public async Task A_malformed_config_exits_2_naming_file_line_and_field()
    {
        var dir = TestLab.NewBaseDirectory();
        var config = Path.Combine(dir, "bad.yaml");
        File.WriteAllText(config, "lab:\n  dns:\n    port: 5353\nhealthCheck:\n  failureThreshold: 0\n");
        var r = await CliProcess.RunAsync(["lab", "up", "--config", config, "--state-dir", Path.Combine(dir, "state")]);
        Assert.Equal(2, r.ExitCode);
        Assert.Contains($"{config}:5", r.StandardError);
        Assert.Contains("healthCheck.failureThreshold", r.StandardError);
        Assert.False(Directory.Exists(Path.Combine(dir, "state")), "nothing may be created for an invalid config");
    }

    [Fact]
    public async Task An_unknown_config_key_exits_2_with_its_line()
    {
        var dir = TestLab.NewBaseDirectory();
        var config = Path.Combine(dir, "bad.yaml");
        File.WriteAllText(config, "lab:\n  dns:\n    port: 5353\n    tll: 3\n");
        var r = await CliProcess.RunAsync(["status", "--config", config, "--state-dir", Path.Combine(dir, "state")]);
        Assert.Equal(2, r.ExitCode);
        Assert.Contains($"{config}:4", r.StandardError);
        Assert.Contains("lab.dns.tll", r.StandardError);
    }

    [Fact]
    public async Task Missing_postgres_binaries_exit_2_with_the_install_command()
    {
        var dir = TestLab.NewBaseDirectory();
        var config = Path.Combine(dir, "lab.yaml");
        File.WriteAllText(config, "lab:\n  database:\n    binDirectory: /nonexistent/pg/bin\n");
        var r = await CliProcess.RunAsync(["lab", "up", "--config", config, "--state-dir", Path.Combine(dir, "state")]);
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("apt-get install -y postgresql", r.StandardError);
    }

    [Fact]
    public async Task Choosing_the_aws_provider_without_its_section_exits_2_naming_it()
    {
        var dir = TestLab.NewBaseDirectory();
        var config = Path.Combine(dir, "regami-dr.yaml");
        File.WriteAllText(config, "provider: aws\n");
        var r = await CliProcess.RunAsync(["status", "--config", config, "--state-dir", Path.Combine(dir, "state")]);
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("field 'aws'", r.StandardError);
        Assert.Contains("needs an aws: section", r.StandardError);
    }

    [Fact]
    public async Task A_lab_file_in_the_old_layout_still_works_and_says_how_to_convert_it()
    {
        var dir = TestLab.NewBaseDirectory();
        var config = Path.Combine(dir, "lab.yaml");
        File.WriteAllText(config, "regions:\n  - name: eu-west-3\n    role: primary\n    address: 127.0.25.2\n  - name: eu-central-1\n    role: standby\n    address: 127.0.25.3\ndns:\n  address: 127.0.25.1\nhealthCheck:\n  intervalSeconds: 2\n");
        var check = await CliProcess.RunAsync(["config", "check", "--config", config, "--state-dir", Path.Combine(dir, "state")]);
        Assert.Equal(0, check.ExitCode);
        Assert.Contains("regami-dr config convert", check.StandardError);
        var converted = await CliProcess.RunAsync(["config", "convert", config]);
        Assert.Equal(0, converted.ExitCode);
        Assert.Contains("requestInterval: 2s", converted.StandardOutput);
        Assert.Contains("eu-west-3: 127.0.25.2", converted.StandardOutput);
        File.WriteAllText(Path.Combine(dir, "regami-dr.yaml"), converted.StandardOutput);
        var again = await CliProcess.RunAsync(["config", "check", "--config", Path.Combine(dir, "regami-dr.yaml"), "--state-dir", Path.Combine(dir, "state")]);
        Assert.Equal(0, again.ExitCode);
        Assert.DoesNotContain("convert", again.StandardError);
    }

    [Fact]
    public async Task A_port_in_use_exits_2_naming_the_address_and_port()
    {
        var dir = TestLab.NewBaseDirectory();
        var config = Path.Combine(dir, "lab.yaml");
        File.WriteAllText(config, "regions:\n  - name: eu-west-3\n    role: primary\n    address: 127.0.24.2\n  - name: eu-central-1\n    role: standby\n    address: 127.0.24.3\ndns:\n  address: 127.0.24.1\n");
        using var squatter = new TcpListener(IPAddress.Parse("127.0.24.2"), 5432);
        squatter.Start();
        var r = await CliProcess.RunAsync(["lab", "up", "--config", config, "--state-dir", Path.Combine(dir, "state")]);
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("127.0.24.2:5432", r.StandardError);
        Assert.Contains("in use by pid", r.StandardError);
        var down = await CliProcess.RunAsync(["lab", "down", "--purge", "--state-dir", Path.Combine(dir, "state")]);
        Assert.Equal(0, down.ExitCode);
    }

    [Fact]
    public async Task Lab_down_with_nothing_up_exits_0_with_a_message()
    {
        var dir = TestLab.NewBaseDirectory();
        var r = await CliProcess.RunAsync(["lab", "down", "--state-dir", Path.Combine(dir, "nothing-here")]);
        Assert.Equal(0, r.ExitCode);
        Assert.Contains("Nothing to stop", r.StandardOutput);
    }

    [Fact]
    public async Task An_unknown_fault_kind_is_a_usage_error()
    {
        var r = await CliProcess.RunAsync(["lab", "fault", "kill-everything"]);
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("kill-everything", r.StandardError);
    }

    [Theory]
    [InlineData("--second-controller", "not a url", "--second-controller must be an http URL")]
    [InlineData("--time-limit-minutes", "0", "--time-limit-minutes must be at least 1")]
    [InlineData("--sequences", "0", "--sequences must be at least 1")]
    public async Task Bad_campaign_options_are_usage_errors_naming_the_option(string option, string value, string said)
    {
        var r = await CliProcess.RunAsync(["lab", "campaign", option, value, "--state-dir", Path.Combine(Path.GetTempPath(), "regami-dr-no-lab-" + Guid.NewGuid().ToString("N")[..8])]);
        Assert.Equal(2, r.ExitCode);
        Assert.Contains(said, r.StandardError);
        Assert.DoesNotContain("   at ", r.StandardError);
    }
}
