//! Where training runs: the CPU, or CUDA / Metal when built with those features. The user
//! chooses with `--device` or `LATENT_LAB_DEVICE` at start-up ([`choose_device`]); without a
//! choice the first GPU present is used, else the CPU. The command line and the window's
//! worker both take the one device of the process from here ([`device`]).

use std::sync::OnceLock;

use candle_core::Device;

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
