using Microsoft.Extensions.Configuration.Memory;

namespace Regami.Api;

/// <summary>
/// Entry points of the Regami sample workload (the protected app of the DR lab). The Regami DR CLI
/// references this project and hosts it in-process; <c>Program.cs</c> uses <see cref="Run"/>.
/// Configuration: <c>Regami:Region</c> and <c>Regami:ConnectionString</c> (required),
/// <c>Regami:InstanceId</c> (optional), <c>--urls</c>; command line and <c>Regami__*</c> env vars work.
/// </summary>
public static class RegamiApiApp
{
    /// <summary>Standalone entry: blocks until shutdown. Configuration errors print a message and set exit code 2.</summary>
    public static void Run(string[] args)
    {
        try
        {
            RunAsync(args).GetAwaiter().GetResult();
        }
        catch (RegamiApiConfigurationException ex)
        {
            Console.Error.WriteLine($"regami-api: error: {ex.Message}");
            Environment.ExitCode = 2;
        }
    }

    /// <summary>Builds and runs the app until the token is cancelled or the host stops (SIGTERM/SIGINT).</summary>
    /// <exception cref="RegamiApiConfigurationException">required configuration missing or invalid.</exception>
    public static async Task RunAsync(string[] args, CancellationToken cancellationToken = default)
    {
        var app = Build(args);
        // IHost.RunAsync: start, wait for the token or StopApplication, stop, dispose.
        await HostingAbstractionsHostExtensions.RunAsync(app, cancellationToken);
    }

    /// <summary>Builds (does not start) the WebApplication, for tests. Does not touch the database.</summary>
    /// <exception cref="RegamiApiConfigurationException">required configuration missing or invalid.</exception>
    public static WebApplication Build(string[] args)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions
        {
            Args = args,
            ApplicationName = typeof(RegamiApiApp).Assembly.GetName().Name,
        });

        // Defaults first, so appsettings / env vars / command line can override them.
        builder.Configuration.Sources.Insert(0, new MemoryConfigurationSource
        {
            InitialData = new Dictionary<string, string?>
            {
                ["Logging:LogLevel:Default"] = "Information",
                ["Logging:LogLevel:Microsoft"] = "Warning",
                ["Logging:LogLevel:Microsoft.AspNetCore"] = "Warning",
                ["Logging:LogLevel:Microsoft.Hosting.Lifetime"] = "Warning",
                ["Logging:LogLevel:Npgsql"] = "Warning",
                // Single-line console output (structured message templates); JSON with Logging:Console:FormatterName=json.
                ["Logging:Console:FormatterName"] = "simple",
                ["Logging:Console:FormatterOptions:SingleLine"] = "true",
                ["Logging:Console:FormatterOptions:TimestampFormat"] = "HH:mm:ss.fff ",
                ["Logging:Console:FormatterOptions:UseUtcTimestamp"] = "true",
            },
        });

        var options = RegamiApiOptions.FromConfiguration(builder.Configuration);

        builder.Logging.ClearProviders();
        builder.Logging.AddConsole();

        builder.Services.AddSingleton(options);
        builder.Services.AddSingleton<RecordsDatabase>();
        builder.Services.AddSingleton(new HealthState()); // created now: StartedAt = build time
        builder.Services.AddHostedService<SchemaStartupService>();

        var app = builder.Build();
        RecordsEndpoints.Map(app);

        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Regami.Api");
        app.Lifetime.ApplicationStarted.Register(() =>
            logger.LogInformation("Regami.Api started: region={Region} instance={Instance} urls={Urls}",
                options.Region, options.InstanceId, string.Join(",", app.Urls)));
        app.Lifetime.ApplicationStopping.Register(() =>
            logger.LogInformation("Regami.Api stopping: region={Region} instance={Instance}", options.Region, options.InstanceId));
        return app;
    }
}
