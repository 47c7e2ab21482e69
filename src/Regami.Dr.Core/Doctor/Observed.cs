namespace Regami.Dr.Core.Doctor;

/// <summary>
/// A fact a provider was asked for: its value, the error that kept it from being read, or why it
/// does not apply to this environment. Rules turn an error into <see cref="RuleStatus.Unknown"/>
/// (with the error) and "not applicable" into <see cref="RuleStatus.Skip"/>, so a provider out of
/// reach can never produce a pass.
/// </summary>
public sealed record Observed<T>
{
    private Observed(T? value, string? error, string? notApplicable) => (Value, Error, NotApplicable) = (value, error, notApplicable);

    public T? Value { get; }

    /// <summary>Why the fact could not be read (the provider's own words).</summary>
    public string? Error { get; }

    /// <summary>Why the fact does not apply here.</summary>
    public string? NotApplicable { get; }

    public static Observed<T> Of(T value) => new(value, null, null);

    public static Observed<T> Failed(string error) => new(default, error, null);

    public static Observed<T> Inapplicable(string reason) => new(default, null, reason);
}

public static class Observe
{
    /// <summary>Reads one fact; any failure but the caller's cancellation becomes <see cref="Observed{T}.Failed"/> with its message.</summary>
    public static async Task<Observed<T>> TryAsync<T>(Func<CancellationToken, Task<T>> read, CancellationToken ct)
    {
        try
        {
            return Observed<T>.Of(await read(ct));
        }
        catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            return Observed<T>.Failed(e is OperationCanceledException ? "no answer in time" : e.Message);
        }
    }
}
