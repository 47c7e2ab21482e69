// Labs bind fixed loopback ports and the machine has two cores: one test at a time.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
