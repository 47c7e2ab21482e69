using System.Text.Json;
using System.Text.RegularExpressions;
using NJsonSchema;
using Regami.Dr.Core.Drills;
using static Regami.Dr.Core.Tests.Drills.DrillTestKit;

namespace Regami.Dr.Core.Tests.Drills;

public sealed class DrillReportTests
{
    // ------------------------------------------------------------------ verdict

    [Fact]
    public void Passes_when_every_check_passes_and_both_targets_are_met()
    {
        var report = DrillReport.From(RegionOutage());

        Assert.True(report.Passed);
        Assert.Equal(3.06, report.Measured.RtoSeconds);
        Assert.Equal(0.345, report.Measured.RpoSeconds);
        Assert.Equal(3, report.Measured.LostAcknowledgedWrites);
        Assert.Equal([48L, 49L, 50L], report.Measured.LostSeqs);
        Assert.Contains(report.Checks, c => c is { Name: DrillReport.NoUnexpectedWritesCheck, Passed: true });
    }

    [Fact]
    public void Fails_when_a_check_fails()
    {
        var report = DrillReport.From(RegionOutage(checks: [new DrillCheck("smoke test", false, "read back: HTTP 404")]));

        Assert.False(report.Passed);
    }

    [Fact]
    public void Fails_when_rto_exceeds_its_target()
    {
        var report = DrillReport.From(RegionOutage() with { Targets = new DrillTargets(3, 300) });

        Assert.False(report.Passed);
    }

    [Fact]
    public void Fails_when_rpo_exceeds_its_target()
    {
        var report = DrillReport.From(RegionOutage() with { Targets = new DrillTargets(900, 0.2) });

        Assert.False(report.Passed);
        Assert.True(DrillReport.From(RegionOutage(loseWrites: false) with { Targets = new DrillTargets(900, 0) }).Passed);
    }

    [Fact]
    public void Fails_when_a_row_appears_that_nobody_wrote()
    {
        var o = RegionOutage();
        var report = DrillReport.From(o with { PresentSeqs = new HashSet<long>(o.PresentSeqs) { 5000 } });

        Assert.False(report.Passed);
        Assert.Equal(1, report.Measured.UnexpectedWrites);
        var check = Assert.Single(report.Checks, c => c.Name == DrillReport.NoUnexpectedWritesCheck);
        Assert.False(check.Passed);
        Assert.Contains("5000", check.Detail);
    }

    [Fact]
    public void Fails_when_service_never_recovered_and_says_so_with_a_null_rto()
    {
        var o = RegionOutage();
        var report = DrillReport.From(o with { Attempts = o.Attempts.Where(a => a.SentAt < At(8)).ToList() });

        Assert.False(report.Passed);
        Assert.Null(report.Measured.RtoSeconds);
        using var json = JsonDocument.Parse(DrillReportJson.Render(report));
        Assert.Equal(JsonValueKind.Null, json.RootElement.GetProperty("measured").GetProperty("rtoSeconds").ValueKind);
        Assert.DoesNotContain(report.Timeline, e => e.Event.StartsWith(DrillReport.FirstSuccessEvent));
    }

    [Fact]
    public void Timeline_is_sorted_and_gains_the_first_success()
    {
        var report = DrillReport.From(RegionOutage());

        Assert.Equal(report.Timeline.OrderBy(e => e.At), report.Timeline);
        var first = Assert.Single(report.Timeline, e => e.Event.StartsWith(DrillReport.FirstSuccessEvent));
        Assert.Equal(At(8.06), first.At);
        Assert.Contains("RTO 3.06 s", first.Event);
    }

    [Fact]
    public void Write_chart_counts_writes_per_100_ms_of_send_time()
    {
        var chart = DrillReport.From(RegionOutage()).Writes;

        Assert.Equal(100, chart.BucketMilliseconds);
        Assert.Equal(At(0.05), chart.From);
        Assert.Equal(100, chart.Acknowledged.Count);
        Assert.Equal(70, chart.Acknowledged.Sum());
        Assert.Equal(22, chart.Refused.Sum());
        Assert.Equal(8, chart.Unknown.Sum());
        Assert.Equal(1, chart.Acknowledged[0]);
        Assert.Equal(0, chart.Acknowledged[55]);
    }

    // ------------------------------------------------------------------ JSON

    [Fact]
    public async Task Json_validates_against_the_contract_in_every_shape()
    {
        var schema = await JsonSchema.FromFileAsync(ContractPath("drill-report.schema.json"));
        var o = RegionOutage();
        DrillReport[] reports =
        [
            DrillReport.From(o),
            DrillReport.From(o with { Attempts = o.Attempts.Where(a => a.SentAt < At(8)).ToList() }),   // never recovered
            DrillReport.From(o with { Attempts = [], PresentSeqs = Present(), Environment = null, Reports = null, ReplicationMode = null,
                Checks = [], Timeline = [] }),
        ];

        foreach (var report in reports)
        {
            var json = DrillReportJson.Render(report);
            var errors = schema.Validate(json);
            Assert.True(errors.Count == 0, string.Join("\n", errors.Select(e => $"{e.Path}: {e.Kind}")) + "\n" + json);
        }
    }

    [Fact]
    public void Json_has_the_contract_names_in_camel_case_and_utc_times()
    {
        var json = DrillReportJson.Render(DrillReport.From(RegionOutage()));
        using var doc = JsonDocument.Parse(json);
        var root = doc.RootElement;

        Assert.Equal("region-outage", root.GetProperty("scenario").GetString());
        Assert.True(root.GetProperty("passed").GetBoolean());
        Assert.Equal(10, root.GetProperty("targets").GetProperty("rtoSeconds").GetDouble());
        Assert.Equal(5, root.GetProperty("targets").GetProperty("rpoSeconds").GetDouble());
        var measured = root.GetProperty("measured");
        Assert.Equal(3.06, measured.GetProperty("rtoSeconds").GetDouble());
        Assert.Equal(0.345, measured.GetProperty("rpoSeconds").GetDouble());
        Assert.Equal(70, measured.GetProperty("acknowledgedWrites").GetInt32());
        Assert.Equal(3, measured.GetProperty("lostAcknowledgedWrites").GetInt32());
        Assert.Equal(4, measured.GetProperty("recoveredWrites").GetInt32());
        Assert.Equal(0, measured.GetProperty("unexpectedWrites").GetInt32());
        Assert.Equal(26, measured.GetProperty("failedWrites").GetInt32());
        Assert.Equal("[48,49,50]", measured.GetProperty("lostSeqs").GetRawText().Replace(" ", "").Replace("\n", ""));
        var phase = measured.GetProperty("phases")[0];
        Assert.Equal("detection", phase.GetProperty("name").GetString());
        Assert.Equal(1.0, phase.GetProperty("seconds").GetDouble());
        Assert.Equal("2026-11-24T22:00:05.000Z", phase.GetProperty("from").GetString());
        var check = root.GetProperty("checks")[0];
        Assert.True(check.TryGetProperty("detail", out _));
        Assert.Equal("2026-11-24T21:59:59.000Z", root.GetProperty("timeline")[0].GetProperty("at").GetString());
        Assert.Equal("drill started", root.GetProperty("timeline")[0].GetProperty("event").GetString());
        Assert.EndsWith("report.html", root.GetProperty("reports").GetProperty("html").GetString());
        Assert.Equal("async", root.GetProperty("replicationMode").GetString());
        Assert.Equal("15.8", root.GetProperty("environment").GetProperty("postgresVersion").GetString());
        Assert.Equal(15.5, root.GetProperty("durationSeconds").GetDouble());
        Assert.Equal(100, root.GetProperty("writes").GetProperty("bucketMilliseconds").GetInt32());
    }

    [Fact]
    public void Json_reads_back_what_it_wrote()
    {
        var report = DrillReport.From(RegionOutage());

        var again = DrillReportJson.Parse(DrillReportJson.Render(report));

        Assert.Equal(DrillReportJson.Render(report), DrillReportJson.Render(again));
        Assert.Equal(report.Measured.RtoSeconds, again.Measured.RtoSeconds);
        Assert.Equal(report.StartedAt, again.StartedAt);
    }

    [Fact]
    public void Lost_seqs_list_at_most_100()
    {
        var attempts = Enumerable.Range(1, 250).Select(i => Ack(i, i * 0.01)).ToList();
        var report = DrillReport.From(RegionOutage() with { Attempts = attempts, PresentSeqs = Present() });

        Assert.Equal(250, report.Measured.LostAcknowledgedWrites);
        Assert.Equal(100, report.Measured.LostSeqs.Count);
        Assert.Equal(1, report.Measured.LostSeqs[0]);
    }

    // ------------------------------------------------------------------ Markdown

    [Fact]
    public void Markdown_has_the_key_figures_verdicts_phases_checks_timeline_and_environment()
    {
        var md = DrillReportMarkdown.Render(DrillReport.From(RegionOutage()));

        Assert.StartsWith("# DR drill region-outage: PASSED", md);
        Assert.Contains("| RTO | 10 s | 3.060 s | **PASS** |", md);
        Assert.Contains("| RPO | 5 s | 0.345 s (3 of 70 acknowledged writes lost) | **PASS** |", md);
        Assert.Contains("| 100 | 70 | 3 | 4 | 26 | 0 |", md);
        Assert.Contains("Lost seqs: 48, 49, 50.", md);
        Assert.Contains("| detection | 1.000 |", md);
        Assert.Contains("| traffic switch | 0.500 |", md);
        Assert.Contains("| first success | 0.160 |", md);
        Assert.Contains("| total | 3.060 |", md);
        Assert.Contains("| smoke test through api.regami.test | **PASS** | health 200, write 201, read back 200 |", md);
        Assert.Contains("| 22:00:05.000 | +0.000 s | fault injected: region-outage eu-west-3 |", md);
        Assert.Contains("`15.8`", md);
        Assert.Contains("`0.9.0+abc123`", md);
        Assert.Contains("drill-host (2 CPUs)", md);
        Assert.Contains("`/var/lib/regami-dr/drills/x/report.md`", md);
    }

    [Fact]
    public void Markdown_says_fail_and_never_recovered_and_keeps_tables_intact()
    {
        var o = RegionOutage(checks: [new DrillCheck("data | consistency", false, "count 97 | 96\nchecksum differs")]);
        var report = DrillReport.From(o with { Attempts = o.Attempts.Where(a => a.SentAt < At(8)).ToList(), Targets = DrillTargets.Plan });

        var md = DrillReportMarkdown.Render(report);

        Assert.StartsWith("# DR drill region-outage: FAILED", md);
        Assert.Contains("| RTO | 15 min (900 s) | never recovered | **FAIL** |", md);
        Assert.Contains("| RPO | 5 min (300 s) |", md);
        Assert.Contains(@"| data \| consistency | **FAIL** | count 97 \| 96 checksum differs |", md);
        Assert.Contains("never recovered: the last write sent (seq 80)", md);
    }

    // ------------------------------------------------------------------ HTML

    [Fact]
    public void Html_is_one_self_contained_page_with_an_svg_chart_and_the_tables()
    {
        var o = RegionOutage();
        var html = DrillReportHtml.Render(DrillReport.From(o with { Reports = null }));

        Assert.StartsWith("<!DOCTYPE html>", html);
        Assert.Contains("<svg", html);
        Assert.DoesNotContain("http://", html);
        Assert.DoesNotContain("https://", html);
        Assert.DoesNotContain("<script", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("<link", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("<img", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("@import", html);
        Assert.DoesNotContain("url(", html);
        Assert.DoesNotContain("@font-face", html);
        // Markers for the fault, detection, promotion, traffic switch and first success.
        Assert.Contains(">fault +0.000 s</text>", html);
        Assert.Contains(">detected +1.000 s</text>", html);
        Assert.Contains(">promoted +1.600 s</text>", html);
        Assert.Contains(">traffic switched +2.900 s</text>", html);
        Assert.Contains(">first success +3.060 s</text>", html);
        // The same tables as the Markdown.
        Assert.Contains("<td>RTO</td><td>10 s</td><td>3.060 s</td><td class=\"pass\">PASS</td>", html);
        Assert.Contains("<td>first success</td><td class=\"num\">0.160</td>", html);
        Assert.Contains("smoke test through api.regami.test", html);
        Assert.Contains("Lost seqs: 48, 49, 50.", html);
        // One bar rectangle per non-empty outcome bucket.
        Assert.Equal(70 + 22 + 8, Regex.Matches(html, "<rect x=").Count);
    }

    [Fact]
    public void Html_escapes_text_and_links_to_nothing_even_when_details_mention_urls()
    {
        var o = RegionOutage(checks: [new DrillCheck("<b>smoke</b>", true, "GET http://127.0.0.2:8080/health → 200 & ok")]);

        var html = DrillReportHtml.Render(DrillReport.From(o));

        Assert.Contains("&lt;b&gt;smoke&lt;/b&gt;", html);
        Assert.Contains("&amp; ok", html);
        Assert.DoesNotMatch(new Regex(@"\b(src|href|xlink:href|action)\s*=", RegexOptions.IgnoreCase), html);
    }

    [Fact]
    public void Html_draws_a_long_drill_with_wider_bars_and_the_json_keeps_every_bucket()
    {
        var attempts = Enumerable.Range(1, 5000).Select(i => Ack(i, i * 0.1)).ToList();   // 500 s, one write per 100 ms
        var report = DrillReport.From(RegionOutage() with { Attempts = attempts, PresentSeqs = Present(attempts.Select(a => a.Seq)) });

        var html = DrillReportHtml.Render(report);

        Assert.Equal(5000, report.Writes.Acknowledged.Count);
        Assert.Equal(1000, Regex.Matches(html, "<rect x=").Count);
        Assert.Contains("one bar per 500 ms of send time", html);
    }

    [Fact]
    public void Html_without_writes_says_there_is_no_chart()
    {
        var html = DrillReportHtml.Render(DrillReport.From(RegionOutage() with { Attempts = [], PresentSeqs = Present() }));

        Assert.Contains("No write was recorded", html);
        Assert.DoesNotContain("<svg", html);
        Assert.Contains("FAILED", html);
    }
}
