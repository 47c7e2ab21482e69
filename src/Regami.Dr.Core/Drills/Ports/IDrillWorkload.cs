namespace Regami.Dr.Core.Drills;

/// <summary>
/// A client writing sequence-numbered records through the public name and recording every outcome
/// (lab: <c>PublicNameWorkload</c>).
/// </summary>
public interface IDrillWorkload
{
    WorkloadProgress Progress { get; }

    /// <summary>Every finished write so far, by seq.</summary>
    IReadOnlyList<WriteAttempt> Attempts();

    /// <summary>Writes until <paramref name="stop"/> is cancelled, then waits for the writes in flight and completes normally.</summary>
    Task RunAsync(CancellationToken stop);
}

/// <summary>Creates the drill's workload.</summary>
public interface IDrillWorkloadFactory
{
    /// <summary>The public name the workload writes through, for the drill's output.</summary>
    string PublicName { get; }

    IDrillWorkload Create(double ratePerSecond, long firstSeq);
}
