namespace ImageCore.Execution.Rehearsal;

/// <summary>
/// One memory-heavy quantum the contention sweep runs on pinned workers, again and again, from inputs made once and
/// held in memory or the page cache. <see cref="Run"/> is called from several worker threads at once: inputs are shared
/// read-only, every call allocates (and first-touches) its own outputs and frees them before returning.
/// </summary>
internal interface IContentionWorkload : IDisposable
{
    /// <summary>Short name: <c>isr</c>, <c>characterize</c>, <c>warp</c>, <c>coadd</c>, <c>stream</c>.</summary>
    string Name { get; }

    /// <summary>What one quantum does, with its sizes.</summary>
    string Description { get; }

    /// <summary>Bytes one quantum's kernels read and write in main memory, counted from the planes they touch (each
    /// read or written plane once; re-reads that the caches absorb are not counted).</summary>
    long BytesPerQuantum { get; }

    /// <summary>Bytes one quantum keeps live while it runs (its inputs' and outputs' planes).</summary>
    long WorkingSetBytes { get; }

    /// <summary>Runs one quantum on the calling thread.</summary>
    void Run();
}
