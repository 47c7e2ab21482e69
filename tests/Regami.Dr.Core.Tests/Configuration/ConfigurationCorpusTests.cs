using System.Diagnostics;
using Regami.Dr.Core.Configuration;
using Regami.Dr.Lab.Configuration;
using Regami.Dr.Server.Notifications;

namespace Regami.Dr.Core.Tests.Configuration;

/// <summary>
/// A corpus of bad configuration files (<c>corpus/</c>, one file per case): each must be refused
/// with a <see cref="ConfigurationException"/> — never another exception, never a hang — whose
/// message names the file, the line and, where one applies, the dotted field, in one line
/// without a stack trace. The files are loaded as the command line loads them: read as text,
/// the old lab layout converted, the neutral part, the provider's section and the notifications
/// bound and validated.
/// </summary>
public sealed class ConfigurationCorpusTests
{
    private static readonly string Corpus = Path.Combine(Drills.DrillTestKit.RepoRoot(), "tests", "Regami.Dr.Core.Tests", "Configuration", "corpus");

    /// <summary>File, expected line (null: none applies), expected field (null: none applies), a fragment of the problem.</summary>
    private static readonly (string File, int? Line, string? Field, string Problem)[] Expectations =
    [
        // A value of the wrong kind: the field it was given for, what it takes, what it found.
        ("wrong-type-duration-is-a-word.yaml", 3, "controller.interval", "must be a duration (30s, 5m, 1h, 250ms, PT15M), found 'soon'"),
        ("wrong-type-int-is-a-word.yaml", 3, "healthCheck.failureThreshold", "must be a whole number, found 'three'"),
        ("wrong-type-int-is-a-fraction.yaml", 2, "compute.maxInstances", "must be a whole number, found '2.5'"),
        ("wrong-type-int-overflows.yaml", 2, "compute.maxInstances", "must be a whole number, found '99999999999999999999'"),
        ("wrong-type-bool-is-a-word.yaml", 2, "controller.automaticFailover", "must be true or false, found 'maybe'"),
        ("wrong-type-negative-duration.yaml", 2, "controller.cooldown", "must be a duration"),
        ("wrong-type-list-where-a-map-goes.yaml", 3, "lab.addresses", "must be a mapping of names to values, found a list"),
        ("wrong-type-list-where-a-section-goes.yaml", 2, "healthCheck", "must be a mapping of keys, found a list"),
        ("wrong-type-scalar-where-a-section-goes.yaml", 2, "healthCheck", "must be a mapping of keys, found '3s'"),
        ("wrong-type-map-where-a-list-goes.yaml", 2, "regions", "must be a list, found a mapping"),
        ("wrong-type-map-where-a-duration-goes.yaml", 3, "targets.rto", "must be a duration (30s, 5m, 1h, 250ms, PT15M), found a mapping"),
        ("wrong-type-list-where-a-string-goes.yaml", 2, "regions[0].name", "must be a single value, found a list"),
        ("wrong-type-notifications-duration.yaml", 3, "notifications.deliveryTimeout", "found 'forever'"),
        ("wrong-type-notifications-contacts-map.yaml", 3, "notifications.contacts", "must be a list, found a mapping"),
        ("wrong-type-lab-port-is-a-word.yaml", 3, "lab.dns.port", "must be a whole number"),
        ("wrong-type-aws-ttl-is-a-word.yaml", 32, "aws.route53.ttl", "found 'one minute'"),

        // Unknown keys, at the top and nested, in every section.
        ("unknown-key-top-level.yaml", 2, "failoverr", "is not a known key here"),
        ("unknown-key-nested.yaml", 3, "healthCheck.failureTreshold", "is not a known key here"),
        ("unknown-key-in-a-list-item.yaml", 6, "regions[1].zone", "is not a known key here"),
        ("unknown-key-lab-nested.yaml", 4, "lab.dns.tll", "is not a known key here"),
        ("unknown-key-notifications-smtp.yaml", 3, "notifications.smtp.hostname", "is not a known key here"),
        ("unknown-key-aws-route53.yaml", 33, "aws.route53.zone", "is not a known key here"),
        ("unknown-key-yaml-merge-key.yaml", 1, "base", "is not a known key here"),

        // Duplicates: region names, and any key given twice (YAML forbids it; the loader used to keep the last).
        ("duplicate-region-names.yaml", 4, "regions[1].name", "region names must differ"),
        ("duplicate-key-in-a-section.yaml", 4, "healthCheck.failureThreshold", "is given twice (first on line 2)"),
        ("duplicate-top-level-section.yaml", 4, "controller", "is given twice (first on line 1)"),
        ("duplicate-region-in-lab-addresses.yaml", 5, "lab.addresses.eu-west-3", "is given twice (first on line 3)"),
        ("duplicate-region-in-aws-regions.yaml", 48, "aws.regions.eu-west-3", "is given twice (first on line 39)"),

        // Zero or negative thresholds and periods.
        ("zero-healthcheck-failurethreshold.yaml", 2, "healthCheck.failureThreshold", "must be between 1 and 10 (found 0)"),
        ("negative-healthcheck-failurethreshold.yaml", 2, "healthCheck.failureThreshold", "must be between 1 and 10 (found -1)"),
        ("zero-healthcheck-requestinterval.yaml", 2, "healthCheck.requestInterval", "must be greater than 0"),
        ("zero-controller-interval.yaml", 2, "controller.interval", "must be greater than 0"),
        ("negative-controller-unhealthyvantageshare.yaml", 2, "controller.unhealthyVantageShare", "must be in [0, 1)"),
        ("empty-controller-vantages.yaml", 2, "controller.vantages", "needs at least one vantage point"),
        ("zero-rpoguard-maxsampleage.yaml", 3, "rpoGuard.maxSampleAge", "must be greater than 0"),
        ("negative-rpoguard-maxlagbytes.yaml", 2, "rpoGuard.maxLagBytes", "must not be negative"),
        ("zero-alarms-period.yaml", 2, "alarms.period", "must be greater than 0"),
        ("zero-targets-rto.yaml", 2, "targets.rto", "must be greater than 0"),
        ("zero-compute-maxinstances.yaml", 2, "compute.maxInstances", "must be between 1 and 64"),

        // A DNS TTL longer than the RTO: resolvers may answer with the failed region for a whole TTL.
        ("lab-dns-ttl-longer-than-rto.yaml", 6, "lab.dns.ttlSeconds", "600 s is longer than targets.rto (5m)"),
        ("aws-route53-ttl-longer-than-rto.yaml", 32, "aws.route53.ttl", "1h is longer than targets.rto (10m)"),

        // Region names are [a-z0-9-]+ (they name state files, map keys and DNS labels).
        ("region-name-upper-case.yaml", 2, "regions[0].name", "'EU-West-3' is not a region name"),
        ("region-name-with-a-space.yaml", 4, "regions[1].name", "'eu central 1' is not a region name"),
        ("region-name-with-an-underscore.yaml", 2, "regions[0].name", "'eu_west_3' is not a region name"),
        ("region-name-with-a-path.yaml", 4, "regions[1].name", "'../../etc' is not a region name"),
        ("region-name-empty.yaml", 2, "regions[0].name", "is required"),

        // Tabs: the line of the tab (YamlDotNet names the line where the block began) and the key being read.
        ("tab-indentation.yaml", 2, "healthCheck", "is indented with a tab; YAML indents with spaces only"),
        ("tab-indentation-nested.yaml", 3, "lab.dns", "is indented with a tab"),
        ("tab-indentation-after-spaces.yaml", 4, "controller.interval", "is indented with a tab"),

        // Not a configuration: the wrong shape, broken syntax.
        ("top-level-scalar.yaml", 1, null, "the configuration must be a mapping of keys"),
        ("top-level-list.yaml", 1, null, "the configuration must be a mapping of keys"),
        ("null-document.yaml", 1, null, "the configuration must be a mapping of keys"),
        ("two-documents.yaml", 2, null, "holds 2 YAML documents"),
        ("syntax-unclosed-quote.yaml", 2, "environment", "double-quoted scalar"),
        ("syntax-unclosed-flow.yaml", 1, "healthCheck.timeout", "is not well-formed YAML from here on"), // YamlDotNet threw InvalidOperationException here
        ("syntax-bad-indentation.yaml", 4, "lab.dns.port", "found invalid mapping"),

        // Binary garbage: refused on the first character no YAML text may hold, with its line.
        ("binary-random-bytes.yaml", 1, null, "contains the control character U+000E at column 3"),
        ("binary-nul-bytes.yaml", 2, null, "contains the control character U+0000 at column 1"),
        ("binary-nul-in-a-value.yaml", 2, null, "contains the control character U+0000 at column 17"),
        ("binary-control-character.yaml", 2, null, "contains the control character U+001B at column 17"),
        ("binary-gzip-header.yaml", 1, null, "contains the control character U+001F at column 1"),

        // YAML bombs: refused before anything recursive reads the text (50 000 nested lists overflowed the stack).
        ("bomb-deep-flow-nesting.yaml", 2, "controller.vantages[0][0]", "nests deeper than 64 levels"),
        ("bomb-deep-block-nesting.yaml", 65, "lab.addresses.k0.k1", "nests deeper than 64 levels"),
        ("bomb-billion-laughs.yaml", 5, "e[0]", "expands to more than 10000 nodes through its aliases"),
        ("alias-to-an-undefined-anchor.yaml", 2, "controller.vantages", "refers to the anchor &nowhere, which is not defined before it"),
    ];

    public static TheoryData<string> Files() => new(Expectations.Select(e => e.File));

    /// <summary>As `regami-dr` loads a file (ProviderFactory.Load, then the provider's section and the notifications).</summary>
    private static void Load(string path)
    {
        var text = File.ReadAllText(path);
        if (LegacyLabConfig.IsLegacy(text)) text = LegacyLabConfig.Convert(text);
        var doc = ConfigDocument.Parse(text, path);
        var config = DrConfiguration.From(doc);
        if (config.Provider == "aws") Regami.Dr.Aws.AwsProvider.Section(doc, config);
        else LabOptions.From(doc, config);
        NotificationConfiguration.From(doc, config.Provider);
    }

    [Theory]
    [MemberData(nameof(Files))]
    public void A_bad_file_is_refused_with_a_configuration_error_naming_file_line_and_field(string file)
    {
        var (_, line, field, problem) = Expectations.Single(e => e.File == file);
        var path = Path.Combine(Corpus, file);

        var clock = Stopwatch.StartNew();
        var thrown = Record.Exception(() => Load(path));
        clock.Stop();

        var e = Assert.IsType<ConfigurationException>(thrown); // not a YamlException, not an InvalidOperationException, not a crash
        Assert.Equal(path, e.File);
        Assert.Equal(line, e.Line);
        Assert.Equal(field, e.Field);
        Assert.Contains(problem, e.Problem);
        var location = line is { } l ? $"{path}:{l}: " : $"{path}: ";
        Assert.Equal(location + (field is null ? "" : $"field '{field}': ") + e.Problem, e.Message);
        // One line for a person: no stack trace, no YamlDotNet type names.
        Assert.DoesNotContain('\n', e.Message);
        Assert.DoesNotContain("YamlDotNet", e.Problem);
        Assert.DoesNotContain("Regami.Dr.", e.Problem);
        Assert.DoesNotContain("(Line:", e.Problem);
        // Fails fast, bombs included.
        Assert.InRange(clock.Elapsed, TimeSpan.Zero, TimeSpan.FromSeconds(5));
    }

    [Fact]
    public void Every_file_of_the_corpus_has_its_expectation_and_every_expectation_its_file()
    {
        var files = Directory.GetFiles(Corpus).Select(Path.GetFileName).Order(StringComparer.Ordinal).ToArray();
        Assert.Equal(files, Expectations.Select(e => e.File).Order(StringComparer.Ordinal).ToArray());
        Assert.Equal(Expectations.Length, Expectations.Select(e => e.File).Distinct().Count());
    }

    [Theory]
    [InlineData("")]
    [InlineData("\n\n")]
    [InlineData("# nothing but a comment\n")]
    [InlineData("---\n")]
    public void An_empty_file_is_the_embedded_defaults_as_documented(string text)
    {
        // docs/regami-dr.example.yaml: "all keys optional; these are the defaults" — an empty file sets none.
        var doc = ConfigDocument.Parse(text, "empty.yaml");
        var config = DrConfiguration.From(doc);
        var lab = LabOptions.From(doc, config);
        var defaults = LabOptions.Defaults();
        Assert.Equal(defaults.Regions, lab.Regions);
        Assert.Equal((defaults.Config.Provider, defaults.Config.Targets, defaults.HealthCheck, defaults.Controller),
            (config.Provider, config.Targets, config.HealthCheck, config.Controller));
        Assert.Equal(NotificationOptions.Lab.RepeatInterval, NotificationConfiguration.From(doc, config.Provider).RepeatInterval);
    }

    [Fact]
    public void Anchors_and_aliases_within_the_limits_still_work()
    {
        const string yaml = """
            rpoGuard:
              maxLag: &lag 2m
            alarms:
              period: 1s
              replicaLagThreshold: *lag
            controller:
              vantages: &vantages [local, eu-north-1]
            """;
        var config = DrConfiguration.From(ConfigDocument.Parse(yaml, "anchors.yaml"));
        Assert.Equal(TimeSpan.FromMinutes(2), config.Alarms.ReplicaLagThreshold);
        Assert.Equal(["local", "eu-north-1"], config.Controller.Vantages);
    }

    [Fact]
    public void A_tab_inside_a_value_or_a_block_of_text_is_not_indentation()
    {
        var config = DrConfiguration.From(ConfigDocument.Parse("environment: \"lab\twith a tab\"\nschedules:\n  drill:\t\"0 9 1 1,4,7,10 *\"\n", "tabs.yaml"));
        Assert.Equal("lab\twith a tab", config.Environment);
    }
}
