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
