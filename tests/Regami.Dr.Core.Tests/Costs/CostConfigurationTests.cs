using Regami.Dr.Core.Configuration;
using Regami.Dr.Core.Costs;

namespace Regami.Dr.Core.Tests.Costs;

public sealed class CostConfigurationTests
{
    [Fact]
    public void The_cost_section_defaults_to_the_plans_estate()
    {
        var c = DrConfiguration.From(ConfigDocument.Empty()).Cost;
        Assert.Equal(("db.r6g.large", 100.0, "gp3", 50.0), (c.ReplicaInstanceClass, c.StorageGb, c.StorageType, c.WalGbPerMonth));
        Assert.Equal((100.0, 2, true, 1, 2), (c.EffectiveBackupGb, c.HealthChecks, c.IsHttps, c.StandbyLoadBalancers, c.Alarms));
        Assert.Null(c.StandbyComputeTasks);
        Assert.Equal((130m, 280m), (c.PlanMonthlyLowUsd, c.PlanMonthlyHighUsd));
    }

    [Fact]
    public void Set_values_bind_and_an_empty_backup_size_follows_the_storage()
    {
        var c = DrConfiguration.From(ConfigDocument.Parse("cost:\n  storageGb: 400\n  backupGb: ~\n  standbyComputeTasks: 2\n  healthCheckProtocol: http\n", "t.yaml")).Cost;
        Assert.Equal((400.0, 400.0, 2, false), (c.StorageGb, c.EffectiveBackupGb, c.StandbyComputeTasks, c.IsHttps));
    }

    [Theory]
    [InlineData("replicaInstanceClass: r6g.large", "cost.replicaInstanceClass", "db.r6g.large")]
    [InlineData("storageGb: 5", "cost.storageGb", "between 20 and 65536")]
    [InlineData("storageType: io1", "cost.storageType", "gp3 or gp2")]
    [InlineData("walGbPerMonth: -1", "cost.walGbPerMonth", "0 or more")]
    [InlineData("uploadsChangeGbPerMonth: -2", "cost.uploadsChangeGbPerMonth", "0 or more")]
    [InlineData("backupGb: 0", "cost.backupGb", "greater than 0")]
    [InlineData("backupDailyChangePercent: 150", "cost.backupDailyChangePercent", "between 0 and 100")]
    [InlineData("healthChecks: 51", "cost.healthChecks", "between 0 and 50")]
    [InlineData("healthCheckProtocol: TCP", "cost.healthCheckProtocol", "HTTPS or HTTP")]
    [InlineData("healthCheckExtraFeatures: 3", "cost.healthCheckExtraFeatures", "string matching")]
    [InlineData("standbyComputeTasks: -1", "cost.standbyComputeTasks", "between 0 and 64")]
    [InlineData("taskVcpu: 0", "cost.taskVcpu", "0.25")]
    [InlineData("alarms: -1", "cost.alarms", "between 0 and 1000")]
    [InlineData("planMonthlyHighUsd: 100", "cost.planMonthlyHighUsd", "at least planMonthlyLowUsd")]
    [InlineData("storageGb: lots", "cost.storageGb", "must be a number")]
    [InlineData("replicaClass: db.r6g.large", "cost.replicaClass", "not a known key")]
    public void A_bad_value_names_its_field_and_line(string line, string field, string problem)
    {
        var ex = Assert.Throws<ConfigurationException>(() => DrConfiguration.From(ConfigDocument.Parse($"environment: t\ncost:\n  {line}\n", "costs.yaml")));
        Assert.Equal(field, ex.Field);
        Assert.Equal(3, ex.Line);
        Assert.Contains(problem, ex.Message);
        Assert.StartsWith("costs.yaml:3: ", ex.Message);
    }

    [Fact]
    public void Every_default_is_valid()
    {
        Assert.Empty(new CostInputs().Validate());
    }
}
