using System.Text.Json;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Yarp.ReverseProxy.Configuration;

namespace Regami.Dr.Lab.LoadBalancing;

/// <summary>Current instances of the region, as last read from the instances file.</summary>
internal sealed class LoadBalancerRuntime(LoadBalancerOptions options)
{
    private readonly object _gate = new();

    /// <summary>Text last applied (null = file missing).</summary>
    public string? AppliedText { get; private set; }

    public IReadOnlyList<LoadBalancerInstance> Instances { get; private set; } = [];

    public void TryReadInitial()
    {
        if (TryReadText(options.InstancesFile, out var text))
        {
            try
            {
                Instances = text is null ? [] : LoadBalancerInstancesFile.Parse(text);
                AppliedText = text;
            }
            catch (JsonException)
            {
                // Leave AppliedText unset: the watcher retries and reports it.
            }
        }
    }

    /// <summary>
    /// Returns the new instance list when the file content changed to a different valid list;
    /// null when unchanged, unreadable or invalid (the previous list stays in force).
    /// </summary>
    public IReadOnlyList<LoadBalancerInstance>? Poll(ILogger logger, ref string? lastInvalidText)
    {
        if (!TryReadText(options.InstancesFile, out var text))
        {
            return null;
        }

        lock (_gate)
        {
            if (text == AppliedText)
            {
                return null;
            }

            IReadOnlyList<LoadBalancerInstance> parsed;
            try
            {
                parsed = text is null ? [] : LoadBalancerInstancesFile.Parse(text);
            }
            catch (JsonException ex)
            {
                if (text != lastInvalidText)
                {
                    lastInvalidText = text;
                    logger.LogWarning("Ignoring invalid instances file {File}: {Message}", options.InstancesFile, ex.Message);
                }

                return null;
            }

            AppliedText = text;
            if (parsed.SequenceEqual(Instances))
            {
                return null;
            }

            Instances = parsed;
            return parsed;
        }
    }

    /// <summary>Reads the file; text is null when it does not exist. False on a transient I/O error.</summary>
    private static bool TryReadText(string path, out string? text)
    {
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            using var reader = new StreamReader(stream);
            text = reader.ReadToEnd();
            return true;
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            text = null;
            return true;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            text = null;
            return false;
        }
    }
}

/// <summary>Polls the instances file every ReloadInterval and pushes changes into YARP.</summary>
internal sealed class InstancesFileWatcher(
    LoadBalancerOptions options,
    LoadBalancerRuntime runtime,
    InMemoryConfigProvider configProvider,
    ILogger<InstancesFileWatcher> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        string? lastInvalidText = null;
        using var timer = new PeriodicTimer(options.ReloadInterval);
        try
        {
            do
            {
                try
                {
                    var instances = runtime.Poll(logger, ref lastInvalidText);
                    if (instances is not null)
                    {
                        var (routes, clusters) = RegionalLoadBalancer.CreateProxyConfig(options, instances);
                        configProvider.Update(routes, clusters);
                        logger.LogInformation("Region {Region}: {Count} instance(s): {Ids}",
                            options.Region, instances.Count, string.Join(", ", instances.Select(i => i.Id)));
                    }
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    logger.LogWarning(ex, "Reloading instances file {File} failed", options.InstancesFile);
                }
            }
            while (await timer.WaitForNextTickAsync(stoppingToken));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }
}
