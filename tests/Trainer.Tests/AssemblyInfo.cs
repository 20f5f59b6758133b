// Training sets libtorch's process-wide thread count and seed; the tests run one at a time.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
