namespace Regami.Dr.Core.Drills;

/// <summary>What a user would try first after a recovery, through the public name: health, a write, a read back.</summary>
public interface IPublicNameSmokeTests
{
    /// <summary>One check per try, in order; a name that does not answer at all is one failed check.</summary>
    Task<IReadOnlyList<DrillCheck>> RunAsync(CancellationToken ct);
}
