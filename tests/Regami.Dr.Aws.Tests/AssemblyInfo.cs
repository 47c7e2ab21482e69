// Every AWS CLI call is a Python process (~1 CPU-second); on a two-core machine, test classes
// running side by side would only slow each other down and stretch timeouts. Ports are free ones.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
