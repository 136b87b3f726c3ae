//! The allocator, and giving freed memory back to the system.
//!
//! mimalloc serves the service's allocations: its per-thread heaps take
//! back memory freed by another thread without a lock, where glibc's
//! arenas serialise on one (an import's reader thread allocates the
//! strings its checker thread frees). It purges freed pages after a short
//! delay ([`configure`]), so resident memory follows use as with glibc.
//!
//! The workers' start-up (each registers every route and collects the
//! OpenAPI document on the way) and a million-row import leave tens of
//! megabytes freed: the service hands them back once its workers are up
//! and after a large import ([`release_freed`]).

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// `mi_option_purge_delay` (mimalloc's `mi_option_e`, the same in v2 and
/// v3; the Rust bindings name no constant for it).
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

/// Sets the allocator up before the service starts: freed pages are given
/// back to the system after [`PURGE_DELAY_MS`] instead of mimalloc's
/// default second, unless `MIMALLOC_PURGE_DELAY` says otherwise.
pub fn configure() {
    if std::env::var_os("MIMALLOC_PURGE_DELAY").is_none() {
        // SAFETY: sets one of mimalloc's own option values; no pointers.
        unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, PURGE_DELAY_MS) }
    }
}

/// How long freed pages stay with the allocator before they go back to the
/// system. Not 0: a read that frees its pages at once faults them in again,
/// zeroed by the kernel, on the next request (a quarter of the CPU time of
/// a kommun view went to that). Long enough for back-to-back requests to
/// reuse them, short enough that memory follows use; a large import ends
/// with [`release_freed`] anyway.
const PURGE_DELAY_MS: std::ffi::c_long = 100;

/// Returns the allocators' free pages to the system: mimalloc's of this
/// thread and those abandoned by ended threads, and glibc's (used by the
/// C libraries) where it is the system's.
pub fn release_freed() {
    // SAFETY: mi_collect only walks mimalloc's own heaps; no pointers.
    unsafe { libmimalloc_sys::mi_collect(true) }
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
    Some((
        status_kb("self", "VmRSS:")? / 1024,
        status_kb("self", "VmHWM:")? / 1024,
    ))
}

/// A field in kB of `/proc/<process>/status` (`process` a pid or `self`;
/// Linux).
pub fn status_kb(process: &str, field: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{process}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix(field))?
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()
}
