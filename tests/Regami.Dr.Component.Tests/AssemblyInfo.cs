// These tests run real renewals, health checks and write loops against the system clock on a
// two-core machine; running several at once would starve them. Ports are free ones, not fixed.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
