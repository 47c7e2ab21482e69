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
using Regami.Dr.Core.Runbooks.Journal;
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

    /// <param name="backups">Builds the backup scheduler, given "does this controller lead" and the logger; null where the provider has no backups.</param>
    public static async Task RunAsync(ControllerOptions options, ControllerDependencies deps, ControllerViews views, CancellationToken ct, ControllerMetrics? metrics = null,
        Func<Func<bool>, ILogger, ControllerMetrics, Backups.BackupScheduler>? backups = null)
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

        // The host's lifetime: the loop's token, and the token of the runbooks the API starts
        // (never a request's: a client that gives up must not stop a failover half way).
        using var stopping = CancellationTokenSource.CreateLinkedTokenSource(ct, app.Lifetime.ApplicationStopping);
        var runs = new ApiRunbooks(stopping.Token, logger);
        MapEndpoints(app, options, deps, views, loop, state, metrics, token, runs);

        await app.StartAsync(ct);
        logger.LogInformation("controller API on {Url} (dashboard /, metrics /metrics; token in {TokenFile})", options.ListenUrl, options.TokenFile);
        // Scheduled backups and restore tests run beside the decision loop, on the leader only, never on its critical path.
        var scheduler = backups?.Invoke(() => state.Current.Observation?.HoldsLease == true, logger, metrics);
        var scheduled = scheduler?.RunAsync(stopping.Token) ?? Task.CompletedTask;
        try
        {
            await loop.RunAsync(stopping.Token);
        }
        finally
        {
            // Runs still in flight are cancelled with the host and journal where they stopped
            // (`regami-dr runbook resume` continues them); a backup in flight is killed and never listed.
            await stopping.CancelAsync();
            try { await scheduled; } catch (Exception e) when (e is not OperationCanceledException) { logger.LogError("backup scheduler: {Error}", e.Message); }
            await runs.DrainAsync(TimeSpan.FromSeconds(30));
            await app.StopAsync(CancellationToken.None);
            await app.DisposeAsync();
        }
    }

    private static void MapEndpoints(WebApplication app, ControllerOptions options, ControllerDependencies deps, ControllerViews views,
        ControllerLoop loop, ControllerState state, ControllerMetrics metrics, BearerToken token, ApiRunbooks runs)
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
        // Runbooks: only the leader starts them; they run in the background on the host's lifetime;
        // 202 with the run id once journaled, GET /api/runs/{id} follows them.
        app.MapPost("/api/failover", (RunbookRequestBody? body, HttpContext http, CancellationToken ct) =>
            StartRunbookAsync(new RunbookAsk(FailoverRunbook.Kind, body?.To, Force: body?.Force == true), http, ct));
        app.MapPost("/api/switchover", (RunbookRequestBody? body, HttpContext http, CancellationToken ct) =>
            StartRunbookAsync(new RunbookAsk(SwitchoverRunbook.Kind, body?.To), http, ct));
        app.MapPost("/api/failback", (RunbookRequestBody? body, HttpContext http, CancellationToken ct) =>
            StartRunbookAsync(new RunbookAsk(FailbackRunbook.Kind, body?.To, Reclone: body?.Reclone == true), http, ct));
        app.MapGet("/api/runs", async (int? limit, CancellationToken ct) =>
            Results.Json((await deps.Journal.ListAsync(Math.Clamp(limit ?? 20, 1, 200), ct)).Select(RunView.From), Json));
        app.MapGet("/api/runs/{id}", async (string id, CancellationToken ct) =>
            await deps.Journal.GetAsync(id, ct) is { } run ? Results.Json(RunView.From(run), Json) : Results.NotFound(new { error = $"no run {id}" }));
        app.MapMetrics("/metrics", metrics.Registry);

        // Refusals that come before a run starts are answered here, synchronously, and audited with
        // the caller; a run that starts is audited by the engine (actor: the caller) step by step.
        async Task<IResult> StartRunbookAsync(RunbookAsk ask, HttpContext http, CancellationToken ct)
        {
            if (!token.Accepts(http.Request.Headers.Authorization)) return Results.Unauthorized();
            var caller = Caller(http);
            string Command(string? to) => $"POST {http.Request.Path} to={to ?? "(default)"}" + ask.Kind switch
            {
                FailoverRunbook.Kind => $" force={(ask.Force ? "true" : "false")}",
                FailbackRunbook.Kind => $" reclone={(ask.Reclone ? "true" : "false")}",
                _ => "",
            };
            async Task<IResult> RefuseAsync(int status, string outcome, object answer, string reason)
            {
                await deps.Audit.AppendAsync(new AuditEntry(deps.Time.GetUtcNow(), caller, Command(ask.To), ask.To, RunbookAuditActions.Run(ask.Kind), outcome, reason), CancellationToken.None);
                return Results.Json(answer, Json, statusCode: status);
            }

            if (runs.Lifetime.IsCancellationRequested)
                return await RefuseAsync(503, "refused", new { error = "the controller is shutting down" }, "the controller is shutting down");
            // The lease as it is now, not as the last tick saw it.
            var (leader, holder) = await loop.LeadershipAsync(ct);
            if (!leader)
            {
                var why = holder is null
                    ? $"this controller ({options.Owner}) is not the leader, and the lease ({deps.Lease.Name}) names none right now; retry shortly"
                    : $"this controller ({options.Owner}) is not the leader; send the request to the leader: {holder}";
                return await RefuseAsync(409, "refused", new { error = why, leader = holder, lease = deps.Lease.Name, self = options.Owner }, why);
            }

            RunbookChoice choice;
            try { choice = await deps.Catalog.ChooseAsync(ask, ct); }
            catch (RunbookRequestException e) { return await RefuseAsync(e.Unsafe ? 409 : 400, "refused", new { error = e.Message }, e.Message); }
            if (choice.Runbook is not { } runbook)
                return await RefuseAsync(200, "nothing-to-do", new { outcome = "nothingToDo", detail = choice.NothingToDo }, choice.NothingToDo!);

            var from = runbook.Parameters.GetValueOrDefault("from");
            var to = runbook.Parameters["to"];
            var command = Command(to);
            var start = await runs.StartAsync($"{runbook.Kind} {from} → {to} requested by {caller}", async (onRunStarted, lifetime) =>
            {
                if (runbook.Kind == FailoverRunbook.Kind)
                    return await loop.FailoverAsync(from!, to, $"requested through the API by {caller}", command, lifetime, ask.Force, caller, onRunStarted);
                var engine = new RunbookEngine(deps.Journal, deps.Audit, deps.RunbookLease, deps.Time, ProcessHostFacts.Current, caller);
                var result = await engine.RunAsync(runbook, command, new RunbookRunOptions { OnRunStarted = onRunStarted }, null, lifetime);
                foreach (var step in result.Steps)
                    metrics.RunbookStepDuration.WithLabels(runbook.Kind, step.Name).Set(step.Duration?.TotalSeconds ?? 0);
                return result;
            });
            return start switch
            {
                RunbookStart.Started s => Results.Accepted(RunLocation(s.RunId), new { runId = s.RunId, kind = runbook.Kind, outcome = RunOutcome.Running, from, to, location = RunLocation(s.RunId) }),
                RunbookStart.Busy b => await RefuseAsync(409, "refused", new { error = b.Reason }, b.Reason),
                RunbookStart.Refused r => await RefuseAsync(r.Unsafe ? 409 : 400, "refused", new { error = r.Reason }, r.Reason),
                RunbookStart.Failed f => await RefuseAsync(500, "failed", new { error = f.Reason }, f.Reason),
                _ => throw new InvalidOperationException(start.ToString()),
            };
        }
    }

    /// <summary>Where a run started through the API is followed.</summary>
    public static string RunLocation(string runId) => $"/api/runs/{Uri.EscapeDataString(runId)}";

    private static string Caller(HttpContext http) => $"api@{http.Connection.RemoteIpAddress}";

    /// <summary>The body of <c>POST /api/failover|switchover|failback</c>; each uses the fields that apply to it.</summary>
    /// <param name="To">The region that should end up primary (default: the standby; for a failback, the home region).</param>
    /// <param name="Force">Failover only: go past the RPO guard.</param>
    /// <param name="Reclone">Failback only: rebuild the old primary with a fresh clone instead of pg_rewind.</param>
    public sealed record RunbookRequestBody(string? To, bool Force = false, bool Reclone = false);
}
