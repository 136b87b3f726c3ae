//! Giving freed memory back to the system.
//!
//! glibc's allocator keeps memory a thread has freed for that thread's
//! next allocations: the workers' start-up (each registers every route and
//! collects the OpenAPI document on the way) and a million-row import leave
//! tens of megabytes resident that nothing uses. The service trims once
//! its workers are up and after a large import.

/// Returns the allocator's free pages to the system (all threads' arenas).
/// A no-op where the allocator is not glibc's.
pub fn release_freed() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only reads and updates the allocator's own state
    // under its locks; it takes no pointers from us.
    unsafe {
        libc::malloc_trim(0);
    }
}

/// This process's resident memory now and at its peak, in MiB (Linux; None
/// elsewhere), for debug logs of memory-heavy work.
pub fn resident_mib() -> Option<(u64, u64)> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let kb = |field: &str| -> Option<u64> {
        status
            .lines()
            .find_map(|l| l.strip_prefix(field))?
            .trim()
            .trim_end_matches("kB")
            .trim()
            .parse()
            .ok()
    };
    Some((kb("VmRSS:")? / 1024, kb("VmHWM:")? / 1024))
}
