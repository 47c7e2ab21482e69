namespace Regami.Api;

/// <summary>
/// Ensures the schema at start-up without ever failing start-up: on a read-only replica the
/// migrations are skipped (logged); when the database is unreachable a warning is logged and the
/// app keeps serving (health answers 503, the first write retries the migrations). Start-up waits
/// at most <see cref="StartupWait"/> for the attempt, which then continues in the background.
/// </summary>
internal sealed class SchemaStartupService(RecordsDatabase db, RegamiApiOptions options, ILogger<SchemaStartupService> logger)
    : IHostedService
{
    private static readonly TimeSpan StartupWait = TimeSpan.FromSeconds(3);
    private readonly CancellationTokenSource _stopping = new();
    private Task? _attempt;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        _attempt = Task.Run(() => AttemptAsync(_stopping.Token), CancellationToken.None);
        try
        {
            await _attempt.WaitAsync(StartupWait, cancellationToken);
        }
        catch (TimeoutException)
        {
            logger.LogWarning("Schema set-up did not finish within {Seconds} s; continuing start-up (it keeps trying in the background)",
                StartupWait.TotalSeconds);
        }
    }

    private async Task AttemptAsync(CancellationToken ct)
    {
        try
        {
            var (result, _) = await db.EnsureSchemaAsync(ct);
            if (result == SchemaResult.ReadOnly)
                logger.LogInformation("Region {Region}: database is read-only, migrations skipped; writes answer 503 until it is promoted",
                    options.Region);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }
        catch (Exception ex)
        {
            logger.LogWarning("Region {Region}: database not reachable at start-up, schema not ensured ({Reason}); serving anyway, will retry before the first write",
                options.Region, DbErrors.Reason(ex));
        }
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await _stopping.CancelAsync();
        if (_attempt is not null)
        {
            try { await _attempt.WaitAsync(cancellationToken); }
            catch (Exception) { /* stopping anyway */ }
        }
        _stopping.Dispose();
    }
}
