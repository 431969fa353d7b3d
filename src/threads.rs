//! Where tensor work runs besides the caller: private rayon pools for background threads
//! (the trainer, the explorer's jobs) at lower priority, and for command-line work at normal
//! priority. Low in the module tree, so that the latent tools and the worker both use it
//! without one reaching up into the other.

/// A private rayon pool of `threads` named threads for a background thread's tensor
/// work (`pool.install(..)`), so it never queues behind — or holds up — the work of
/// other threads on rayon's global pool. `None` if the pool cannot be built (the
/// caller then runs on the global pool).
pub fn compute_pool(name: &str, threads: usize) -> Option<rayon::ThreadPool> {
    pool(name, threads, true)
}

/// A rayon pool like [`compute_pool`] at normal priority, for command-line work that has the
/// machine to itself (`latent-lab train`, `bench`): its caller runs inside it (`install`), so
/// the fused kernels split work between the caller and the pool's other threads.
pub fn foreground_pool(name: &str, threads: usize) -> Option<rayon::ThreadPool> {
    pool(name, threads, false)
}

fn pool(name: &str, threads: usize, background: bool) -> Option<rayon::ThreadPool> {
    let name = name.to_string();
    let builder = rayon::ThreadPoolBuilder::new()
        .num_threads(threads.max(1))
        .thread_name(move |i| format!("{name}-{i}"));
    let builder = if background {
        builder.start_handler(|_| lower_this_threads_priority())
    } else {
        builder
    };
    builder.build().ok()
}

/// Background work yields the CPU to the window: lowers the calling thread's scheduling
/// priority (Linux: the thread's nice value, +10). Where that is not possible it does
/// nothing; the work still runs, only the window may stutter under load.
pub fn lower_this_threads_priority() {
    #[cfg(target_os = "linux")]
    // SAFETY: setpriority on the calling thread (who = 0) only changes its nice value.
    unsafe {
        let _ = libc::setpriority(libc::PRIO_PROCESS, 0, 10);
    }
}
