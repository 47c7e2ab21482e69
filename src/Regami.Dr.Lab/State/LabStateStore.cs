namespace Regami.Dr.Lab.State;

/// <summary>
/// Reads and writes <see cref="LabState"/>; one mutating command at a time holds the lab lock
/// (an exclusive lock on <c>lab.lock</c>, released by the kernel if the process dies).
/// </summary>
public sealed class LabStateStore(LabPaths paths, TimeProvider time)
{
    public LabPaths Paths { get; } = paths;

    public LabState? Load()
    {
        try { return LabJson.Read<LabState>(Paths.StateFile); }
        catch (System.Text.Json.JsonException e)
        {
            throw new LabException($"the lab state file {Paths.StateFile} is unreadable ({e.Message}); stop the processes it names by hand or remove it with `regami-dr lab down --purge`");
        }
    }

    public void Save(LabState state)
    {
        state.UpdatedAt = time.GetUtcNow();
        LabJson.WriteAtomically(Paths.StateFile, state);
    }

    public async Task<IDisposable> LockAsync(TimeSpan wait, CancellationToken ct)
    {
        Directory.CreateDirectory(Paths.Root);
        var deadline = time.GetUtcNow() + wait;
        while (true)
        {
            try
            {
                return new FileStream(Paths.LockFile, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException) when (time.GetUtcNow() < deadline)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(100), time, ct);
            }
            catch (IOException)
            {
                throw new LabException($"another regami-dr command holds the lab lock ({Paths.LockFile}); wait for it to finish");
            }
        }
    }
}

/// <summary>A lab operation failed; the message says what state things are in and what to do.</summary>
public class LabException(string message, Exception? inner = null) : Core.Providers.ProviderException(message, inner);
