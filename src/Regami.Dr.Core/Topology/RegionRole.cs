namespace Regami.Dr.Core.Topology;

/// <summary>What a region is doing for the system right now.</summary>
public enum RegionRole
{
    /// <summary>Its database accepts writes.</summary>
    Primary,
    /// <summary>Its database replays the primary's WAL and serves reads.</summary>
    Standby,
    /// <summary>Deliberately kept from serving writes (after a failover away from it).</summary>
    Fenced,
    /// <summary>Its database is not running or not reachable.</summary>
    Down,
    Unknown,
}

/// <summary>The replication guarantee between primary and standby.</summary>
public enum ReplicationMode
{
    /// <summary>Commits are acknowledged before the standby has them (may lose the last writes on failover).</summary>
    Async,
    /// <summary>Commits are acknowledged only once the standby has flushed them.</summary>
    Sync,
}
