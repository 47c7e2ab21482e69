using System.Net;
using System.Net.Sockets;

namespace Regami.Dr.Core.Traffic;

/// <summary>Which of the two failover records of a name.</summary>
public enum FailoverRole
{
    Primary,
    Secondary,
}

/// <summary>One failover record: an A record pointing at a region, optionally tied to a health check.</summary>
/// <param name="Region">The region the address serves (e.g. <c>eu-west-3</c>); also the routing control's key.</param>
/// <param name="Address">The IPv4 address answered (e.g. <c>127.0.0.2</c>).</param>
/// <param name="HealthCheckId">The health check deciding this record's health; null = always healthy, as in Route 53.</param>
public sealed record FailoverRecord(string Region, string Address, string? HealthCheckId = null);

/// <summary>
/// A Route 53 failover record set: one name with a PRIMARY and a SECONDARY A record.
/// <see cref="Resolve"/> is the routing decision, pure and explained.
/// </summary>
/// <param name="Name">Fully qualified name without the trailing dot, e.g. <c>api.regami.test</c>.</param>
/// <param name="Ttl">Time to live of the answer (the lab uses 1 s so clients follow a failover quickly).</param>
public sealed record FailoverRecordSet(string Name, TimeSpan Ttl, FailoverRecord Primary, FailoverRecord Secondary)
{
    /// <summary>The TTL in whole seconds, as it goes on the wire.</summary>
    public int TtlSeconds => (int)Math.Ceiling(Ttl.TotalSeconds);

    public FailoverRecord this[FailoverRole role] => role == FailoverRole.Primary ? Primary : Secondary;

    /// <summary>Every problem with this record set, one sentence each; empty when valid.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (string.IsNullOrWhiteSpace(Name) || Name.EndsWith('.'))
            errors.Add($"record name must be a domain name without the trailing dot (found '{Name}')");
        if (Ttl < TimeSpan.Zero || Ttl > TimeSpan.FromDays(1))
            errors.Add($"ttl must be between 0 and 86400 s (found {Ttl.TotalSeconds} s)");
        foreach (var (role, record) in new[] { (FailoverRole.Primary, Primary), (FailoverRole.Secondary, Secondary) })
        {
            var label = role.ToString().ToLowerInvariant();
            if (string.IsNullOrWhiteSpace(record.Region))
                errors.Add($"{label} record needs a region");
            if (!IPAddress.TryParse(record.Address, out var ip) || ip.AddressFamily != AddressFamily.InterNetwork)
                errors.Add($"{label} record address must be an IPv4 address (found '{record.Address}')");
        }
        if (string.Equals(Primary.Region, Secondary.Region, StringComparison.Ordinal))
            errors.Add($"primary and secondary records must be in different regions (both are '{Primary.Region}')");
        return errors;
    }

    /// <summary>
    /// Decides which record Route 53 would answer, and says why.
    /// <list type="number">
    /// <item>Each record's health: its routing control must be on (a region whose routing control is
    /// off counts as unhealthy, the Route 53 ARC way; a region missing from
    /// <paramref name="routingControls"/> is on), and its health check must be healthy (a record
    /// without a health check, or whose check <paramref name="healthOf"/> does not know, counts as healthy).</item>
    /// <item>The primary is healthy → the primary.</item>
    /// <item>The primary is unhealthy and the secondary healthy → the secondary.</item>
    /// <item>Both unhealthy → Route 53 answers as if all records were healthy → the primary. This is
    /// also what happens when every routing control is turned off ("fail open"); ARC's safety rules
    /// exist to prevent that state.</item>
    /// </list>
    /// </summary>
    /// <param name="healthOf">The current status of a health check by id; null when unknown.</param>
    /// <param name="routingControls">Routing control state by region: true = on (may take traffic).</param>
    public FailoverAnswer Resolve(Func<string, HealthCheckSnapshot?> healthOf, IReadOnlyDictionary<string, bool>? routingControls = null)
    {
        ArgumentNullException.ThrowIfNull(healthOf);
        var primary = Evaluate(FailoverRole.Primary, Primary, healthOf, routingControls);
        var secondary = Evaluate(FailoverRole.Secondary, Secondary, healthOf, routingControls);

        if (primary.IsHealthy)
            return Answer(FailoverSituation.PrimaryHealthy, primary, primary, secondary,
                $"{primary.Explanation} → answering primary");
        if (secondary.IsHealthy)
            return Answer(FailoverSituation.PrimaryUnhealthy, secondary, primary, secondary,
                $"{primary.Explanation}, {secondary.Explanation} → answering secondary");
        return Answer(FailoverSituation.AllUnhealthy, primary, primary, secondary,
            $"{primary.Explanation}, {secondary.Explanation}; all records unhealthy → Route 53 answers as if all were healthy → primary");
    }

    /// <summary><see cref="Resolve(Func{string, HealthCheckSnapshot?}, IReadOnlyDictionary{string, bool}?)"/> over a dictionary of snapshots by health check id.</summary>
    public FailoverAnswer Resolve(IReadOnlyDictionary<string, HealthCheckSnapshot> healthChecks, IReadOnlyDictionary<string, bool>? routingControls = null) =>
        Resolve(id => healthChecks.GetValueOrDefault(id), routingControls);

    private FailoverAnswer Answer(FailoverSituation situation, RecordEvaluation chosen, RecordEvaluation primary, RecordEvaluation secondary, string reason) =>
        new(Name, TtlSeconds, situation, chosen.Role, chosen.Record.Region, chosen.Record.Address, reason, primary, secondary);

    private static RecordEvaluation Evaluate(
        FailoverRole role, FailoverRecord record, Func<string, HealthCheckSnapshot?> healthOf, IReadOnlyDictionary<string, bool>? routingControls)
    {
        var who = $"{role.ToString().ToLowerInvariant()} {record.Region}";
        var routingControlOn = routingControls is null || !routingControls.TryGetValue(record.Region, out var on) || on;
        var check = record.HealthCheckId is { } id ? healthOf(id) : null;
        var checkHealthy = check?.IsHealthy ?? true;

        var explanation = (routingControlOn, record.HealthCheckId, check) switch
        {
            (false, _, _) => $"{who} unhealthy (routing control off)",
            (true, null, _) => $"{who} healthy (no health check: always healthy)",
            (true, { } unknownId, null) => $"{who} healthy (health check '{unknownId}' has no status yet: treated as healthy)",
            (true, _, { } known) => $"{who} {known.Describe()}",
        };
        return new RecordEvaluation(role, record, routingControlOn && checkHealthy, routingControlOn, check, explanation);
    }
}

/// <summary>The situation a failover answer was decided in; each has its own branch in <see cref="FailoverRecordSet.Resolve(Func{string, HealthCheckSnapshot?}, IReadOnlyDictionary{string, bool}?)"/>.</summary>
public enum FailoverSituation
{
    /// <summary>The primary is healthy: it is answered.</summary>
    PrimaryHealthy,
    /// <summary>The primary is unhealthy and the secondary healthy: the secondary is answered.</summary>
    PrimaryUnhealthy,
    /// <summary>Both are unhealthy: Route 53 answers as if all were healthy, i.e. the primary.</summary>
    AllUnhealthy,
}

/// <summary>How one record was judged while resolving.</summary>
/// <param name="IsHealthy">Whether the record counted as healthy (routing control on and health check healthy).</param>
/// <param name="RoutingControlOn">The region's routing control (true when not set).</param>
/// <param name="HealthCheck">The health check's status; null when the record has none or it is unknown.</param>
/// <param name="Explanation">E.g. "primary eu-west-3 unhealthy (3/3 failed checks; last: HTTP 503)".</param>
public sealed record RecordEvaluation(
    FailoverRole Role,
    FailoverRecord Record,
    bool IsHealthy,
    bool RoutingControlOn,
    HealthCheckSnapshot? HealthCheck,
    string Explanation);

/// <summary>The record a failover record set answers with, and why.</summary>
/// <param name="Name">The queried name, e.g. <c>api.regami.test</c>.</param>
/// <param name="TtlSeconds">The TTL the answer carries.</param>
/// <param name="Situation">Which rule decided.</param>
/// <param name="Role">The answered record's role.</param>
/// <param name="Region">The answered record's region.</param>
/// <param name="Address">The answered IPv4 address.</param>
/// <param name="Reason">One sentence, e.g. "primary eu-west-3 unhealthy (3/3 failed checks; last: HTTP 503),
/// secondary eu-central-1 healthy (…) → answering secondary".</param>
public sealed record FailoverAnswer(
    string Name,
    int TtlSeconds,
    FailoverSituation Situation,
    FailoverRole Role,
    string Region,
    string Address,
    string Reason,
    RecordEvaluation Primary,
    RecordEvaluation Secondary);
