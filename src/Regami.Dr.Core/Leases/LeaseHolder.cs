namespace Regami.Dr.Core.Leases;

/// <summary>Who holds the controller lease, since when, and until when it holds it without renewing.</summary>
/// <param name="Owner">The text the holder acquired it with, e.g. <c>controller@eu-central-1 pid 123</c>.</param>
/// <param name="AcquiredAt">When the holder took it (the holder's clock), <see cref="DateTimeOffset.MinValue"/> when unknown.</param>
/// <param name="ExpiresAt">When it lapses unless renewed, <see cref="DateTimeOffset.MaxValue"/> when it never lapses on its own.</param>
public sealed record LeaseHolder(string Owner, DateTimeOffset AcquiredAt, DateTimeOffset ExpiresAt)
{
    /// <summary>True once <paramref name="now"/> is at or past <see cref="ExpiresAt"/>.</summary>
    public bool HasExpired(DateTimeOffset now) => now >= ExpiresAt;
}
