using System.Globalization;
using System.Text.Json;
using Npgsql;

namespace Regami.Api;

internal static class RecordsEndpoints
{
    /// <summary>Hard upper bound for /health?check=db, whatever Npgsql does with a hung server.</summary>
    private static readonly TimeSpan HealthDeadline = TimeSpan.FromMilliseconds(900);
    private static readonly TimeSpan HealthHardLimit = TimeSpan.FromMilliseconds(950);
    /// <summary>Safety net for request traffic on top of Timeout/Command Timeout.</summary>
    private static readonly TimeSpan RequestDeadline = TimeSpan.FromSeconds(8);

    /// <summary>md5 of the empty string: checksum of an empty (or not yet created) table.</summary>
    internal const string EmptyChecksum = "d41d8cd98f00b204e9800998ecf8427e";

    public static void Map(WebApplication app)
    {
        app.MapGet("/health", HealthAsync);
        app.MapPost("/api/records", CreateAsync);
        app.MapGet("/api/records/stats", StatsAsync);
        app.MapGet("/api/records/{seq:long}", GetAsync);
    }

    internal static string FormatTimestamp(DateTime value) =>
        (value.Kind == DateTimeKind.Local ? value.ToUniversalTime() : value)
            .ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", CultureInfo.InvariantCulture);

    // ---------------------------------------------------------------- /health

    private static async Task<IResult> HealthAsync(HttpContext ctx, RegamiApiOptions options, RecordsDatabase db,
        HealthState healthState, ILoggerFactory loggerFactory)
    {
        string? check = ctx.Request.Query["check"];
        if (string.IsNullOrEmpty(check))
        {
            return Results.Json(new
            {
                status = "up",
                region = options.Region,
                instance = options.InstanceId,
                startedAt = FormatTimestamp(healthState.StartedAt.UtcDateTime),
                uptimeSeconds = Math.Round((DateTimeOffset.UtcNow - healthState.StartedAt).TotalSeconds, 1),
            });
        }
        if (!string.Equals(check, "db", StringComparison.OrdinalIgnoreCase))
            return Results.Json(new { error = "unknown check", reason = $"check '{check}' is not supported (use check=db)", region = options.Region },
                statusCode: StatusCodes.Status400BadRequest);

        var logger = loggerFactory.CreateLogger("Regami.Api.Health");
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(ctx.RequestAborted);
        cts.CancelAfter(HealthDeadline);
        var probe = ProbeAsync(db.HealthDataSource, cts.Token);
        string role;
        string? reason;
        try
        {
            var state = await probe.WaitAsync(HealthHardLimit, ctx.RequestAborted);
            role = state.RoleName;
            reason = state.Reason;
        }
        catch (Exception ex) when (!ctx.RequestAborted.IsCancellationRequested)
        {
            // Observe a probe abandoned by WaitAsync so it never becomes an unobserved task exception.
            _ = probe.ContinueWith(static t => _ = t.Exception, TaskScheduler.Default);
            role = "unreachable";
            reason = ex is TimeoutException && !probe.IsCompleted
                ? $"database did not answer within {HealthHardLimit.TotalMilliseconds:0} ms"
                : DbErrors.IsTimeout(ex) ? $"database did not answer within {HealthDeadline.TotalMilliseconds:0} ms ({DbErrors.Reason(ex)})"
                : DbErrors.Reason(ex);
        }

        var healthy = role == "primary";
        healthState.Report(healthy, role, reason, logger);
        return Results.Json(new
        {
            status = healthy ? "healthy" : "unhealthy",
            region = options.Region,
            instance = options.InstanceId,
            database = new { role },
            reason = healthy ? "database is a writable primary" : reason,
        }, statusCode: healthy ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable);
    }

    private static async Task<DatabaseState> ProbeAsync(NpgsqlDataSource dataSource, CancellationToken ct)
    {
        await using var conn = await dataSource.OpenConnectionAsync(ct);
        return await RecordsDatabase.QueryStateAsync(conn, ct);
    }

    // ---------------------------------------------------------------- POST /api/records

    private static async Task<IResult> CreateAsync(HttpContext ctx, RegamiApiOptions options, RecordsDatabase db, ILoggerFactory loggerFactory)
    {
        var logger = loggerFactory.CreateLogger("Regami.Api.Records");
        var (seq, payload, error) = await ParseBodyAsync(ctx.Request, ctx.RequestAborted);
        if (error is not null)
            return Results.Json(new { error = "invalid body", reason = error, region = options.Region }, statusCode: StatusCodes.Status400BadRequest);

        using var cts = CancellationTokenSource.CreateLinkedTokenSource(ctx.RequestAborted);
        cts.CancelAfter(RequestDeadline);
        var ct = cts.Token;

        for (var attempt = 1; ; attempt++)
        {
            var commitSent = false;
            var opened = false;
            try
            {
                if (!db.SchemaEnsured)
                {
                    var (result, why) = await db.EnsureSchemaAsync(ct);
                    if (result == SchemaResult.ReadOnly)
                        return Unavailable(options, "database is read-only", why ?? "read-only", null);
                }

                await using var conn = await db.DataSource.OpenConnectionAsync(ct);
                opened = true;
                await using var tx = await conn.BeginTransactionAsync(ct);
                long id;
                DateTime committedAt;
                await using (var cmd = new NpgsqlCommand(
                                 "INSERT INTO records (seq, payload, region) VALUES (@seq, @payload, @region) " +
                                 "RETURNING id, committed_at", conn, tx))
                {
                    cmd.Parameters.AddWithValue("seq", seq);
                    cmd.Parameters.AddWithValue("payload", payload!);
                    cmd.Parameters.AddWithValue("region", options.Region);
                    await using var reader = await cmd.ExecuteReaderAsync(ct);
                    await reader.ReadAsync(ct);
                    id = reader.GetInt64(0);
                    committedAt = reader.GetDateTime(1);
                }
                commitSent = true;
                await tx.CommitAsync(ct);
                return Results.Json(new { id, seq, region = options.Region, committedAt = FormatTimestamp(committedAt) },
                    statusCode: StatusCodes.Status201Created);
            }
            catch (Exception ex) when (!ctx.RequestAborted.IsCancellationRequested)
            {
                var kind = DbErrors.Classify(ex);
                var connectionLevel = DbErrors.IsConnectionLevel(ex);
                if (connectionLevel) db.ClearPool();

                if (kind == DbFailureKind.MissingSchema && attempt == 1)
                {
                    logger.LogWarning("Table missing on insert ({Reason}); re-running migrations", DbErrors.Reason(ex));
                    db.InvalidateSchema();
                    continue;
                }
                // A pooled connection that went stale (server restarted: 57P01, broken socket) opens fine and
                // fails fast on first use. The transaction is explicit, so a failure before COMMIT was sent
                // cannot have committed: retry once on a fresh connection. Never retry when the open itself
                // failed (database down), after a timeout (hung server) or after COMMIT was sent.
                if (connectionLevel && opened && !commitSent && !DbErrors.IsTimeout(ex) && attempt == 1)
                {
                    logger.LogInformation("Insert seq={Seq} failed on a stale connection ({Reason}); retrying once", seq, DbErrors.Reason(ex));
                    continue;
                }

                switch (kind)
                {
                    case DbFailureKind.Duplicate:
                        return Results.Json(new { error = "duplicate seq", reason = DbErrors.Reason(ex), region = options.Region, seq },
                            statusCode: StatusCodes.Status409Conflict);
                    case DbFailureKind.BadInput:
                        return Results.Json(new { error = "invalid value", reason = DbErrors.Reason(ex), region = options.Region },
                            statusCode: StatusCodes.Status400BadRequest);
                }
                var errorText = ErrorText(kind, commitSent);
                if (kind == DbFailureKind.Other)
                    logger.LogError(ex, "Insert seq={Seq} failed unexpectedly", seq);
                else
                    logger.LogWarning("Insert seq={Seq} failed: {Error}: {Reason}", seq, errorText, DbErrors.Reason(ex));
                return Unavailable(options, errorText, DbErrors.Reason(ex), DbErrors.SqlState(ex));
            }
        }
    }

    private static string ErrorText(DbFailureKind kind, bool commitSent) => kind switch
    {
        DbFailureKind.ReadOnly => "database is read-only",
        DbFailureKind.ShuttingDown => "database is shutting down",
        DbFailureKind.MissingSchema => "schema not available",
        _ when commitSent => "database unavailable during commit (outcome unknown)",
        DbFailureKind.Unavailable => "database unavailable",
        _ => "database error",
    };

    private static IResult Unavailable(RegamiApiOptions options, string error, string reason, string? sqlState) =>
        Results.Json(new { error, reason, region = options.Region, sqlState }, statusCode: StatusCodes.Status503ServiceUnavailable);

    internal static async Task<(long Seq, string? Payload, string? Error)> ParseBodyAsync(HttpRequest request, CancellationToken ct)
    {
        JsonDocument doc;
        try
        {
            doc = await JsonDocument.ParseAsync(request.Body, default, ct);
        }
        catch (JsonException ex)
        {
            return (0, null, "body is not valid JSON: " + ex.Message);
        }
        using (doc)
        {
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
                return (0, null, "body must be a JSON object { \"seq\": long, \"payload\": string }");
            if (!TryGetProperty(root, "seq", out var seqEl) || seqEl.ValueKind != JsonValueKind.Number || !seqEl.TryGetInt64(out var seq))
                return (0, null, "'seq' is required and must be an integer (64-bit)");
            if (!TryGetProperty(root, "payload", out var payloadEl) || payloadEl.ValueKind != JsonValueKind.String)
                return (0, null, "'payload' is required and must be a string");
            var payload = payloadEl.GetString()!;
            if (payload.Contains('\0'))
                return (0, null, "'payload' must not contain NUL characters");
            return (seq, payload, null);
        }
    }

    private static bool TryGetProperty(JsonElement obj, string name, out JsonElement value)
    {
        foreach (var p in obj.EnumerateObject())
        {
            if (string.Equals(p.Name, name, StringComparison.OrdinalIgnoreCase))
            {
                value = p.Value;
                return true;
            }
        }
        value = default;
        return false;
    }

    // ---------------------------------------------------------------- reads (work on a replica too)

    private static Task<IResult> StatsAsync(HttpContext ctx, RegamiApiOptions options, RecordsDatabase db, ILoggerFactory loggerFactory) =>
        ReadAsync(ctx, options, db, loggerFactory, "stats", async (conn, ct) =>
        {
            await using var cmd = new NpgsqlCommand(
                "SELECT count(*), max(seq), md5(coalesce(string_agg(seq::text || ':' || payload, ',' ORDER BY seq), '')) FROM records",
                conn);
            await using var reader = await cmd.ExecuteReaderAsync(ct);
            await reader.ReadAsync(ct);
            var count = reader.GetInt64(0);
            long? maxSeq = reader.IsDBNull(1) ? null : reader.GetInt64(1);
            var checksum = reader.GetString(2);
            return Results.Json(new { count, maxSeq, checksum, region = options.Region });
        },
        missingTable: () => Results.Json(new { count = 0L, maxSeq = (long?)null, checksum = EmptyChecksum, region = options.Region }));

    private static Task<IResult> GetAsync(long seq, HttpContext ctx, RegamiApiOptions options, RecordsDatabase db, ILoggerFactory loggerFactory) =>
        ReadAsync(ctx, options, db, loggerFactory, "get", async (conn, ct) =>
        {
            await using var cmd = new NpgsqlCommand(
                "SELECT id, seq, payload, region, committed_at FROM records WHERE seq = @seq", conn);
            cmd.Parameters.AddWithValue("seq", seq);
            await using var reader = await cmd.ExecuteReaderAsync(ct);
            if (!await reader.ReadAsync(ct))
                return NotFound(options, seq);
            return Results.Json(new
            {
                id = reader.GetInt64(0),
                seq = reader.GetInt64(1),
                payload = reader.GetString(2),
                region = reader.GetString(3),
                committedAt = FormatTimestamp(reader.GetDateTime(4)),
            });
        },
        missingTable: () => NotFound(options, seq));

    private static IResult NotFound(RegamiApiOptions options, long seq) =>
        Results.Json(new { error = "not found", reason = $"no record with seq {seq}", region = options.Region }, statusCode: StatusCodes.Status404NotFound);

    /// <summary>Read-only query with one retry on a stale pooled connection (reads are idempotent).</summary>
    private static async Task<IResult> ReadAsync(HttpContext ctx, RegamiApiOptions options, RecordsDatabase db, ILoggerFactory loggerFactory,
        string what, Func<NpgsqlConnection, CancellationToken, Task<IResult>> query, Func<IResult> missingTable)
    {
        var logger = loggerFactory.CreateLogger("Regami.Api.Records");
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(ctx.RequestAborted);
        cts.CancelAfter(RequestDeadline);
        for (var attempt = 1; ; attempt++)
        {
            var opened = false;
            try
            {
                await using var conn = await db.DataSource.OpenConnectionAsync(cts.Token);
                opened = true;
                return await query(conn, cts.Token);
            }
            catch (Exception ex) when (!ctx.RequestAborted.IsCancellationRequested)
            {
                var kind = DbErrors.Classify(ex);
                var connectionLevel = DbErrors.IsConnectionLevel(ex);
                if (connectionLevel) db.ClearPool();
                if (kind == DbFailureKind.MissingSchema)
                {
                    db.InvalidateSchema();
                    return missingTable();
                }
                if (connectionLevel && opened && !DbErrors.IsTimeout(ex) && attempt == 1)
                    continue; // stale pooled connection: reads are idempotent, retry once on a fresh one
                if (kind == DbFailureKind.Other)
                    logger.LogError(ex, "Read ({What}) failed unexpectedly", what);
                else
                    logger.LogWarning("Read ({What}) failed: {Reason}", what, DbErrors.Reason(ex));
                return Unavailable(options, ErrorText(kind, false), DbErrors.Reason(ex), DbErrors.SqlState(ex));
            }
        }
    }
}

/// <summary>Process-level facts for /health and transition logging (avoids one log line per probe).</summary>
internal sealed class HealthState
{
    private readonly object _gate = new();
    private string? _lastRole;

    public DateTimeOffset StartedAt { get; } = DateTimeOffset.UtcNow;

    public void Report(bool healthy, string role, string? reason, ILogger logger)
    {
        lock (_gate)
        {
            if (_lastRole == role) return;
            var previous = _lastRole;
            _lastRole = role;
            if (healthy)
                logger.LogInformation("Database health: {Role} (was {Previous})", role, previous ?? "unknown");
            else
                logger.LogWarning("Database health: {Role} (was {Previous}): {Reason}", role, previous ?? "unknown", reason);
        }
    }
}
