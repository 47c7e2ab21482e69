namespace Regami.Dr.Core.Polling;

/// <summary>
/// A task we stopped waiting for because its answer came too late to matter (a hung server: some
/// drivers only give up at their own timeout, whatever the cancellation token says). Cancel its
/// token first; it is then left to end on its own, and its failure is observed, never an
/// unobserved-task exception. (Disposing the cancelled source meanwhile is safe: a cancelled
/// token stays cancelled and runs late registrations at once.)
/// </summary>
public static class Abandoned
{
    public static void Leave(Task task)
    {
        ArgumentNullException.ThrowIfNull(task);
        task.ContinueWith(static t => _ = t.Exception, CancellationToken.None,
            TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }
}
