using Regami.Dr.Core.Drills;

namespace Regami.Dr.Core.Tests.Drills;

/// <summary>Hand-made writes on a timeline in seconds from <see cref="T0"/>.</summary>
internal static class DrillTestKit
{
    public static readonly DateTimeOffset T0 = new(2026, 11, 24, 22, 0, 0, TimeSpan.Zero);

    /// <summary>T0 + <paramref name="seconds"/>, rounded to the 100 ns tick (no binary-fraction drift across bucket edges).</summary>
    public static DateTimeOffset At(double seconds) => T0.AddTicks((long)Math.Round(seconds * TimeSpan.TicksPerSecond));

    /// <summary>An acknowledged write sent at <paramref name="sent"/>, answered 10 ms later, committed 5 ms after sending.</summary>
    public static WriteAttempt Ack(long seq, double sent, double? committed = null, double latency = 0.010) =>
        new(seq, At(sent), WriteOutcome.Acknowledged, At(sent + latency), 201, "eu-west-3", At(committed ?? sent + 0.005), "127.0.0.2");

    public static WriteAttempt Refused(long seq, double sent, int status = 503) =>
        new(seq, At(sent), WriteOutcome.Refused, At(sent + 0.010), status, null, null, "127.0.0.2", $"HTTP {status}");

    public static WriteAttempt Unknown(long seq, double sent, double timeout = 1.0) =>
        new(seq, At(sent), WriteOutcome.Unknown, At(sent + timeout), null, null, null, "127.0.0.2", "no answer within 1000 ms");

    public static IReadOnlySet<long> Present(params long[] seqs) => new HashSet<long>(seqs);

    public static IReadOnlySet<long> Present(IEnumerable<long> seqs) => new HashSet<long>(seqs);

    /// <summary>
    /// A region-outage drill at 10 writes/s: seqs 1–50 sent before the fault at +5 s, all acknowledged (when
    /// <paramref name="loseWrites"/>, 48–50 are lost; 47, committed at +4.655 s, is the last safe write); seqs 51–80 sent
    /// during the outage (+5.05 … +7.95 s), refused except every 4th which times out (and every 8th of those committed);
    /// then seqs 81–100 acknowledged by eu-central-1 from +8.05 s (first answer at +8.06 s: RTO 3.06 s). Marks for every phase.
    /// </summary>
    public static DrillObservations RegionOutage(bool loseWrites = true, IReadOnlyList<DrillCheck>? checks = null)
    {
        var attempts = new List<WriteAttempt>();
        var present = new HashSet<long>();
        long seq = 1;
        for (var i = 0; i < 50; i++, seq++)
        {
            var t = 0.05 + i / 10.0;
            attempts.Add(Ack(seq, t));
            if (!loseWrites || seq <= 47) present.Add(seq);
        }
        for (var i = 0; i < 30; i++, seq++)
        {
            var t = 5.05 + i / 10.0;
            var unknown = seq % 4 == 0;
            attempts.Add(unknown ? Unknown(seq, t) : Refused(seq, t));
            if (unknown && seq % 8 == 0) present.Add(seq); // some timed-out writes did commit
        }
        for (var i = 0; i < 20; i++, seq++)
        {
            var t = 8.05 + i / 10.0;
            attempts.Add(Ack(seq, t) with { Region = "eu-central-1", Address = "127.0.0.3" });
            present.Add(seq);
        }

        return new DrillObservations
        {
            Scenario = "region-outage",
            Targets = new DrillTargets(10, 5),
            Marks = new DrillMarks(At(5.0))
            {
                Detected = At(6.0),
                Decided = At(6.1),
                Fenced = At(6.3),
                Promoted = At(6.6),
                ComputeReady = At(7.4),
                TrafficSwitched = At(7.9),
            },
            Attempts = attempts,
            PresentSeqs = present,
            Checks = checks ??
            [
                new DrillCheck("smoke test through api.regami.test", true, "health 200, write 201, read back 200"),
                new DrillCheck("data consistent after failback", true, "count 97, checksum 0f3c… on both regions"),
            ],
            Timeline =
            [
                new DrillTimelineEvent(At(-1), "drill started"),
                new DrillTimelineEvent(At(0), "workload started"),
                new DrillTimelineEvent(At(5), "fault injected: region-outage eu-west-3"),
                new DrillTimelineEvent(At(6.6), "promoted eu-central-1"),
                new DrillTimelineEvent(At(12), "failed back to eu-west-3"),
            ],
            StartedAt = At(-1),
            FinishedAt = At(14.5),
            ReplicationMode = "async",
            Environment = new DrillEnvironment("0.9.0+abc123", "15.8", ".NET 10.0.1", "drill-host", "Debian GNU/Linux 12", 2),
            Reports = new DrillReportPaths("/var/lib/regami-dr/drills/x/report.json", "/var/lib/regami-dr/drills/x/report.md",
                "/var/lib/regami-dr/drills/x/report.html"),
        };
    }

    public static string RepoRoot()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
        {
            if (File.Exists(Path.Combine(d.FullName, "RegamiDr.slnx"))) return d.FullName;
        }
        throw new InvalidOperationException("cannot find the repository root (RegamiDr.slnx) above " + AppContext.BaseDirectory);
    }

    /// <summary>A contract schema in the repository's own <c>schemas/</c> (authoritative; see schemas/README.md).</summary>
    public static string ContractPath(string file) => Path.Combine(RepoRoot(), "schemas", file);
}
