using System.Diagnostics;

namespace Regami.Dr.Aws.Tests.Moto;

/// <summary>
/// One moto server per test class (<c>IClassFixture&lt;MotoFixture&gt;</c>). A test that needs
/// the estate calls <see cref="FreshEstateAsync"/>: moto is reset first, so each test starts from
/// a clean estate whatever the previous test did to it. Fails the class with the install line
/// when moto_server or the AWS CLI v2 is missing.
/// </summary>
public sealed class MotoFixture : IAsyncLifetime
{
    private MotoServer? _server;
    private AwsCliRunner? _cli;

    public MotoServer Server => _server ?? throw new InvalidOperationException("moto not started");

    /// <summary>A CLI runner against <see cref="Server"/> for a test's own calls and assertions.</summary>
    public AwsCliRunner Cli => _cli ?? throw new InvalidOperationException("moto not started");

    /// <summary>How long the last <see cref="FreshEstateAsync"/> took (reset + creation).</summary>
    public TimeSpan? LastEstateCreation { get; private set; }

    /// <summary>Resets moto and creates the DR plan's estate (22 CLI calls: tens of seconds on two cores, see <see cref="MotoEstate"/>).</summary>
    public async Task<MotoEstateIds> FreshEstateAsync(CancellationToken ct = default)
    {
        var clock = Stopwatch.StartNew();
        await Server.ResetAsync(ct);
        var estate = await MotoEstate.CreateAsync(Server, ct);
        LastEstateCreation = clock.Elapsed;
        return estate;
    }

    public async Task InitializeAsync()
    {
        AwsCliRunner.FindCli(); // a missing CLI fails the class before moto is started
        _server = await MotoServer.StartAsync();
        _cli = new AwsCliRunner(_server.Endpoint);
    }

    public async Task DisposeAsync()
    {
        if (_server is not null) await _server.DisposeAsync();
    }
}
