//! Where training runs: the device (CPU, or CUDA / Metal when built with those
//! features and one is present) and, on the CPU, how many threads candle may use.
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

use std::sync::OnceLock;

use candle_core::Device;

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

/// The device the user asks for with `--device` (or [`DEVICE_ENV`]); without one, the first
/// CUDA or Metal device when built with that feature and one is present, otherwise the CPU.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeviceChoice {
    Cpu,
    Cuda,
    Metal,
}

/// The environment variable that chooses the device when `--device` is not given.
pub const DEVICE_ENV: &str = "LATENT_LAB_DEVICE";

impl DeviceChoice {
    pub const ALL: [DeviceChoice; 3] = [DeviceChoice::Cpu, DeviceChoice::Cuda, DeviceChoice::Metal];

    /// `cpu`, `cuda` or `metal`.
    pub fn id(self) -> &'static str {
        match self {
            DeviceChoice::Cpu => "cpu",
            DeviceChoice::Cuda => "cuda",
            DeviceChoice::Metal => "metal",
        }
    }

    pub fn parse(s: &str) -> Result<Self, String> {
        let s = s.trim().to_ascii_lowercase();
        Self::ALL
            .into_iter()
            .find(|c| c.id() == s)
            .ok_or_else(|| format!("unknown device '{s}' (expected cpu, cuda or metal)"))
    }

    /// Whether this build can run on it at all (CUDA and Metal are cargo features).
    pub fn built_in(self) -> bool {
        match self {
            DeviceChoice::Cpu => true,
            DeviceChoice::Cuda => cfg!(feature = "cuda"),
            DeviceChoice::Metal => cfg!(feature = "metal"),
        }
    }

    /// Opens it, or says why not: the build lacks it, or no such device is present.
    pub fn open(self) -> Result<Device, String> {
        if !self.built_in() {
            return Err(match self {
                DeviceChoice::Cuda => "this build has no CUDA support: build it with scripts/build_cuda.sh \
                                       (or cargo build --release --features cuda)"
                    .to_string(),
                _ => "this build has no Metal support: build it on macOS with cargo build --release --features metal"
                    .to_string(),
            });
        }
        let opened = match self {
            DeviceChoice::Cpu => Ok(Device::Cpu),
            DeviceChoice::Cuda => Device::new_cuda(0),
            DeviceChoice::Metal => Device::new_metal(0),
        };
        opened.map_err(|e| format!("no {} device could be opened: {e}", self.id()))
    }
}

/// What [`choose_device`] fixed: the choice, and the option or variable it came from.
static CHOICE: OnceLock<Option<(DeviceChoice, &'static str)>> = OnceLock::new();

/// The device of this process, opened on first use: every tensor of a run must live on one
/// device (two `Device::new_cuda(0)` are two devices to candle).
static DEVICE: OnceLock<Result<Device, String>> = OnceLock::new();

/// Fixes the device of this process to `choice`, or to [`DEVICE_ENV`]'s when `choice` is
/// `None` (neither: the first GPU present, else the CPU). It checks at once that the choice
/// is known and built into this binary; the device itself is opened on first use
/// ([`device`]), after the thread counts are set. The error names the option and the problem.
pub fn choose_device(choice: Option<DeviceChoice>) -> Result<(), String> {
    let chosen = match choice {
        Some(c) => Some((c, "--device")),
        None => match std::env::var(DEVICE_ENV) {
            Ok(v) if !v.trim().is_empty() => Some((
                DeviceChoice::parse(&v).map_err(|e| format!("{DEVICE_ENV}: {e}"))?,
                DEVICE_ENV,
            )),
            _ => None,
        },
    };
    if let Some((c, option)) = chosen
        && !c.built_in()
    {
        return Err(format!("{option} {}: {}", c.id(), c.open().err().unwrap_or_default()));
    }
    let _ = CHOICE.set(chosen);
    Ok(())
}

/// The device of this process: [`choose_device`]'s, or the first GPU present, else the CPU;
/// an error says why the chosen one cannot be opened.
pub fn device() -> Result<Device, String> {
    DEVICE
        .get_or_init(|| match CHOICE.get().copied().flatten() {
            Some((c, option)) => c.open().map_err(|e| format!("{option} {}: {e}", c.id())),
            None => Ok(first_device()),
        })
        .clone()
}

/// The first CUDA or Metal device when built with that feature and one is present, else the CPU.
fn first_device() -> Device {
    #[cfg(feature = "cuda")]
    if let Ok(d) = Device::new_cuda(0) {
        return d;
    }
    #[cfg(feature = "metal")]
    if let Ok(d) = Device::new_metal(0) {
        return d;
    }
    Device::Cpu
}

/// The device to train on ([`device`]) and its name for the status bar. A chosen GPU that
/// cannot be opened leaves the window on the CPU, and its name says why.
pub fn default_device() -> (Device, String) {
    match device() {
        Ok(device) => {
            let name = device_label(&device);
            (device, name)
        }
        Err(e) => (Device::Cpu, format!("{} — {e}", device_label(&Device::Cpu))),
    }
}

/// "CUDA 0", "Metal" or "CPU (2 threads)".
pub fn device_label(device: &Device) -> String {
    match device {
        Device::Cuda(_) => "CUDA 0".to_string(),
        Device::Metal(_) => "Metal".to_string(),
        Device::Cpu => match candle_core::utils::get_num_threads() {
            1 => "CPU (1 thread)".to_string(),
            n => format!("CPU ({n} threads)"),
        },
    }
}

pub use crate::threads::{compute_pool, foreground_pool, lower_this_threads_priority};
