//! Allocator tuning for training.
//!
//! Each training step allocates and frees many large tensors. With glibc's
//! defaults, buffers above the mmap threshold are mapped and unmapped on every
//! step and the heap is trimmed back to the OS, which costs tens of thousands
//! of page faults per step. Keeping large buffers in the heap was measured at
//! about 2.3× more MLP GAN steps/s on a 2-core machine (see PERF-NOTES).

/// Set to `default` to keep glibc's allocator settings (for comparisons).
pub const ALLOC_ENV: &str = "LATENT_LAB_MALLOC";

/// Keeps large allocations in the heap instead of mapping and unmapping them
/// each step. Call once at start-up; a no-op on non-glibc targets or when
/// [`ALLOC_ENV`] is `default`.
pub fn tune_allocator() {
    if std::env::var(ALLOC_ENV).is_ok_and(|v| v == "default") {
        return;
    }
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        // SAFETY: mallopt only changes allocator parameters; any value is accepted or rejected.
        unsafe {
            // 32 MiB is glibc's largest allowed mmap threshold on 64-bit targets.
            libc::mallopt(libc::M_MMAP_THRESHOLD, 32 * 1024 * 1024);
            libc::mallopt(libc::M_TRIM_THRESHOLD, 512 * 1024 * 1024);
            libc::mallopt(libc::M_TOP_PAD, 64 * 1024 * 1024);
        }
    }
}
