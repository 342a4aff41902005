#if canImport(Glibc)
import CMalloc
#endif

/// Large messages (images, audio, video) are allocated and freed at a high rate. By default
/// glibc hands a block over its mmap threshold back to the kernel when it is freed, and trims
/// the top of the heap; every new block then page-faults its memory in again, which took 25–40%
/// of the server's CPU with several 1–5 MiB requests in flight (docs/BENCHMARKS.md). Blocks up
/// to the largest frame (64 MiB) stay in the heap for reuse instead: the process keeps its
/// high-water mark of memory. glibc's own settings (MALLOC_MMAP_THRESHOLD_,
/// MALLOC_TRIM_THRESHOLD_, GLIBC_TUNABLES) win when set.
enum MallocTuning {
    static func keepLargeBlocks(environment: [String: String]) {
        #if canImport(Glibc)
        let ownSettings = ["MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_", "GLIBC_TUNABLES"]
        guard ownSettings.allSatisfy({ environment[$0] == nil }) else { return }
        _ = mallopt(M_MMAP_THRESHOLD, 64 << 20)
        _ = mallopt(M_TRIM_THRESHOLD, 256 << 20)
        #endif
    }
}
