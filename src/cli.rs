//! The command line: no subcommand opens the window; `train`, `sample` and
//! `bench` run headless with the same trainer the window uses.
//!
//! Errors from here are printed once, as `error: <file>: <problem>`, and turn
//! into a non-zero exit status.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use candle_core::{Device, Tensor};
use clap::{Args, Parser, Subcommand};

use crate::data::{self, Dataset};
use crate::export;
use crate::nets::{GanConfig, ModelKind};
use crate::rng::Rng;
use crate::train::checkpoint::{self, Checkpoint, SaveOptions};
use crate::train::{GeneratorLoss, OptimizerKind, StepMetrics, TrainConfig, Trainer};

/// Watch generative models learn and explore their latent spaces.
#[derive(Debug, Parser)]
#[command(name = "latent-lab", version, about)]
pub struct Cli {
    /// What to do; none opens the window.
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// The headless commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Train a GAN headless and save a checkpoint (Ctrl-C saves, then exits).
    Train(TrainArgs),
    /// Write generated digits from a checkpoint as 28×28 PNGs plus grid.png.
    Sample(SampleArgs),
    /// Measure training steps/s and decode latency; prints one JSON object.
    Bench(BenchArgs),
}

/// Options of `latent-lab train`.
#[derive(Debug, Args)]
pub struct TrainArgs {
    /// Model family: mlp-gan or dcgan.
    #[arg(long, default_value = "mlp-gan")]
    pub model: ModelKind,
    /// A folder of IDX files or images; default: the embedded MNIST.
    #[arg(long)]
    pub data: Option<PathBuf>,
    /// Iterations of Algorithm 1 to run (in total, counting a resumed run's steps).
    #[arg(long, default_value_t = 5000)]
    pub steps: u64,
    /// Seed of the weights, batches and z.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Checkpoint to write.
    #[arg(long, default_value = "latent-lab.safetensors")]
    pub out: PathBuf,
    /// Continue from this checkpoint instead of starting afresh.
    #[arg(long)]
    pub resume: Option<PathBuf>,
    /// Size of the latent vector z.
    #[arg(long, default_value_t = 100)]
    pub latent: usize,
    /// Batch size.
    #[arg(long, default_value_t = 64)]
    pub batch: usize,
    /// Discriminator updates per generator update.
    #[arg(long, default_value_t = 1)]
    pub k: usize,
    /// Generator loss: non-saturating or minimax.
    #[arg(long, default_value = "non-saturating", value_parser = parse_g_loss)]
    pub g_loss: GeneratorLoss,
    /// Optimizer for both networks: adam or sgd.
    #[arg(long, default_value = "adam", value_parser = parse_optimizer)]
    pub optimizer: OptimizerKind,
    /// Generator learning rate.
    #[arg(long, default_value_t = 2e-4)]
    pub lr_g: f64,
    /// Discriminator learning rate.
    #[arg(long, default_value_t = 2e-4)]
    pub lr_d: f64,
    /// Also save a checkpoint every N steps (0: only at the end).
    #[arg(long, default_value_t = 0)]
    pub save_every: u64,
    /// Write a grid of 64 samples (fixed z) as PNG at the end.
    #[arg(long)]
    pub grid: Option<PathBuf>,
    /// Compute threads (default: all cores).
    #[arg(long)]
    pub threads: Option<usize>,
    /// Store the weights as f16 without optimizer state (small files for shipping).
    #[arg(long)]
    pub f16: bool,
}

/// Options of `latent-lab sample`.
#[derive(Debug, Args)]
pub struct SampleArgs {
    /// The checkpoint to sample from.
    #[arg(long)]
    pub checkpoint: PathBuf,
    /// How many digits.
    #[arg(long, default_value_t = 64)]
    pub count: usize,
    /// Seed of the latent vectors.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Output folder (created if missing).
    #[arg(long)]
    pub out: PathBuf,
}

/// Options of `latent-lab bench`.
#[derive(Debug, Args)]
pub struct BenchArgs {
    /// Seconds to time each configuration (after warm-up).
    #[arg(long, default_value_t = 5.0)]
    pub seconds: f64,
    /// Models to measure (default: all).
    #[arg(long)]
    pub model: Vec<ModelKind>,
    /// Batch sizes to measure.
    #[arg(long, default_values_t = [64, 128])]
    pub batch: Vec<usize>,
    /// Compute threads (default: all cores).
    #[arg(long)]
    pub threads: Option<usize>,
}

fn parse_g_loss(s: &str) -> Result<GeneratorLoss, String> {
    GeneratorLoss::ALL
        .into_iter()
        .find(|l| l.id() == s)
        .ok_or_else(|| format!("unknown generator loss '{s}' (expected non-saturating or minimax)"))
}

fn parse_optimizer(s: &str) -> Result<OptimizerKind, String> {
    OptimizerKind::ALL
        .into_iter()
        .find(|o| o.id() == s)
        .ok_or_else(|| format!("unknown optimizer '{s}' (expected adam or sgd)"))
}

/// Parses the command line and runs it. Errors are printed once, here.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    crate::train::alloc::tune_allocator();
    let result = match cli.command {
        None => crate::ui::run(),
        Some(Command::Train(a)) => train(&a),
        Some(Command::Sample(a)) => sample(&a).map(|_| ()),
        Some(Command::Bench(a)) => bench(&a).map(|json| println!("{json}")),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// Sets the number of compute threads candle's CPU kernels use. Call before any tensor work.
pub fn set_compute_threads(threads: Option<usize>) {
    if let Some(n) = threads.filter(|&n| n > 0) {
        // SAFETY: called at start-up, before this process starts any other thread.
        unsafe { std::env::set_var("RAYON_NUM_THREADS", n.to_string()) };
    }
}

/// The dataset at `path`, or the embedded MNIST.
pub fn load_data(path: Option<&Path>) -> Result<Dataset> {
    let ds = match path {
        Some(p) => data::load_folder(p)?,
        None => data::embedded_mnist()?,
    };
    ds.check_model_input()?;
    Ok(ds)
}

/// The device training runs on: CUDA or Metal when built with that feature and present, else the CPU.
pub fn default_device() -> Device {
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

/// Human name of a device.
pub fn device_name(device: &Device) -> &'static str {
    match device {
        Device::Cpu => "CPU",
        Device::Cuda(_) => "CUDA",
        Device::Metal(_) => "Metal",
    }
}

/// The fixed latent vectors used for sample grids: `n` vectors from `seed`.
pub fn fixed_z(n: usize, latent_dim: usize, seed: u64) -> Vec<f32> {
    Rng::derive(seed, "fixed-z").normal_vec(n * latent_dim)
}

fn metrics_line(m: &StepMetrics) -> String {
    format!(
        "D loss {:.3}  G loss {:.3}  D(x) {:.3}  D(G(z)) {:.3}",
        m.d_loss, m.g_loss, m.d_real_mean, m.d_fake_mean
    )
}

/// `latent-lab train`.
pub fn train(a: &TrainArgs) -> Result<()> {
    set_compute_threads(a.threads);
    let device = default_device();
    let data = Arc::new(load_data(a.data.as_deref())?);
    let mut trainer = match &a.resume {
        Some(path) => {
            let ck = Checkpoint::load(path)?;
            let mut t = ck.into_trainer(Some(a.model), data.clone(), &device)?;
            let mut cfg = t.config();
            cfg.opt_g.lr = a.lr_g;
            cfg.opt_d.lr = a.lr_d;
            t.set_config(cfg)?;
            t
        }
        None => {
            let model = GanConfig {
                kind: a.model,
                latent_dim: a.latent,
            };
            let mut cfg = TrainConfig {
                batch_size: a.batch,
                k: a.k,
                g_loss: a.g_loss,
                seed: a.seed,
                ..TrainConfig::default()
            };
            cfg.opt_g.kind = a.optimizer;
            cfg.opt_d.kind = a.optimizer;
            cfg.opt_g.lr = a.lr_g;
            cfg.opt_d.lr = a.lr_d;
            Trainer::new(model, cfg, data.clone(), &device)?
        }
    };
    let options = SaveOptions {
        dtype: if a.f16 {
            candle_core::DType::F16
        } else {
            candle_core::DType::F32
        },
        include_optimizer: !a.f16,
    };
    let interrupted = Arc::new(AtomicBool::new(false));
    {
        let flag = interrupted.clone();
        ctrlc::set_handler(move || flag.store(true, Ordering::SeqCst)).context("cannot install the Ctrl-C handler")?;
    }
    eprintln!(
        "training {} (latent {}) on {} ({} images) with {}, {} threads; checkpoint → {}",
        trainer.gan().config.kind,
        trainer.gan().config.latent_dim,
        data.name,
        data.len(),
        device_name(&device),
        candle_core::utils::get_num_threads(),
        a.out.display()
    );
    let bar = indicatif::ProgressBar::new(a.steps);
    bar.set_style(
        indicatif::ProgressStyle::with_template("{bar:30} {pos}/{len} {per_sec} eta {eta} {msg}")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    bar.set_position(trainer.step());
    let start = Instant::now();
    let first_step = trainer.step();
    let mut last = None;
    while trainer.step() < a.steps && !interrupted.load(Ordering::SeqCst) {
        let m = match trainer.iteration() {
            Ok(m) => m,
            Err(e) => {
                bar.abandon();
                checkpoint::save(&trainer, &a.out, options)?;
                bail!("{e}; the last good state is saved in {}", a.out.display());
            }
        };
        if m.step % 10 == 0 {
            bar.set_message(metrics_line(&m));
        }
        bar.set_position(m.step);
        if a.save_every > 0 && m.step % a.save_every == 0 {
            checkpoint::save(&trainer, &a.out, options)?;
        }
        last = Some(m);
    }
    bar.finish_and_clear();
    let secs = start.elapsed().as_secs_f64();
    checkpoint::save(&trainer, &a.out, options)?;
    let done = trainer.step() - first_step;
    let how = if interrupted.load(Ordering::SeqCst) {
        "interrupted at"
    } else {
        "finished"
    };
    eprintln!(
        "{how} step {} after {done} steps in {secs:.1} s ({:.1} steps/s); {}; saved {}",
        trainer.step(),
        done as f64 / secs.max(1e-9),
        last.as_ref().map(metrics_line).unwrap_or_default(),
        a.out.display()
    );
    if let Some(grid_path) = &a.grid {
        let z = fixed_z(64, trainer.gan().config.latent_dim, 0);
        let images = trainer.generate_u8(&z)?;
        export::save_png(&export::upscale(&export::grid(&images, 28, 8, 2), 2), grid_path)?;
        eprintln!("wrote {}", grid_path.display());
    }
    if interrupted.load(Ordering::SeqCst) {
        bail!("interrupted (checkpoint saved to {})", a.out.display());
    }
    Ok(())
}

/// `latent-lab sample`; returns the paths written.
pub fn sample(a: &SampleArgs) -> Result<Vec<PathBuf>> {
    if a.count == 0 {
        bail!("--count must be at least 1");
    }
    let device = default_device();
    let ck = Checkpoint::load(&a.checkpoint)?;
    let g = ck.generator(None, &device)?;
    let z = Rng::derive(a.seed, "sample").normal_vec(a.count * g.config.latent_dim);
    let images = g.decode_to_u8(&z)?;
    std::fs::create_dir_all(&a.out).with_context(|| format!("{}: cannot create the folder", a.out.display()))?;
    let mut written = Vec::with_capacity(a.count + 1);
    for i in 0..a.count {
        let path = a.out.join(format!("sample-{i:04}.png"));
        export::save_png(&export::to_image(&images[i * 784..(i + 1) * 784], 28), &path)?;
        written.push(path);
    }
    let cols = (a.count as f64).sqrt().ceil() as usize;
    let grid_path = a.out.join("grid.png");
    export::save_png(&export::grid(&images, 28, cols, 2), &grid_path)?;
    written.push(grid_path);
    eprintln!(
        "wrote {} samples and grid.png to {} ({} at step {})",
        a.count,
        a.out.display(),
        g.config.kind,
        ck.meta.step
    );
    Ok(written)
}

fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(|a, b| a.total_cmp(b));
    xs.get(xs.len() / 2).copied().unwrap_or(f64::NAN)
}

/// `latent-lab bench`: returns the JSON report.
pub fn bench(a: &BenchArgs) -> Result<serde_json::Value> {
    set_compute_threads(a.threads);
    let device = default_device();
    let data = Arc::new(data::embedded_mnist()?);
    let models: Vec<ModelKind> = if a.model.is_empty() {
        ModelKind::ALL.to_vec()
    } else {
        a.model.clone()
    };
    let mut results = Vec::new();
    for &kind in &models {
        for &batch in &a.batch {
            let model = GanConfig { kind, latent_dim: 100 };
            let cfg = TrainConfig {
                batch_size: batch,
                ..TrainConfig::default()
            };
            let mut t = Trainer::new(model, cfg, data.clone(), &device)?;
            // Warm-up: allocator, caches, thread pool.
            let warm = Instant::now();
            while t.step() < 3 || warm.elapsed() < Duration::from_secs_f64(0.5) {
                t.iteration()?;
            }
            let start = Instant::now();
            let mut steps = 0u64;
            while start.elapsed().as_secs_f64() < a.seconds || steps < 3 {
                t.iteration()?;
                steps += 1;
            }
            let steps_per_s = steps as f64 / start.elapsed().as_secs_f64();
            let g = t.snapshot_generator()?;
            let decode = |n: usize| -> Result<f64> {
                let z = Tensor::from_vec(Rng::new(1).normal_vec(n * 100), (n, 100), &device)?;
                g.decode(&z)?.to_vec3::<f32>().ok();
                let mut times = Vec::new();
                let t0 = Instant::now();
                while times.len() < 5 || (t0.elapsed() < Duration::from_secs(1) && times.len() < 200) {
                    let s = Instant::now();
                    let out = g.decode(&z)?;
                    let _ = out.flatten_all()?.to_vec1::<f32>()?;
                    times.push(s.elapsed().as_secs_f64() * 1e3);
                }
                Ok(median(times))
            };
            let decode_1_ms = decode(1)?;
            let decode_64_ms = decode(64)?;
            eprintln!(
                "{kind} batch {batch}: {steps_per_s:.2} steps/s, decode 1: {decode_1_ms:.3} ms, decode 64: {decode_64_ms:.2} ms"
            );
            results.push(serde_json::json!({
                "model": kind.id(),
                "batch": batch,
                "steps_per_s": (steps_per_s * 100.0).round() / 100.0,
                "decode_1_ms": (decode_1_ms * 1000.0).round() / 1000.0,
                "decode_64_ms": (decode_64_ms * 1000.0).round() / 1000.0,
            }));
        }
    }
    Ok(serde_json::json!({ "machine": machine_info(&device), "results": results }))
}

/// What the benchmark ran on.
pub fn machine_info(device: &Device) -> serde_json::Value {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|m| m.trim().to_string())
        })
        .unwrap_or_else(|| "unknown".into());
    serde_json::json!({
        "cpu": cpu,
        "cores": std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1),
        "threads": candle_core::utils::get_num_threads(),
        "device": device_name(device),
        "os": std::env::consts::OS,
        "arch": std::env::consts::ARCH,
        "latent_lab": env!("CARGO_PKG_VERSION"),
    })
}
