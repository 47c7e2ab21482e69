namespace Regami.Dr.Core.Runbooks;

/// <summary>Step progress reported on the engine's thread, in order (<see cref="Progress{T}"/> would post to the pool and reorder).</summary>
public sealed class SyncProgress(Action<StepProgress> report) : IProgress<StepProgress>
{
    public void Report(StepProgress value) => report(value);
}
