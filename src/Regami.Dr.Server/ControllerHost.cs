using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Prometheus;
using Regami.Dr.Core.Audit;
using Regami.Dr.Core.Runbooks;
using Regami.Dr.Core.Status;
using Regami.Dr.Server.Api;
using Regami.Dr.Server.Controller;
using Regami.Dr.Store;

namespace Regami.Dr.Server;

/// <summary>Extra read-only views the host serves (alarms, open alerts) and the ack action.</summary>
public sealed record ControllerViews(
    Func<CancellationToken, Task<SystemStatus>> Status,
    Func<object> Alarms,
    Func<object> OpenAlerts,
    Func<string, string, bool> Acknowledge);

/// <summary>
/// `regami-dr monitor`: the decision loop plus its HTTP API (status, events, alarms, failover,
/// switchover), a dashboard and /metrics, in one generic host with graceful shutdown.
/// </summary>
public static class ControllerHost
{
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
    };

    public static async Task RunAsync(ControllerOptions options, ControllerDependencies deps, ControllerViews views, CancellationToken ct, ControllerMetrics? metrics = null)
    {
        var problems = options.Validate();
        if (problems.Count > 0) throw new ArgumentException("invalid controller options: " + string.Join("; ", problems));

        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.Logging.AddSimpleConsole(o => { o.SingleLine = true; o.TimestampFormat = "HH:mm:ss.fff "; });
        builder.Logging.AddFilter("Microsoft", LogLevel.Warning);
        builder.WebHost.UseUrls(options.ListenUrl.ToString());
        builder.Services.ConfigureHttpJsonOptions(o =>
        {
            o.SerializerOptions.Converters.Add(new JsonStringEnumConverter(JsonNamingPolicy.CamelCase));
            o.SerializerOptions.PropertyNamingPolicy = JsonNamingPolicy.CamelCase;
        });
        var app = builder.Build();
        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("controller");
        metrics ??= new ControllerMetrics();
        var state = new ControllerState();
        var loop = new ControllerLoop(options, deps, metrics, state, logger);
        var token = BearerToken.LoadOrCreate(options.TokenFile);

        MapEndpoints(app, options, deps, views, loop, state, metrics, token);

        using var stopping = CancellationTokenSource.CreateLinkedTokenSource(ct, app.Lifetime.ApplicationStopping);
        await app.StartAsync(ct);
        logger.LogInformation("controller API on {Url} (dashboard /, metrics /metrics; token in {TokenFile})", options.ListenUrl, options.TokenFile);
        try
        {
            await loop.RunAsync(stopping.Token);
        }
        finally
        {
            await app.StopAsync(CancellationToken.None);
            await app.DisposeAsync();
        }
    }

    private static void MapEndpoints(WebApplication app, ControllerOptions options, ControllerDependencies deps, ControllerViews views,
        ControllerLoop loop, ControllerState state, ControllerMetrics metrics, BearerToken token)
    {
        app.MapGet("/", () => Results.Content(Dashboard.Html, "text/html; charset=utf-8"));
        app.MapGet("/api/status", async (CancellationToken ct) =>
        {
            var status = await views.Status(ct);
            return Results.Json(status with { Controller = new ControllerStatus(options.ListenUrl.ToString()) }, Json);
        });
        app.MapGet("/api/controller", () =>
        {
            var s = state.Current;
            return Results.Json(new
            {
                owner = options.Owner,
                lease = deps.Lease.Name,
                holdsLease = s.Observation?.HoldsLease,
                situation = s.Decision?.Situation,
                action = s.Decision?.Action.GetType().Name.ToLowerInvariant(),
                guards = s.Decision?.Guards,
                regions = s.Observation?.Regions.Select(r => new { r.Region, role = r.RecordedRole, r.Healthy, r.UnhealthyVantages, r.Vantages, r.HealthDetail, writable = r.Database.Writable }),
                lastKnownLag = s.Observation?.LastKnownLag,
                s.LastTickAt, s.Ticks, s.TickErrors, s.LastError, s.LastFailoverAt, s.LastFailoverRun, s.RunningFailover,
            }, Json);
        });
        app.MapGet("/api/events", async (DateTimeOffset? since, int? limit, CancellationToken ct) =>
        {
            var events = await deps.Audit.ListAsync(since, null, ct);
            return Results.Json(events.TakeLast(limit ?? 200), Json);
        });
        app.MapGet("/api/alarms", () => Results.Json(views.Alarms(), Json));
        app.MapGet("/api/alerts", () => Results.Json(views.OpenAlerts(), Json));
        app.MapPost("/api/alerts/{id}/ack", async (string id, HttpContext http, CancellationToken ct) =>
        {
            if (!token.Accepts(http.Request.Headers.Authorization)) return Results.Unauthorized();
            var by = Caller(http);
            var ok = views.Acknowledge(id, by);
            await deps.Audit.AppendAsync(new AuditEntry(deps.Time.GetUtcNow(), by, $"POST /api/alerts/{id}/ack", null, "alert.ack", ok ? "succeeded" : "failed", null), ct);
            return ok ? Results.Ok(new { acknowledged = id }) : Results.NotFound(new { error = $"no open alert {id}" });
        });
        app.MapPost("/api/failover", async (FailoverRequest? body, HttpContext http, CancellationToken ct) =>
        {
            if (!token.Accepts(http.Request.Headers.Authorization)) return Results.Unauthorized();
            var topology = await deps.Ports.Topology.GetAsync(ct);
            var to = body?.To ?? topology.Standby;
            if (to is null || !topology.Regions.Contains(to)) return Results.BadRequest(new { error = $"unknown target region; regions: {string.Join(", ", topology.Regions)}" });
            if (to == topology.Primary) return Results.Ok(new { outcome = "nothingToDo", detail = $"{to} is already the primary" });
            var from = topology.Primary ?? topology.Others(to).First();
            try
            {
                var result = await loop.FailoverAsync(from, to, $"requested through the API by {Caller(http)}", $"POST /api/failover to={to} force={body?.Force == true}", ct, body?.Force == true, Caller(http));
                return Results.Json(result, Json, statusCode: result.Succeeded ? 200 : result.Outcome == Core.Runbooks.Journal.RunOutcome.Refused ? 409 : 500);
            }
            catch (RunbookBusyException e) { return Results.Conflict(new { error = e.Message }); }
        });
        app.MapPost("/api/switchover", async (FailoverRequest? body, HttpContext http, CancellationToken ct) =>
        {
            if (!token.Accepts(http.Request.Headers.Authorization)) return Results.Unauthorized();
            RunbookChoice choice;
            try { choice = await deps.Catalog.ChooseAsync(new RunbookAsk(SwitchoverRunbook.Kind, body?.To), ct); }
            catch (RunbookRequestException e) { return e.Unsafe ? Results.Conflict(new { error = e.Message }) : Results.BadRequest(new { error = e.Message }); }
            if (choice.Runbook is not { } runbook) return Results.Ok(new { outcome = "nothingToDo", detail = choice.NothingToDo });
            var engine = new RunbookEngine(deps.Journal, deps.Audit, deps.RunbookLease, deps.Time, ProcessHostFacts.Current, Caller(http));
            try
            {
                var result = await engine.RunAsync(runbook, $"POST /api/switchover to={runbook.Parameters["to"]}", new RunbookRunOptions(), null, ct);
                return Results.Json(result, Json, statusCode: result.Succeeded ? 200 : 500);
            }
            catch (RunbookBusyException e) { return Results.Conflict(new { error = e.Message }); }
        });
        app.MapMetrics("/metrics", metrics.Registry);
    }

    private static string Caller(HttpContext http) => $"api@{http.Connection.RemoteIpAddress}";

    public sealed record FailoverRequest(string? To, bool Force);
}
