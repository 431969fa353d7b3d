//! Allocator tuning for training.
//!
//! Each training step allocates and frees many large tensors. With glibc's
//! defaults, buffers above the mmap threshold are mapped and unmapped on every
//! step and the heap is trimmed back to the OS, which costs tens of thousands
//! of page faults per step. Keeping large buffers in the heap was measured at
//! about 2.3× more MLP GAN steps/s on a 2-core machine (see PERF-NOTES).

/// Keeps large allocations in the heap instead of mapping and unmapping them
/// each step. Call once at start-up; a no-op on non-glibc targets.
pub fn tune_allocator() {
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
