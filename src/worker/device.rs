//! How many threads candle may use on the CPU (the device itself is chosen in
//! [`crate::device`]).
//!
//! candle's CPU matmul (the `gemm` crate) and its convolutions read the thread
//! count from `RAYON_NUM_THREADS`. Left alone they take every core, and under
//! contention with the UI two threads collapse (see PERF-NOTES): the trainer must
//! leave a core to the window. [`configure_trainer_threads`] sets that variable
//! once, at start-up, to the number [`trainer_threads`] chooses.
//!
//! candle's CPU convolutions run on rayon's pools: the trainer (and any other
//! background thread doing tensor work) runs inside a [`compute_pool`] of its own,
//! which leaves the global pool to the window's own small decodes.

/// The environment variable candle (and rayon) read for their thread count.
pub const THREADS_ENV: &str = "RAYON_NUM_THREADS";

/// Threads the trainer should use on the CPU: `RAYON_NUM_THREADS` if set, otherwise
/// one less than the available cores (at least one), so the UI keeps a core.
pub fn trainer_threads() -> usize {
    if let Some(n) = std::env::var(THREADS_ENV)
        .ok()
        .and_then(|s| s.trim().parse::<usize>().ok())
        .filter(|&n| n > 0)
    {
        return n;
    }
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    cores.saturating_sub(1).max(1)
}

/// Fixes candle's CPU thread count to [`trainer_threads`] (or `threads` if given)
/// unless the user has already set `RAYON_NUM_THREADS`, and keeps candle's own elementwise
/// ops on the calling thread ([`keep_candle_ops_on_the_calling_thread`]). Returns the count
/// in force.
///
/// Call it at start-up, before any other thread runs (changing the environment
/// while another thread reads it is undefined behaviour) and before candle's
/// thread pools exist.
pub fn configure_trainer_threads(threads: Option<usize>) -> usize {
    keep_candle_ops_on_the_calling_thread();
    if std::env::var_os(THREADS_ENV).is_some() {
        return trainer_threads();
    }
    let n = threads.filter(|&n| n > 0).unwrap_or_else(trainer_threads);
    // SAFETY: documented precondition — called at start-up while this is the only
    // thread of the program, so nothing reads the environment concurrently.
    unsafe { std::env::set_var(THREADS_ENV, n.to_string()) };
    n
}

/// The environment variable for the thread count of candle's own elementwise CPU ops.
pub const CANDLE_THREADS_ENV: &str = "CANDLE_NUM_THREADS";

/// Runs candle's own elementwise CPU ops (gradient sums in `backward`, small tensor
/// arithmetic) on the calling thread, unless the user has set `CANDLE_NUM_THREADS`: what the
/// window does (the command line spreads them instead, [`share_candle_ops_across`]).
///
/// candle 0.11 runs them on a pool of its own whose workers spin for a while after each
/// op, waiting for the next. Every heavy kernel of a training step is a fused op here that
/// runs on the trainer's rayon pool, so on two cores that spinning worker only took a core
/// from it: 10 % of the CPU time of an MLP GAN step, and 73 → 81–87 steps/s without it.
///
/// Same precondition as [`configure_trainer_threads`]: call it at start-up.
pub fn keep_candle_ops_on_the_calling_thread() {
    if std::env::var_os(CANDLE_THREADS_ENV).is_none() {
        // SAFETY: documented precondition — start-up, single-threaded.
        unsafe { std::env::set_var(CANDLE_THREADS_ENV, "1") };
    }
}

/// The environment variable for how long candle's pool workers spin before they sleep.
pub const CANDLE_SPIN_ENV: &str = "CANDLE_BARRIER_POOL_SPIN_LIMIT";

/// For the command line, where no window shares the process: candle's own elementwise ops
/// (the gradient sums of its backward pass above all) split over `threads`, with candle's
/// pool workers spinning only 500 rounds after each op before they sleep, unless the user has
/// set `CANDLE_NUM_THREADS` or `CANDLE_BARRIER_POOL_SPIN_LIMIT`.
///
/// With candle's default spin (25 000 rounds) its idle worker took the trainer's second core
/// ([`keep_candle_ops_on_the_calling_thread`]); spinning briefly, the pool sums gradients on
/// both cores: 2–5 % more steps/s on two threads (`bench/README.md`). The window keeps them on
/// the calling thread: its UI thread's own small candle ops would wait on the pool's lock while
/// the trainer holds it.
///
/// Same precondition as [`configure_trainer_threads`]: call it at start-up.
pub fn share_candle_ops_across(threads: usize) {
    if std::env::var_os(CANDLE_THREADS_ENV).is_some() {
        return;
    }
    // SAFETY: documented precondition — start-up, single-threaded.
    unsafe {
        std::env::set_var(CANDLE_THREADS_ENV, threads.max(1).to_string());
        if std::env::var_os(CANDLE_SPIN_ENV).is_none() {
            std::env::set_var(CANDLE_SPIN_ENV, "500");
        }
    }
}

pub use crate::device::{DEVICE_ENV, DeviceChoice, choose_device, default_device, device, device_label};
pub use crate::threads::{compute_pool, foreground_pool, lower_this_threads_priority};
