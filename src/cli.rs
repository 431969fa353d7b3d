//! The command line: no subcommand opens the window; `train`, `sample`, `encode`,
//! `interpolate` and `bench` run headless with the same trainer the window uses, for every
//! family of the registry ([`crate::family::registry`]).
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
use crate::family::{self, Family, ModelSpec, StepOutput};
use crate::latent::recipe::{Recipe, RecipeModel, parse_z_text_for};
use crate::latent::{Model, pretrained};
use crate::rng::Rng;
use crate::train::checkpoint::{self, ChartHistory, Checkpoint, SaveOptions};
use crate::train::{GeneratorLoss, OptimizerKind, TrainConfig, Trainer};

/// Watch generative models learn and explore their latent spaces.
#[derive(Debug, Parser)]
#[command(name = "latent-lab", version, about)]
pub struct Cli {
    /// What to do; none opens the window.
    #[command(subcommand)]
    pub command: Option<Command>,
    /// Where to train and decode: cpu, cuda or metal (default: LATENT_LAB_DEVICE, else the
    /// first GPU this build supports, else the CPU). A GPU needs a build with its feature
    /// (scripts/build_cuda.sh for CUDA).
    #[arg(long, global = true, value_parser = crate::worker::DeviceChoice::parse)]
    pub device: Option<crate::worker::DeviceChoice>,
}

/// The headless commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Train a model headless and save a checkpoint (Ctrl-C saves, then exits).
    Train(Box<TrainArgs>),
    /// Write generated digits from a checkpoint as 28×28 PNGs plus grid.png.
    Sample(SampleArgs),
    /// Print the code z of each image (PNG, JPEG, …) as a recipe, with a model that has an encoder.
    Encode(EncodeArgs),
    /// Walk from one z to another (linear and spherical): strips as PNG, animations as GIF.
    Interpolate(InterpolateArgs),
    /// Measure training steps/s (the training step alone, without held-out figures) and decode latency; prints one JSON object.
    Bench(BenchArgs),
    /// Judge generated digits (or a folder of images) with the built-in digit judge:
    /// recognisable share, classes covered, class entropy, classifier Fréchet distance.
    Score(ScoreArgs),
    /// The exact negative log-likelihood of digits under an autoregressive model (PixelCNN):
    /// each image's, and with --held-out the table of exact NLL, VAE bound and GAN on the
    /// held-out digits.
    Likelihood(LikelihoodArgs),
    /// Translate images with an image-to-image model (pix2pix): a PNG or a folder of images
    /// into --out (outputs keep the input file names, as PNG); with --held-out, its L1, PSNR
    /// and the judge's labels on the held-out digits.
    Translate(TranslateArgs),
}

/// Options of `latent-lab translate`.
#[derive(Debug, Args)]
pub struct TranslateArgs {
    /// The model (a translation model: pix2pix).
    #[command(flatten)]
    pub model: ModelChoice,
    /// An image, or a folder of images (PNG, JPEG, BMP; any size, fitted into 28×28, light
    /// backgrounds inverted), already in the model's input form (a digit with a hole, a sketch, …).
    #[arg(long, requires = "out")]
    pub input: Option<PathBuf>,
    /// Output folder (created if missing).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Replace outputs that already exist.
    #[arg(long)]
    pub force: bool,
    /// Make the model's inputs from the last 1,000 embedded digits (held out of every shipped
    /// model) and measure its outputs against the digits, beside the inputs' own figures;
    /// with --out, also write input/output/target strips of the first 16.
    #[arg(long)]
    pub held_out: bool,
}

/// Options of `latent-lab likelihood`.
#[derive(Debug, Args)]
pub struct LikelihoodArgs {
    /// The model (an autoregressive one: pixelcnn).
    #[command(flatten)]
    pub model: ModelChoice,
    /// Images to measure (any size; fitted into 28×28, light backgrounds inverted).
    #[arg(long, num_args = 1..)]
    pub image: Vec<PathBuf>,
    /// Also measure the last 1,000 embedded digits (held out of every shipped model) and
    /// compare with the shipped VAE's bound and the shipped GAN.
    #[arg(long)]
    pub held_out: bool,
}

/// Options of `latent-lab train`.
#[derive(Debug, Args)]
pub struct TrainArgs {
    /// Model family: mlp-gan (default), dcgan, ae, conv-ae, vae, conv-vae, cgan, conv-cgan, infogan, pixelcnn or pix2pix. With --resume,
    /// the checkpoint's model is used (and must match this, if given).
    #[arg(long, value_parser = parse_family)]
    pub model: Option<String>,
    /// A folder of IDX files or images; default: the embedded MNIST.
    #[arg(long)]
    pub data: Option<PathBuf>,
    /// Train without the last N images of the data (kept for measuring on unseen digits;
    /// a resumed run keeps its own unless given).
    #[arg(long)]
    pub hold_out: Option<usize>,
    /// Iterations (one iteration of the family's step: for a GAN, Algorithm 1's) to run (in total, counting a resumed run's steps).
    #[arg(long, default_value_t = 5000)]
    pub steps: u64,
    /// Seed of the weights, batches and z (default 0; a resumed run keeps its own).
    #[arg(long)]
    pub seed: Option<u64>,
    /// Checkpoint to write.
    #[arg(long, default_value = "latent-lab.safetensors")]
    pub out: PathBuf,
    /// Continue from this checkpoint instead of starting afresh: its model, seed and
    /// hyperparameters carry on, except those given here.
    #[arg(long)]
    pub resume: Option<PathBuf>,
    /// Size of the latent vector z (default 100).
    #[arg(long)]
    pub latent: Option<usize>,
    /// Batch size (default 64).
    #[arg(long)]
    pub batch: Option<usize>,
    /// GANs: discriminator updates per generator update (default 1).
    #[arg(long)]
    pub k: Option<usize>,
    /// GANs: generator loss, non-saturating (default) or minimax.
    #[arg(long, value_parser = parse_g_loss)]
    pub g_loss: Option<GeneratorLoss>,
    /// GANs: D's target for real images, 1 (the paper) or below for one-sided label
    /// smoothing (0.9 in Salimans et al. 2016).
    #[arg(long)]
    pub real_label: Option<f32>,
    /// GANs with k = 1: true to reuse the D step's z and fakes in the G step (one G forward
    /// pass less, as pytorch/examples' DCGAN), false for a fresh z (Algorithm 1).
    #[arg(long, value_name = "true|false", action = clap::ArgAction::Set)]
    pub reuse_fakes: Option<bool>,
    /// GANs: decode samples from a moving average of G's weights with this decay (e.g.
    /// 0.999), or 0 to sample from G itself (the paper). The MLP GAN starts at 0.999.
    #[arg(long)]
    pub ema: Option<f64>,
    /// VAEs: weight β of the KL term (default 1, the ELBO).
    #[arg(long)]
    pub beta: Option<f64>,
    /// VAEs: steps over which the KL weight rises from 0 to β (default 0: none).
    #[arg(long)]
    pub kl_warmup: Option<u64>,
    /// Autoencoders: reconstruction loss, bce (default) or mse.
    #[arg(long, value_parser = ["bce", "mse"])]
    pub recon: Option<String>,
    /// PixelCNN: feature maps per layer; pix2pix, CycleGAN: of the first layers (default 32).
    #[arg(long)]
    pub channels: Option<usize>,
    /// pix2pix: the paired task, inpaint (default), superres, sketch or denoise.
    #[arg(long, value_parser = parse_task)]
    pub task: Option<String>,
    /// pix2pix super-resolution: block side, 4 (default: 7×7 → 28×28) or 2 (14×14 → 28×28).
    #[arg(long)]
    pub factor: Option<usize>,
    /// pix2pix: weight λ of the L1 term (default 100).
    #[arg(long)]
    pub lambda_l1: Option<f64>,
    /// pix2pix: what G minimises, gan-l1 (default), gan (no L1 term) or l1 (no GAN term).
    #[arg(long, value_parser = ["gan-l1", "gan", "l1"])]
    pub loss: Option<String>,
    /// CycleGAN: the two domains, thin-thick (default), upright-slanted or negative.
    #[arg(long, value_parser = parse_domains)]
    pub domains: Option<String>,
    /// InfoGAN: its networks, narrow (the default: the paper's MNIST network with 256-unit fully
    /// connected layers in G and D, Q with a hidden layer), paper (the same with 1,024 units, 1.6×
    /// slower) or dcgan (the DCGAN's, Q one layer on D's conv features; c₁ settles on styles).
    #[arg(long, value_parser = ["narrow", "paper", "dcgan"])]
    pub net: Option<String>,
    /// DCGAN: units of a fully connected layer at the start of G and at the end of D's body,
    /// as InfoGAN's MNIST network has (0, the default: none, the DCGAN paper's all-convolutional
    /// networks; 256: recognisable digits several times sooner, see models/README.md).
    #[arg(long)]
    pub fc: Option<usize>,
    /// CycleGAN: weight of the cycle terms (default 10).
    #[arg(long)]
    pub lambda_cycle: Option<f64>,
    /// CycleGAN: weight of the identity terms (default 5).
    #[arg(long)]
    pub lambda_identity: Option<f64>,
    /// CycleGAN: add slight noise to each translation before the way back (Chu et al. 2017).
    #[arg(long)]
    pub noisy_cycle: bool,
    /// PixelCNN: masked 3×3 layers after the first 7×7 one (default 5).
    #[arg(long)]
    pub layers: Option<usize>,
    /// PixelCNN: grey levels per pixel, 2 (default: black or white) to 16.
    #[arg(long)]
    pub levels: Option<usize>,
    /// Optimizer for every network: adam (default) or sgd.
    #[arg(long, value_parser = parse_optimizer)]
    pub optimizer: Option<OptimizerKind>,
    /// Learning rate of every network (default: the family's: 2e-4 for most GANs, 5e-4 for
    /// the MLP GAN, 1e-3 for InfoGAN's G and for autoencoders and VAEs).
    #[arg(long)]
    pub lr: Option<f64>,
    /// GANs: generator learning rate (default: the family's: 2e-4, 5e-4 for the MLP GAN, 1e-3 for InfoGAN).
    #[arg(long)]
    pub lr_g: Option<f64>,
    /// GANs: discriminator learning rate (default: the family's: 2e-4, 5e-4 for the MLP GAN).
    #[arg(long)]
    pub lr_d: Option<f64>,
    /// Also save a checkpoint every N steps (0: only at the end).
    #[arg(long, default_value_t = 0)]
    pub save_every: u64,
    /// Write a grid of 64 samples (fixed z) as PNG at the end.
    #[arg(long)]
    pub grid: Option<PathBuf>,
    /// Also write every step's metrics to this CSV file: the step, then one column per
    /// metric of the family, empty where a metric was not measured that step.
    #[arg(long)]
    pub log: Option<PathBuf>,
    /// Compute threads (default: all cores).
    #[arg(long)]
    pub threads: Option<usize>,
    /// Store the weights as f16 without optimizer state (small files for shipping).
    #[arg(long)]
    pub f16: bool,
    /// Replace an existing --out checkpoint (or --grid image) that is not the one resumed.
    #[arg(long)]
    pub force: bool,
}

/// Which model to decode with: a checkpoint file or a shipped model.
#[derive(Debug, Clone, Default, Args)]
pub struct ModelChoice {
    /// A checkpoint to decode with.
    #[arg(long, conflicts_with = "pretrained")]
    pub checkpoint: Option<PathBuf>,
    /// A shipped model instead of a checkpoint (see `latent-lab sample --help` for the ids).
    #[arg(long)]
    pub pretrained: Option<String>,
}

/// Options of `latent-lab encode`.
#[derive(Debug, Args)]
pub struct EncodeArgs {
    /// The model (it needs an encoder: ae, conv-ae, vae, conv-vae).
    #[command(flatten)]
    pub model: ModelChoice,
    /// Images to encode (any size; fitted into 28×28, light backgrounds inverted).
    #[arg(long, required = true, num_args = 1..)]
    pub image: Vec<PathBuf>,
}

/// Options of `latent-lab sample`.
#[derive(Debug, Args)]
pub struct SampleArgs {
    /// The model.
    #[command(flatten)]
    pub model: ModelChoice,
    /// How many digits (ignored with --z).
    #[arg(long, default_value_t = 64)]
    pub count: usize,
    /// Seed of the latent vectors (the explorer's seed gives the same z).
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Latent vectors to decode: recipes copied from the explorer (one per line) or
    /// plain numbers (one vector per line). A recipe of a shipped model needs no
    /// --checkpoint or --pretrained.
    #[arg(long)]
    pub z: Option<PathBuf>,
    /// The class to ask a conditional model for (0–9), in every vector.
    #[arg(long)]
    pub class: Option<usize>,
    /// Codes to set in every vector, e.g. `c1=3,c2=0.5` (c1: a model's categorical code, as
    /// --class; c2, c3, …: its continuous codes).
    #[arg(long, default_value = "")]
    pub code: String,
    /// Output folder (created if missing).
    #[arg(long)]
    pub out: PathBuf,
}

/// Options of `latent-lab interpolate`.
#[derive(Debug, Args)]
pub struct InterpolateArgs {
    /// The model.
    #[command(flatten)]
    pub model: ModelChoice,
    /// Seed of the start A (the explorer's "seed" z).
    #[arg(long, default_value_t = 1)]
    pub from: u64,
    /// Seed of the end B.
    #[arg(long, default_value_t = 2)]
    pub to: u64,
    /// A and B from a file instead (two recipes or two lines of numbers).
    #[arg(long)]
    pub z: Option<PathBuf>,
    /// Frames per path, both ends included.
    #[arg(long, default_value_t = 10)]
    pub frames: usize,
    /// Output folder: interpolation.png (linear strip over spherical), linear.gif, spherical.gif.
    #[arg(long)]
    pub out: PathBuf,
}

/// Options of `latent-lab score`.
#[derive(Debug, Args)]
pub struct ScoreArgs {
    /// A folder of images to judge (IDX files or images), instead of a model's samples.
    #[arg(conflicts_with_all = ["checkpoint", "pretrained", "all_pretrained"])]
    pub dir: Option<PathBuf>,
    /// The model whose samples to judge.
    #[command(flatten)]
    pub model: ModelChoice,
    /// Every shipped model, one row each, with the family's own figure where it has one.
    #[arg(long, conflicts_with_all = ["checkpoint", "pretrained"])]
    pub all_pretrained: bool,
    /// Samples to generate and judge (a folder: at most this many of its images).
    #[arg(long, default_value_t = 1000)]
    pub count: usize,
    /// Seed of the samples' z (the explorer's random z for this seed).
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

/// Options of `latent-lab bench`.
#[derive(Debug, Args)]
pub struct BenchArgs {
    /// Seconds to time each configuration (after warm-up).
    #[arg(long, default_value_t = 5.0)]
    pub seconds: f64,
    /// Models to measure (default: all families).
    #[arg(long, value_parser = parse_family)]
    pub model: Vec<String>,
    /// Batch sizes to measure (default 64 and 128; with --time-to-digits, the family's).
    #[arg(long)]
    pub batch: Vec<usize>,
    /// Compute threads (default: all cores; with --ui, what the window uses).
    #[arg(long)]
    pub threads: Option<usize>,
    /// Measure the window instead, headless: UI frame time while training, and the
    /// explorer's decode + upload latency while a slider is dragged during training.
    #[arg(long)]
    pub ui: bool,
    /// Skip the decode timings (profiling the training step alone).
    #[arg(long)]
    pub no_decode: bool,
    /// Measure the seconds of training each model (default: the MLP GAN and the DCGAN)
    /// needs before the built-in judge recognises 0.8 of its samples, trained without the
    /// 1,000 held-out digits.
    #[arg(long)]
    pub time_to_digits: bool,
    /// --time-to-digits: give up after this many seconds of training.
    #[arg(long, default_value_t = 120.0)]
    pub limit: f64,
    /// --time-to-digits: judge the samples after every this many seconds of training.
    #[arg(long, default_value_t = 5.0)]
    pub judge_every: f64,
    /// --time-to-digits: go on to --limit after reaching 0.8 (the whole curve).
    #[arg(long)]
    pub to_limit: bool,
    /// --time-to-digits: seed of the weights, batches and z.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// --time-to-digits: learning rate of every network instead of the family's.
    #[arg(long)]
    pub lr: Option<f64>,
    /// --time-to-digits: the generator's learning rate.
    #[arg(long)]
    pub lr_g: Option<f64>,
    /// --time-to-digits: the discriminator's learning rate.
    #[arg(long)]
    pub lr_d: Option<f64>,
    /// A model setting instead of its default, as KEY=VALUE in the checkpoint's names (e.g.
    /// real_label=0.9, reuse_fakes=false, ema=0 for the paper's MLP GAN step); repeatable.
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub settings: Vec<String>,
}

fn parse_g_loss(s: &str) -> Result<GeneratorLoss, String> {
    GeneratorLoss::ALL
        .into_iter()
        .find(|l| l.id() == s)
        .ok_or_else(|| format!("unknown generator loss '{s}' (expected non-saturating or minimax)"))
}

fn parse_family(s: &str) -> Result<String, String> {
    family::find(s)
        .map(|f| f.id().to_string())
        .ok_or_else(|| family::unknown_family(s))
}

fn parse_task(s: &str) -> Result<String, String> {
    crate::data::paired::PairTask::parse(s).map(|t| t.id().to_string())
}

fn parse_domains(s: &str) -> Result<String, String> {
    crate::data::domains::DomainPair::parse(s).map(|d| d.id().to_string())
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
    if let Err(e) = crate::worker::choose_device(cli.device) {
        eprintln!("error: {e}");
        return ExitCode::FAILURE;
    }
    let result = match cli.command {
        None => crate::ui::run(),
        Some(Command::Train(a)) => train(&a),
        Some(Command::Sample(a)) => sample(&a).map(|_| ()),
        Some(Command::Encode(a)) => encode(&a).map(|lines| lines.iter().for_each(|l| println!("{l}"))),
        Some(Command::Interpolate(a)) => interpolate(&a).map(|_| ()),
        Some(Command::Bench(a)) => bench(&a).map(|json| println!("{json}")),
        Some(Command::Score(a)) => score(&a).map(|out| println!("{out}")),
        Some(Command::Likelihood(a)) => likelihood(&a).map(|lines| lines.iter().for_each(|l| println!("{l}"))),
        Some(Command::Translate(a)) => translate(&a).map(|lines| lines.iter().for_each(|l| println!("{l}"))),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {}", error_text(&e));
            ExitCode::FAILURE
        }
    }
}

/// An error and its causes as one line, each cause once: a cause whose text the line
/// already holds (as "path: cannot read: No such file" holds the OS error) is not repeated.
pub fn error_text(e: &anyhow::Error) -> String {
    let mut text = String::new();
    for cause in e.chain() {
        let c = cause.to_string();
        if text.contains(&c) {
            continue;
        }
        if !text.is_empty() {
            text.push_str(": ");
        }
        text.push_str(&c);
    }
    text
}

/// Checks, before any training, that `path` can be written: its folder is made if missing,
/// a probe file is written there and removed, and an existing file is refused unless it is
/// `resumed` or `force` is given. `what` names the option ("--out").
fn check_writable(path: &Path, what: &str, resumed: Option<&Path>, force: bool) -> Result<()> {
    let same = |a: &Path, b: &Path| match (a.canonicalize(), b.canonicalize()) {
        (Ok(x), Ok(y)) => x == y,
        _ => a == b,
    };
    if path.is_dir() {
        bail!(
            "{what} {}: is a folder, not a file; nothing was trained",
            path.display()
        );
    }
    if path.exists() && !force && !resumed.is_some_and(|r| same(r, path)) {
        bail!(
            "{what} {} already exists; pass --force to replace it, or choose another file (nothing was trained)",
            path.display()
        );
    }
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    std::fs::create_dir_all(&dir).map_err(|e| {
        anyhow::anyhow!(
            "{what} {}: cannot make the folder {} ({e}); nothing was trained",
            path.display(),
            dir.display()
        )
    })?;
    let probe = dir.join(format!(".latent-lab-probe-{}", std::process::id()));
    std::fs::write(&probe, b"").map_err(|e| {
        anyhow::anyhow!(
            "{what} {}: cannot write in {} ({e}); nothing was trained",
            path.display(),
            dir.display()
        )
    })?;
    let _ = std::fs::remove_file(&probe);
    Ok(())
}

/// Sets the number of compute threads candle's CPU kernels use, and spreads candle's own
/// elementwise ops over as many ([`crate::worker::share_candle_ops_across`]). Call before any
/// tensor work.
pub fn set_compute_threads(threads: Option<usize>) {
    if let Some(n) = threads.filter(|&n| n > 0) {
        // SAFETY: called at start-up, before this process starts any other thread.
        unsafe { std::env::set_var("RAYON_NUM_THREADS", n.to_string()) };
    }
    crate::worker::share_candle_ops_across(candle_core::utils::get_num_threads());
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

/// The device training runs on: the one `--device` chose ([`crate::worker::choose_device`]),
/// else CUDA or Metal when built with that feature and present, else the CPU.
pub fn default_device() -> Result<Device> {
    crate::worker::device().map_err(anyhow::Error::msg)
}

/// `train --log`: each step's metrics as one CSV line (the step, then the family's metrics in
/// their order; empty where a metric was not measured that step).
struct StepLog {
    path: PathBuf,
    out: std::io::BufWriter<std::fs::File>,
}

impl StepLog {
    fn create(path: &Path, keys: &[&str]) -> Result<Self> {
        let file = std::fs::File::create(path).with_context(|| format!("--log {}: cannot create", path.display()))?;
        let mut log = StepLog {
            path: path.to_path_buf(),
            out: std::io::BufWriter::new(file),
        };
        let header = format!("step,{}", keys.join(","));
        log.line(&header)?;
        Ok(log)
    }

    fn write(&mut self, step: u64, values: &[f32]) -> Result<()> {
        let mut line = step.to_string();
        for v in values {
            line.push(',');
            if !v.is_nan() {
                line.push_str(&v.to_string());
            }
        }
        self.line(&line)
    }

    fn line(&mut self, line: &str) -> Result<()> {
        use std::io::Write;
        writeln!(self.out, "{line}").with_context(|| format!("--log {}: cannot write", self.path.display()))
    }

    fn finish(mut self) -> Result<()> {
        use std::io::Write;
        self.out
            .flush()
            .with_context(|| format!("--log {}: cannot write", self.path.display()))
    }
}

/// Human name of a device.
pub fn device_name(device: &Device) -> &'static str {
    match device {
        Device::Cpu => "CPU",
        Device::Cuda(_) => "CUDA",
        Device::Metal(_) => "Metal",
    }
}

/// The family's metrics of one step, as the progress bar shows them ("D loss 1.234  …").
pub fn metrics_line(family: &dyn Family, out: &StepOutput) -> String {
    family
        .metrics()
        .iter()
        .zip(&out.values)
        .filter(|(_, v)| !v.is_nan())
        .map(|(m, v)| format!("{} {v:.3}", m.label))
        .collect::<Vec<_>>()
        .join("  ")
}

impl TrainArgs {
    /// The family settings given on the command line: `(flag, config key, value)`.
    fn model_options(&self) -> Vec<(&'static str, &'static str, serde_json::Value)> {
        let options: [(&'static str, &'static str, Option<serde_json::Value>); 22] = [
            ("latent", "latent_dim", self.latent.map(Into::into)),
            ("k", "k", self.k.map(Into::into)),
            ("g-loss", "g_loss", self.g_loss.map(|g| g.id().into())),
            ("real-label", "real_label", self.real_label.map(Into::into)),
            ("reuse-fakes", "reuse_fakes", self.reuse_fakes.map(Into::into)),
            ("ema", "ema", self.ema.map(Into::into)),
            ("beta", "beta", self.beta.map(Into::into)),
            ("kl-warmup", "kl_warmup", self.kl_warmup.map(Into::into)),
            ("recon", "recon", self.recon.clone().map(Into::into)),
            ("task", "task", self.task.clone().map(Into::into)),
            ("factor", "factor", self.factor.map(Into::into)),
            ("lambda-l1", "lambda_l1", self.lambda_l1.map(Into::into)),
            ("loss", "loss", self.loss.clone().map(Into::into)),
            ("domains", "domains", self.domains.clone().map(Into::into)),
            ("net", "net", self.net.clone().map(Into::into)),
            ("fc", "fc_units", self.fc.map(Into::into)),
            ("lambda-cycle", "lambda_cycle", self.lambda_cycle.map(Into::into)),
            (
                "lambda-identity",
                "lambda_identity",
                self.lambda_identity.map(Into::into),
            ),
            ("noisy-cycle", "noisy_cycle", self.noisy_cycle.then_some(true.into())),
            ("channels", "channels", self.channels.map(Into::into)),
            ("layers", "layers", self.layers.map(Into::into)),
            ("levels", "levels", self.levels.map(Into::into)),
        ];
        options
            .into_iter()
            .filter_map(|(flag, key, value)| value.map(|v| (flag, key, v)))
            .collect()
    }

    /// Refuses options that do not apply to `family`, naming the ones that do.
    pub fn check_options(&self, family: &dyn Family) -> Result<()> {
        let takes = family.option_keys();
        for (flag, _, _) in self.model_options() {
            if !takes.iter().any(|(f, _)| *f == flag) {
                let its: Vec<String> = takes.iter().map(|(f, _)| format!("--{f}")).collect();
                bail!(
                    "--{flag} does not apply to the {} (its model options: {})",
                    family.label(),
                    its.join(", ")
                );
            }
        }
        let gan_only = [("lr-g", self.lr_g.is_some()), ("lr-d", self.lr_d.is_some())];
        let groups = family.optimizer_groups();
        for (flag, given) in gan_only {
            let group = &flag[3..];
            if given && !groups.iter().any(|g| g.id == group) {
                bail!(
                    "--{flag} does not apply to the {} (it has one optimizer: use --lr)",
                    family.label()
                );
            }
        }
        Ok(())
    }

    /// `spec` with the family settings given on the command line put in.
    pub fn apply_to_spec(&self, mut spec: ModelSpec) -> ModelSpec {
        if let Some(obj) = spec.config.as_object_mut() {
            for (_, key, value) in self.model_options() {
                obj.insert(key.to_string(), value);
            }
        }
        spec
    }

    /// `config` with the hyperparameters given on the command line put in.
    pub fn apply_to(&self, mut config: TrainConfig) -> TrainConfig {
        if let Some(b) = self.batch {
            config.batch_size = b;
        }
        for (id, o) in config.optimizers.iter_mut() {
            if let Some(kind) = self.optimizer {
                o.kind = kind;
            }
            if let Some(lr) = self.lr {
                o.lr = lr;
            }
            match id.as_str() {
                "g" if self.lr_g.is_some() => o.lr = self.lr_g.unwrap_or(o.lr),
                "d" if self.lr_d.is_some() => o.lr = self.lr_d.unwrap_or(o.lr),
                _ => {}
            }
        }
        config
    }
}

/// `latent-lab train`.
pub fn train(a: &TrainArgs) -> Result<()> {
    set_compute_threads(a.threads);
    on_compute_pool(|| train_on_pool(a))
}

/// Runs `f` as one of the threads of a rayon pool of candle's thread count (the window's
/// trainer does the same). The fused kernels then split each product between the calling
/// thread and the others; called from outside a pool, every split parks the caller and
/// wakes a worker, which cost the MLP GAN ≈ 10 % of its CPU time in the scheduler.
fn on_compute_pool<R: Send>(f: impl FnOnce() -> R + Send) -> R {
    match crate::worker::foreground_pool("compute", candle_core::utils::get_num_threads()) {
        Some(pool) => pool.install(f),
        None => f(),
    }
}

fn train_on_pool(a: &TrainArgs) -> Result<()> {
    // Where the work goes is checked before any of it is done.
    check_writable(&a.out, "--out", a.resume.as_deref(), a.force)?;
    if let Some(grid) = &a.grid {
        check_writable(grid, "--grid", None, a.force)?;
    }
    if let Some(log) = &a.log {
        check_writable(log, "--log", None, a.force)?;
    }
    let device = default_device()?;
    let resumed = a.resume.as_ref().map(|p| Checkpoint::load(p)).transpose()?;
    // A resumed run keeps its data and its held-out split unless told otherwise.
    let (folder, hold_out) = match (&a.data, &resumed) {
        (Some(dir), _) => (Some(dir.clone()), a.hold_out.unwrap_or(0)),
        (None, Some(ck)) => {
            let src = ck.meta.data_source.as_str();
            let folder = (!src.is_empty() && src != "embedded").then(|| PathBuf::from(src));
            let hold_out = a.hold_out.unwrap_or(ck.meta.hold_out);
            match (&folder, src.is_empty()) {
                (Some(dir), _) if !dir.exists() => bail!(
                    "the run trained on {}, which is not there any more; pass --data to train on other data",
                    dir.display()
                ),
                (Some(dir), _) => eprintln!("resuming on the run's own data: {}", dir.display()),
                (None, true) => eprintln!(
                    "the checkpoint does not record its data ('{}'); resuming on the embedded MNIST (pass --data to choose)",
                    ck.meta.dataset
                ),
                (None, false) => {}
            }
            (folder, hold_out)
        }
        (None, None) => (None, a.hold_out.unwrap_or(0)),
    };
    let mut data = load_data(folder.as_deref())?;
    if hold_out > 0 {
        if hold_out >= data.len() {
            bail!(
                "--hold-out {hold_out} leaves nothing to train on ({} has {} images)",
                data.name,
                data.len()
            );
        }
        data = data.split_off_last(hold_out).0;
    }
    let data = Arc::new(data);
    let resumed_history = resumed.as_ref().and_then(|ck| ck.meta.history.clone());
    let mut trainer = match (&a.resume, resumed) {
        (Some(path), Some(ck)) => {
            let spec = &ck.meta.model;
            if let Some(id) = a.model.as_deref().filter(|&id| id != spec.family) {
                bail!(
                    "{}: the checkpoint holds a {}, not a {id}; a resumed run keeps its model",
                    path.display(),
                    spec.family
                );
            }
            let family = spec.family().map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
            a.check_options(family)?;
            if let Some(l) = a.latent.filter(|&l| Some(l) != spec.latent_dim()) {
                bail!(
                    "{}: the checkpoint's latent size is {}, not {l}; a resumed run keeps its architecture",
                    path.display(),
                    spec.latent_dim().unwrap_or(0)
                );
            }
            if let Some(seed) = a.seed.filter(|&s| s != ck.meta.train.seed) {
                bail!(
                    "{}: the run was started with seed {}, not {seed}; a resumed run continues its own random stream",
                    path.display(),
                    ck.meta.train.seed
                );
            }
            let new_spec = a.apply_to_spec(spec.clone());
            let mut t = ck.into_trainer(None, data.clone(), &device)?;
            let cfg = a.apply_to(t.config().clone());
            t.set_config(cfg)?;
            t.set_model_config(&new_spec.config)?;
            t
        }
        _ => {
            let id = a.model.as_deref().unwrap_or(family::registry::DEFAULT.id());
            let family = family::find(id).ok_or_else(|| anyhow::anyhow!(family::unknown_family(id)))?;
            a.check_options(family)?;
            let spec = a.apply_to_spec(family.default_spec());
            let cfg = a.apply_to(TrainConfig {
                seed: a.seed.unwrap_or(0),
                ..TrainConfig::for_family(family)
            });
            Trainer::new(&spec, cfg, data.clone(), &device)?
        }
    };
    let options = SaveOptions {
        dtype: if a.f16 {
            candle_core::DType::F16
        } else {
            candle_core::DType::F32
        },
        include_optimizer: !a.f16,
        hold_out,
    };
    // The charts' history goes on from the resumed run's where it fits, so the window opens
    // the checkpoint with its charts; weights-only files for shipping keep none.
    let keys: Vec<&str> = trainer.family().metrics().iter().map(|m| m.key).collect();
    let mut history = resumed_history
        .filter(|h| h.points_for(&keys, trainer.step()).is_some())
        .unwrap_or_else(|| ChartHistory::of(trainer.family()));
    let save = |trainer: &Trainer, history: &ChartHistory| {
        let kept = options.include_optimizer.then(|| history.clone());
        checkpoint::save_with_history(trainer, &a.out, options, kept)
    };
    let interrupted = Arc::new(AtomicBool::new(false));
    {
        let flag = interrupted.clone();
        ctrlc::set_handler(move || flag.store(true, Ordering::SeqCst)).context("cannot install the Ctrl-C handler")?;
    }
    let threads = candle_core::utils::get_num_threads();
    eprintln!(
        "training {} on {} ({} images) with {}, {threads} thread{}; checkpoint → {}",
        trainer.spec(),
        data.name,
        data.len(),
        device_name(&device),
        if threads == 1 { "" } else { "s" },
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
    let family = trainer.family();
    let mut last = None;
    // The last good state, kept in memory: what a NaN or a run-away run saves.
    let mut guard = crate::train::guard::Guard::new(&trainer, GUARD_EVERY)?;
    let mut log = a.log.as_deref().map(|p| StepLog::create(p, &keys)).transpose()?;
    while trainer.step() < a.steps && !interrupted.load(Ordering::SeqCst) {
        let m = match trainer.iteration() {
            Ok(m) => m,
            Err(e) => {
                bar.abandon();
                return Err(save_last_good(
                    &mut trainer,
                    &guard,
                    &a.out,
                    options,
                    &mut history,
                    &e.to_string(),
                    true,
                ));
            }
        };
        let step = trainer.step();
        history.push(step, &m.values);
        if let Some(log) = &mut log {
            log.write(step, &m.values)?;
        }
        if let Some(r) = guard.after_step(&trainer, &m)? {
            let warning = format!(
                "warning: step {step}: {r}: the run is running away (try a lower learning rate); the last good state is step {}",
                guard.last_good_step().unwrap_or(0)
            );
            if bar.is_hidden() {
                eprintln!("{warning}");
            } else {
                bar.println(warning);
            }
        }
        if step % 10 == 0 {
            bar.set_message(metrics_line(family, &m));
        }
        bar.set_position(step);
        if a.save_every > 0 && step % a.save_every == 0 {
            save(&trainer, &history)?;
        }
        last = Some(m);
    }
    bar.finish_and_clear();
    if let Some(log) = log.take() {
        log.finish()?;
    }
    let secs = start.elapsed().as_secs_f64();
    // A run still running away at the end saves its last good state, and says so.
    let runaway = match guard.runaway() {
        Some(r) => Some(r.clone()),
        None => crate::train::guard::check(&trainer, last.as_ref())?,
    };
    if let Some(r) = runaway {
        let why = format!("{r} by step {}", trainer.step());
        return Err(save_last_good(
            &mut trainer,
            &guard,
            &a.out,
            options,
            &mut history,
            &why,
            false,
        ));
    }
    save(&trainer, &history)?;
    let done = trainer.step() - first_step;
    let how = if interrupted.load(Ordering::SeqCst) {
        "interrupted at"
    } else {
        "finished"
    };
    match &last {
        Some(m) => eprintln!(
            "{how} step {} after {done} steps in {secs:.1} s ({:.1} steps/s); {}; saved {}",
            trainer.step(),
            done as f64 / secs.max(1e-9),
            metrics_line(family, m),
            a.out.display()
        ),
        None => eprintln!(
            "already at step {}: nothing to train; saved {}",
            trainer.step(),
            a.out.display()
        ),
    }
    if let Some(grid_path) = &a.grid {
        let latent_dim = trainer.model().latent_dim().unwrap_or(0);
        let z = crate::latent::sample_grid_z(family.conditioning(), latent_dim, trainer.config().seed);
        let images = match trainer.generate_u8(&z)? {
            Some(images) => Some(images),
            None => trainer.showcase_u8()?,
        };
        let Some(images) = images else {
            bail!("the {} has no decoder to draw a grid with", family.label());
        };
        export::save_png(&export::upscale(&export::square_grid(&images, 28, 2), 2), grid_path)?;
        eprintln!("wrote {}", grid_path.display());
    }
    if interrupted.load(Ordering::SeqCst) {
        bail!("interrupted (checkpoint saved to {})", a.out.display());
    }
    Ok(())
}

/// Iterations between two checks (and copies) of the last good state in `train`.
const GUARD_EVERY: u64 = 50;

/// After a failed or run-away run: saves the last good state to `out` and returns the error
/// to print (`why` says what went wrong). With `current_if_healthy` (a NaN: the failing
/// update was not applied), healthy weights now are that state; otherwise the guard's copy
/// is put back first.
fn save_last_good(
    trainer: &mut Trainer,
    guard: &crate::train::guard::Guard,
    out: &Path,
    options: SaveOptions,
    history: &mut ChartHistory,
    why: &str,
    current_if_healthy: bool,
) -> anyhow::Error {
    let healthy_now = current_if_healthy && matches!(crate::train::guard::check(trainer, None), Ok(None));
    let restored = if healthy_now {
        trainer.step()
    } else {
        match guard.recover(trainer) {
            Ok(Some(step)) => step,
            Ok(None) => return anyhow::anyhow!("{why}; no good state to save (nothing was written)"),
            Err(e) => {
                return anyhow::anyhow!("{why}; the last good state could not be restored ({e}); nothing was written");
            }
        }
    };
    history.truncate_after(restored);
    let kept = options.include_optimizer.then(|| history.clone());
    match checkpoint::save_with_history(trainer, out, options, kept) {
        Ok(()) => anyhow::anyhow!(
            "{why}; saved the last good state, step {restored}, to {} (try a lower learning rate)",
            out.display()
        ),
        Err(e) => anyhow::anyhow!("{why}; saving the last good state failed: {e}"),
    }
}

/// `z` with the class and codes asked for on the command line set in every vector; an
/// error naming the option when the model has no such condition or the value is out of range.
fn with_condition(model: &Model, mut z: Vec<f32>, class: Option<usize>, codes: &str) -> Result<Vec<f32>> {
    let c = model.conditioning();
    let l = model.latent_dim();
    let mut class = class;
    let mut values: Vec<(usize, f32)> = Vec::new();
    for part in codes.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let Some((key, value)) = part.split_once('=') else {
            bail!("--code: '{part}' is not of the form c1=3 or c2=0.5");
        };
        let index: usize = key
            .trim()
            .strip_prefix('c')
            .and_then(|n| n.parse().ok())
            .filter(|&n| n >= 1)
            .ok_or_else(|| anyhow::anyhow!("--code: '{key}' is not a code name (c1, c2, …)"))?;
        let value: f32 = value
            .trim()
            .parse()
            .ok()
            .filter(|v: &f32| v.is_finite())
            .ok_or_else(|| anyhow::anyhow!("--code: '{value}' is not a number"))?;
        if index == 1 && c.classes > 0 {
            if value.fract() != 0.0 || value < 0.0 || value >= c.classes as f32 {
                bail!("--code: c1 is a category (0 to {}), not {value}", c.classes - 1);
            }
            class = Some(value as usize);
        } else {
            let code = if c.classes > 0 { index - 2 } else { index - 1 };
            if code >= c.codes {
                bail!(
                    "--code: the {} has no code {key} ({})",
                    model.spec.label(),
                    code_names(c).unwrap_or_else(|| "it has no codes".into())
                );
            }
            values.push((code, value));
        }
    }
    if let Some(class) = class {
        if c.classes == 0 {
            bail!(
                "--class: the {} is not conditional; it takes no class",
                model.spec.label()
            );
        }
        if class >= c.classes {
            bail!("--class {class} is out of range (0 to {})", c.classes - 1);
        }
        z.chunks_mut(l).for_each(|v| c.set_class(v, class));
    }
    for (code, value) in values {
        z.chunks_mut(l).for_each(|v| c.set_code(v, code, value));
    }
    Ok(z)
}

/// "its codes are c1 (0 to 9), c2, c3" for a model with codes.
fn code_names(c: crate::family::Conditioning) -> Option<String> {
    let mut names = Vec::new();
    if c.classes > 0 {
        names.push(format!("c1 (0 to {})", c.classes - 1));
    }
    let first = if c.classes > 0 { 2 } else { 1 };
    names.extend((0..c.codes).map(|i| format!("c{}", first + i)));
    (!names.is_empty()).then(|| format!("its codes are {}", names.join(", ")))
}

/// `latent-lab sample`; returns the paths written.
pub fn sample(a: &SampleArgs) -> Result<Vec<PathBuf>> {
    let device = default_device()?;
    let z_file = ZFile::read(a.z.as_deref())?;
    let model = a.model.load(z_file.as_ref().and_then(|f| f.recipe.as_ref()), &device)?;
    refuse_translator(&model, "sample")?;
    let l = model.latent_dim();
    let z = match &z_file {
        Some(f) => f.z_for(&model)?,
        None => {
            if a.count == 0 {
                bail!("--count must be at least 1");
            }
            model.random_z(a.count, a.seed)
        }
    };
    let z = with_condition(&model, z, a.class, &a.code)?;
    let count = z.len() / l;
    let started = std::time::Instant::now();
    let images = model.decode(&z)?;
    let took = started.elapsed().as_secs_f64();
    std::fs::create_dir_all(&a.out).with_context(|| format!("{}: cannot create the folder", a.out.display()))?;
    let mut written = Vec::with_capacity(count + 1);
    for (i, px) in images.chunks(784).enumerate() {
        let path = a.out.join(format!("sample-{i:04}.png"));
        export::save_png(&export::to_image(px, 28), &path)?;
        written.push(path);
    }
    let cols = (count as f64).sqrt().ceil() as usize;
    let grid_path = a.out.join("grid.png");
    export::save_png(&export::grid(&images, 28, cols, 2), &grid_path)?;
    written.push(grid_path);
    eprintln!(
        "wrote {count} samples and grid.png to {} ({}, {} at step {}); generating took {took:.2} s, {:.1} ms per image",
        a.out.display(),
        model.name,
        model.spec.family,
        model.step,
        1000.0 * took / count.max(1) as f64
    );
    Ok(written)
}

/// `latent-lab encode`: one recipe line per image (its code z).
pub fn encode(a: &EncodeArgs) -> Result<Vec<String>> {
    let device = default_device()?;
    let model = a.model.load(None, &device)?;
    if model.encoder.is_none() {
        bail!(
            "{}: the {} has no encoder; encode needs an autoencoder or a VAE",
            model.name,
            model.spec.label()
        );
    }
    let mut lines = Vec::with_capacity(a.image.len());
    for path in &a.image {
        let image =
            crate::data::image_folder::load_image(path).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
        let z = model
            .encode_images(&image.pixels)?
            .ok_or_else(|| anyhow::anyhow!("{}: the model has no encoder", model.name))?;
        let recipe = Recipe::new(RecipeModel::of(&model.spec), model.source.clone(), model.step, None, z);
        lines.push(recipe.to_text());
    }
    Ok(lines)
}

/// `latent-lab likelihood`: one line per image (its NLL in nats and bits per pixel), then
/// the held-out table if asked.
pub fn likelihood(a: &LikelihoodArgs) -> Result<Vec<String>> {
    if a.image.is_empty() && !a.held_out {
        bail!("give --image FILE… and/or --held-out");
    }
    let device = default_device()?;
    let model = a.model.load(None, &device)?;
    let Some(pixels) = model.pixels.clone() else {
        bail!(
            "{}: the {} gives no likelihood; likelihood needs an autoregressive model (pixelcnn)",
            model.name,
            model.spec.label()
        );
    };
    let bits = crate::family::pixelcnn::bits_per_pixel;
    let mut lines = Vec::new();
    for path in &a.image {
        let image =
            crate::data::image_folder::load_image(path).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
        let levels = crate::family::pixelcnn::levels_of_u8(&image.pixels, pixels.levels());
        let (per_image, _) = pixels.nll(&levels)?;
        let nll = per_image.first().copied().unwrap_or(f32::NAN);
        lines.push(format!(
            "{}: NLL {nll:.1} nats ({:.3} bits/pixel)",
            path.display(),
            bits(nll)
        ));
    }
    if a.held_out {
        let rows =
            crate::quality::likelihood::compare_on_held_out(&model.name, pixels.as_ref(), crate::quality::HELD_OUT)
                .map_err(|e| anyhow::anyhow!("{e}"))?;
        lines.push(format!(
            "the last {} embedded digits (held out of every shipped model), binarised at half grey:",
            crate::quality::HELD_OUT
        ));
        for r in rows {
            use crate::quality::likelihood::LikelihoodKind;
            lines.push(match (r.kind, r.nats) {
                (LikelihoodKind::Exact, Some(n)) => {
                    format!("  {}: exact NLL {n:.1} nats ({:.3} bits/pixel)", r.model, bits(n))
                }
                (LikelihoodKind::Bound, Some(n)) => format!(
                    "  {}: −ELBO {n:.1} nats (an upper bound on its NLL; {:.3} bits/pixel)",
                    r.model,
                    bits(n)
                ),
                _ => format!(
                    "  {}: no likelihood (a GAN defines p(x) only through its samples)",
                    r.model
                ),
            });
        }
    }
    Ok(lines)
}

/// The translator of a checkpoint or a shipped model, with the model's name for people.
pub fn load_translator(choice: &ModelChoice, device: &Device) -> Result<(String, Arc<dyn family::Translator>)> {
    let (name, ck) = match (&choice.checkpoint, &choice.pretrained) {
        (Some(path), _) => (path.display().to_string(), Checkpoint::load(path)?),
        (None, Some(id)) => {
            let p = find_pretrained(id)?;
            (p.label.to_string(), p.checkpoint()?)
        }
        (None, None) => bail!("say which model to use: --checkpoint FILE or --pretrained ID"),
    };
    let label = ck.meta.model.label();
    let seams = ck.seams(None, device)?;
    let Some(t) = seams.translator else {
        bail!("{name}: the {label} does not translate images; translate needs an image-to-image model (pix2pix)");
    };
    Ok((name, t))
}

/// The images `translate` reads: one file, or the image files of a folder (sorted by name).
fn translate_inputs(input: &Path) -> Result<Vec<PathBuf>> {
    if !input.is_dir() {
        return Ok(vec![input.to_path_buf()]);
    }
    let mut files: Vec<PathBuf> = std::fs::read_dir(input)
        .with_context(|| format!("{}: cannot read the folder", input.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.is_file()
                && p.extension().and_then(|e| e.to_str()).is_some_and(|e| {
                    data::image_folder::IMAGE_EXTENSIONS
                        .iter()
                        .any(|k| e.eq_ignore_ascii_case(k))
                })
        })
        .collect();
    files.sort();
    if files.is_empty() {
        bail!("{}: no images (PNG, JPEG, BMP) in this folder", input.display());
    }
    Ok(files)
}

/// Refuses a translation model (no latent space) for `command`, pointing to `translate`.
fn refuse_translator(model: &Model, command: &str) -> Result<()> {
    if model.decoder.is_none() {
        bail!(
            "{}: the {} has no latent space to {command} from (it translates images); use `latent-lab translate`",
            model.name,
            model.spec.label()
        );
    }
    Ok(())
}

/// `latent-lab translate`.
pub fn translate(a: &TranslateArgs) -> Result<Vec<String>> {
    if a.input.is_none() && !a.held_out {
        bail!("give --input FILE_OR_FOLDER --out DIR, and/or --held-out");
    }
    let device = default_device()?;
    let (name, translator) = load_translator(&a.model, &device)?;
    let mut lines = Vec::new();
    if let Some(input) = &a.input {
        let Some(out) = &a.out else {
            bail!("--input needs --out DIR");
        };
        let files = translate_inputs(input)?;
        // Everything is read and every output name checked before anything is written.
        let mut pixels = Vec::with_capacity(files.len() * 784);
        let mut targets = Vec::with_capacity(files.len());
        for f in &files {
            let image = data::image_folder::load_image(f).map_err(|e| anyhow::anyhow!("{}: {e}", f.display()))?;
            pixels.extend_from_slice(&image.pixels);
            let stem = f
                .file_stem()
                .map_or_else(|| "image".into(), |s| s.to_string_lossy().into_owned());
            let target = out.join(format!("{stem}.png"));
            if target.exists() && !a.force {
                bail!(
                    "{} already exists; pass --force to replace it, or choose another --out (nothing was written)",
                    target.display()
                );
            }
            targets.push(target);
        }
        std::fs::create_dir_all(out).with_context(|| format!("{}: cannot make the folder", out.display()))?;
        let outputs = translator.translate_u8(&pixels)?;
        for (img, target) in outputs.chunks(784).zip(&targets) {
            let g = image::GrayImage::from_raw(28, 28, img.to_vec())
                .ok_or_else(|| anyhow::anyhow!("a translation is not 28×28"))?;
            export::save_png(&g, target)?;
        }
        lines.push(format!(
            "{name} ({}): translated {} image(s) into {}",
            translator.task_label(),
            files.len(),
            out.display()
        ));
    }
    if a.held_out {
        let report = crate::quality::translation::held_out_report(translator.as_ref(), crate::quality::HELD_OUT)
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        lines.push(format!(
            "{name} ({}) on the last {} embedded digits (held out of every shipped model):",
            translator.task_label(),
            report.count
        ));
        lines.extend(report.lines());
        if let (Some(out), false) = (&a.out, a.input.is_some()) {
            std::fs::create_dir_all(out).with_context(|| format!("{}: cannot make the folder", out.display()))?;
            let path = out.join("held-out-strip.png");
            if path.exists() && !a.force {
                bail!("{} already exists; pass --force to replace it", path.display());
            }
            export::save_png(&export::upscale(&export::grid(&report.strip, 28, 6, 2), 3), &path)?;
            lines.push(format!("wrote {}", path.display()));
        }
    }
    Ok(lines)
}

/// Most samples `score` judges at once.
pub const MAX_SCORE_COUNT: usize = 100_000;

/// One row of `latent-lab score`.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ScoreRow {
    /// What was judged: a folder, a checkpoint, or `pretrained:<id>`.
    pub source: String,
    /// The judge's figures.
    pub quality: crate::quality::Quality,
    /// The family's own figure on the held-out digits (the autoencoder's reconstruction
    /// loss, the VAE's −ELBO), as (label, value), where it has one.
    pub family_figure: Option<(String, f32)>,
}

/// `latent-lab score`: the text (or JSON) to print.
pub fn score(a: &ScoreArgs) -> Result<String> {
    if !(2..=MAX_SCORE_COUNT).contains(&a.count) {
        bail!("--count {} is out of range (2 to {MAX_SCORE_COUNT})", a.count);
    }
    let judge = crate::quality::Judge::shipped().map_err(|e| anyhow::anyhow!("the built-in judge: {e}"))?;
    let reference = crate::quality::Reference::shipped().map_err(|e| anyhow::anyhow!("the built-in judge: {e}"))?;
    let device = Device::Cpu;
    let judged = |pixels: &[u8]| -> Result<crate::quality::Quality> {
        Ok(crate::quality::Quality::of(&judge.judge_u8(pixels)?, reference))
    };
    // A conditional model is asked for every class in turn; the judge then says how many
    // came out as the class asked for.
    let samples = |model: &Model| -> Result<crate::quality::Quality> {
        if model.decoder.is_none() {
            bail!(
                "{}: the {} generates nothing from z to judge; measure it with `latent-lab translate --held-out`",
                model.name,
                model.spec.label()
            );
        }
        let (l, c) = (model.latent_dim(), model.conditioning());
        let z = c.draw_balanced(&mut Rng::derive(a.seed, "explore"), a.count, l);
        let v = judge.judge_u8(&model.decode(&z)?)?;
        let asked = c.classes_of(&z, l);
        Ok(if c.learned {
            crate::quality::Quality::of_codes(&v, reference, &asked)
        } else {
            crate::quality::Quality::of_requested(&v, reference, &asked)
        })
    };
    let mut rows = Vec::new();
    if let Some(dir) = &a.dir {
        let data = data::load_folder(dir)?;
        data.check_model_input()?;
        let n = data.len().min(a.count);
        if n < 2 {
            bail!("{}: {n} image(s); scoring needs at least 2", dir.display());
        }
        rows.push(ScoreRow {
            source: dir.display().to_string(),
            quality: judged(&data.pixels[..n * 784])?,
            family_figure: None,
        });
    } else if a.all_pretrained {
        let held = data::embedded_mnist_static()?
            .split_off_last(crate::quality::HELD_OUT)
            .1;
        let idx: Vec<usize> = (0..held.len()).collect();
        let x = held.batch_tensor(&idx, &device)?;
        for p in pretrained::ALL.iter() {
            let model = p.load(&device)?;
            if model.decoder.is_none() {
                // A translation model generates nothing from z: `translate --held-out` measures it.
                continue;
            }
            let ck = p.checkpoint()?;
            let built = ck.build_model(None, &device)?;
            let family_figure = match built.evaluate(&x, &mut Rng::new(7)) {
                Some(out) => {
                    let out = out?;
                    let label = built.family().metrics().first().map_or("", |m| m.label);
                    out.values.first().map(|&v| (label.to_string(), v))
                }
                None => None,
            };
            rows.push(ScoreRow {
                source: p.source(),
                quality: samples(&model)?,
                family_figure,
            });
        }
    } else {
        let model = a.model.load(None, &device)?;
        rows.push(ScoreRow {
            source: model.source.clone(),
            quality: samples(&model)?,
            family_figure: None,
        });
    }
    if a.json {
        let json = serde_json::json!({
            "judge_held_out_accuracy": reference.accuracy,
            "rows": rows,
        });
        return Ok(serde_json::to_string_pretty(&json)?);
    }
    let mut out = format!(
        "judge: the built-in digit judge (held-out accuracy {:.2} %); Fréchet distance to the {} held-out digits\n",
        100.0 * reference.accuracy,
        crate::quality::HELD_OUT
    );
    for r in &rows {
        let q = &r.quality;
        out.push_str(&format!("{}: {}", r.source, q.summary()));
        if let Some((label, v)) = &r.family_figure {
            out.push_str(&format!(" · held-out {label} {v:.1}"));
        }
        out.push_str("\n  classes:");
        for (c, h) in q.histogram.iter().enumerate() {
            out.push_str(&format!(" {c}:{:.0}%", 100.0 * h));
        }
        out.push('\n');
    }
    Ok(out.trim_end().to_string())
}

impl ModelChoice {
    /// The model chosen; with neither option, the shipped model `recipe` names.
    pub fn load(&self, recipe: Option<&Recipe>, device: &Device) -> Result<Model> {
        Ok(match (&self.checkpoint, &self.pretrained) {
            (Some(path), _) => Model::open(path, device)?,
            (None, Some(id)) => find_pretrained(id)?.load(device)?,
            (None, None) => match recipe.and_then(|r| pretrained::from_source(&r.source)) {
                Some(p) => p.load(device)?,
                None => bail!("say which model to use: --checkpoint FILE or --pretrained ID"),
            },
        })
    }
}

/// A z file: its text and its first recipe, if it has one (a file of plain numbers has none).
struct ZFile {
    path: PathBuf,
    text: String,
    recipe: Option<Recipe>,
}

impl ZFile {
    /// Reads `path`, if given.
    fn read(path: Option<&Path>) -> Result<Option<Self>> {
        let Some(path) = path else {
            return Ok(None);
        };
        let text = std::fs::read_to_string(path).with_context(|| format!("{}: cannot read", path.display()))?;
        let recipe = text
            .lines()
            .map(str::trim)
            .find(|l| l.starts_with('{'))
            .map(|l| Recipe::parse(l).map_err(|e| anyhow::anyhow!("{}: {e}", path.display())))
            .transpose()?;
        Ok(Some(Self {
            path: path.to_path_buf(),
            text,
            recipe,
        }))
    }

    /// The latent vectors for `model` (flat), refusing a recipe of another model.
    fn z_for(&self, model: &Model) -> Result<Vec<f32>> {
        let at = |e: String| anyhow::anyhow!("{}: {e}", self.path.display());
        if let Some(r) = &self.recipe {
            r.check_model(model.config()).map_err(|e| at(e.to_string()))?;
        }
        parse_z_text_for(&self.text, model.latent_dim(), Some(model.config())).map_err(at)
    }
}

/// `latent-lab interpolate`; returns the paths written.
pub fn interpolate(a: &InterpolateArgs) -> Result<Vec<PathBuf>> {
    let device = default_device()?;
    let z_file = ZFile::read(a.z.as_deref())?;
    let model = a.model.load(z_file.as_ref().and_then(|f| f.recipe.as_ref()), &device)?;
    if model.pixels.is_some() {
        bail!(
            "{}: the {} has no latent code to walk through (its z is sampling noise, one value per pixel); interpolate needs a GAN, an autoencoder or a VAE",
            model.name,
            model.spec.label()
        );
    }
    refuse_translator(&model, "interpolate")?;
    let l = model.latent_dim();
    let (za, zb) = match &z_file {
        Some(f) => {
            let z = f.z_for(&model)?;
            if z.len() != 2 * l {
                bail!(
                    "{}: needs exactly two latent vectors (A and B), found {}",
                    f.path.display(),
                    z.len() / l
                );
            }
            (z[..l].to_vec(), z[l..].to_vec())
        }
        None => (model.random_z(1, a.from), model.random_z(1, a.to)),
    };
    if !(2..=256).contains(&a.frames) {
        bail!("--frames must be between 2 and 256");
    }
    std::fs::create_dir_all(&a.out).with_context(|| format!("{}: cannot create the folder", a.out.display()))?;
    let mut strips = Vec::new();
    let mut written = Vec::new();
    for how in crate::latent::Interpolation::ALL {
        let z = crate::latent::path(&za, &zb, a.frames, how);
        let images = model.decode(&z)?;
        let name = match how {
            crate::latent::Interpolation::Linear => "linear",
            crate::latent::Interpolation::Spherical => "spherical",
        };
        let gif = a.out.join(format!("{name}.gif"));
        export::save_ping_pong_gif(&images, 8, crate::ui::FRAME_MS, &gif)?;
        if let Some(scores) = model.score(&z)? {
            let s: Vec<String> = scores.iter().map(|s| format!("{s:.2}")).collect();
            eprintln!("{name}: D's score per frame: {}", s.join(" "));
        }
        written.push(gif);
        strips.push(images);
    }
    let png = a.out.join("interpolation.png");
    let refs: Vec<&[u8]> = strips.iter().map(Vec::as_slice).collect();
    export::save_strips_png(&refs, &png)?;
    written.push(png);
    eprintln!(
        "wrote interpolation.png, linear.gif and spherical.gif to {} ({} frames, {} at step {})",
        a.out.display(),
        a.frames,
        model.name,
        model.step
    );
    Ok(written)
}

/// The shipped model `id`, or an error listing the ones there are.
fn find_pretrained(id: &str) -> Result<&'static pretrained::Pretrained> {
    pretrained::find(id).ok_or_else(|| {
        let ids: Vec<&str> = pretrained::ALL.iter().map(|p| p.id).collect();
        anyhow::anyhow!("no shipped model '{id}' (there are: {})", ids.join(", "))
    })
}

fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(|a, b| a.total_cmp(b));
    xs.get(xs.len() / 2).copied().unwrap_or(f64::NAN)
}

/// `latent-lab bench --ui`: the window's frame times and the explorer's latency, as JSON.
fn bench_ui(a: &BenchArgs) -> Result<serde_json::Value> {
    crate::worker::configure_trainer_threads(a.threads);
    let round = |x: f32| (f64::from(x) * 1000.0).round() / 1000.0;
    let mut runs = Vec::new();
    // The training screen while each model trains, then the explorer's sliders on each
    // shipped model while an MLP GAN trains.
    let default = family::registry::DEFAULT.id();
    let targets = family::ALL
        .iter()
        .map(|f| (f.id(), None))
        .chain(pretrained::ALL.iter().map(|p| (default, Some(p.id.to_string()))));
    for (kind, explore) in targets {
        let opts = crate::ui::BenchOptions {
            seconds: a.seconds as f32,
            model: kind,
            explore: explore.clone(),
            ..Default::default()
        };
        let r = crate::ui::bench_frames_with(&opts)?;
        match &explore {
            Some(id) => eprintln!("explore {id} while {kind} trains: {r}"),
            None => eprintln!("training screen, {kind} training: {r}"),
        }
        let mut v = serde_json::json!({
            "screen": if explore.is_some() { "explore (sliders)" } else { "train" },
            "training": kind,
            "frame_p50_ms": round(r.frame.p50_ms),
            "frame_p95_ms": round(r.frame.p95_ms),
            "frame_max_ms": round(r.frame.max_ms),
            "frames": r.frames,
            "training_steps_per_s": round(r.steps_per_sec),
        });
        if let (Some(id), Some(d)) = (&explore, r.decode) {
            v["model"] = serde_json::json!(id);
            v["decode_upload_p50_ms"] = serde_json::json!(round(d.p50_ms));
            v["decode_upload_p95_ms"] = serde_json::json!(round(d.p95_ms));
            v["slider_changes"] = serde_json::json!(d.count);
        }
        runs.push(v);
    }
    let device = default_device()?;
    Ok(serde_json::json!({ "machine": machine_info(&device), "ui": runs }))
}

/// `latent-lab bench`: returns the JSON report.
pub fn bench(a: &BenchArgs) -> Result<serde_json::Value> {
    if a.ui {
        return bench_ui(a);
    }
    set_compute_threads(a.threads);
    if a.time_to_digits {
        return on_compute_pool(|| time_to_digits(a));
    }
    on_compute_pool(|| bench_on_pool(a))
}

/// `spec` with each `KEY=VALUE` of `settings` put in; a key the family does not have is
/// refused, naming the ones it has. A value is read as JSON, or else as a string.
pub fn with_settings(mut spec: ModelSpec, settings: &[String]) -> Result<ModelSpec> {
    // A setting left out of the file at its default (the DCGAN's fc_units) is still one.
    let declared = spec.family().map_or(&[][..], |f| f.option_keys());
    let Some(obj) = spec.config.as_object_mut() else {
        bail!("the {} has no settings to set", spec.family);
    };
    for s in settings {
        let Some((key, value)) = s.split_once('=') else {
            bail!("--set {s}: expected KEY=VALUE");
        };
        let (key, value) = (key.trim(), value.trim());
        if !obj.contains_key(key) && !declared.iter().any(|(_, k)| *k == key) {
            let mut keys: Vec<&str> = obj.keys().map(String::as_str).collect();
            keys.extend(declared.iter().map(|(_, k)| *k).filter(|k| !obj.contains_key(*k)));
            bail!(
                "--set {s}: the {} has no setting '{key}' (it has: {})",
                spec.family,
                keys.join(", ")
            );
        }
        let v = serde_json::from_str(value).unwrap_or_else(|_| serde_json::Value::String(value.to_string()));
        obj.insert(key.to_string(), v);
    }
    Ok(spec)
}

/// `latent-lab bench --time-to-digits`: one report per model and batch size.
fn time_to_digits(a: &BenchArgs) -> Result<serde_json::Value> {
    use crate::quality::time_to_digits::{Schedule, measure};
    if !(a.limit > 0.0 && a.limit <= 3600.0) {
        bail!("--limit {} is out of range (above 0, at most 3600 seconds)", a.limit);
    }
    if !(a.judge_every > 0.0 && a.judge_every <= a.limit) {
        bail!(
            "--judge-every {} is out of range (above 0, at most --limit)",
            a.judge_every
        );
    }
    let device = default_device()?;
    let models: Vec<String> = if a.model.is_empty() {
        vec!["mlp-gan".into(), "dcgan".into()]
    } else {
        a.model.clone()
    };
    let schedule = Schedule {
        limit: Duration::from_secs_f64(a.limit),
        judge_every: Duration::from_secs_f64(a.judge_every),
        to_limit: a.to_limit,
    };
    let mut reports = Vec::new();
    for kind in &models {
        let spec = with_settings(ModelSpec::of(kind)?, &a.settings)?;
        let family = spec.family()?;
        let base = TrainConfig {
            seed: a.seed,
            ..TrainConfig::for_family(family)
        };
        let batches = if a.batch.is_empty() {
            vec![base.batch_size]
        } else {
            a.batch.clone()
        };
        for &batch in &batches {
            let mut cfg = TrainConfig {
                batch_size: batch,
                ..base.clone()
            };
            for (id, o) in cfg.optimizers.iter_mut() {
                if let Some(lr) = a.lr {
                    o.lr = lr;
                }
                match id.as_str() {
                    "g" => o.lr = a.lr_g.unwrap_or(o.lr),
                    "d" => o.lr = a.lr_d.unwrap_or(o.lr),
                    _ => {}
                }
            }
            let lrs: Vec<String> = cfg.optimizers.iter().map(|(id, o)| format!("{id} {}", o.lr)).collect();
            eprintln!("{kind}, batch {batch}, lr {}, settings {}", lrs.join(", "), spec.config);
            let report = measure(&spec, cfg, &schedule, &device, |p| eprintln!("  {}", p.line()))
                .map_err(|e| anyhow::anyhow!(e))?;
            eprintln!("{}", report.line());
            reports.push(serde_json::json!({
                "report": report,
                "settings": spec.config,
                "lr": lrs.join(", "),
            }));
        }
    }
    Ok(serde_json::json!({ "machine": machine_info(&device), "time_to_digits": reports }))
}

fn bench_on_pool(a: &BenchArgs) -> Result<serde_json::Value> {
    let device = default_device()?;
    let data = Arc::new(data::embedded_mnist()?);
    let models: Vec<String> = if a.model.is_empty() {
        family::ALL.iter().map(|f| f.id().to_string()).collect()
    } else {
        a.model.clone()
    };
    let mut results = Vec::new();
    for kind in &models {
        let spec = with_settings(ModelSpec::of(kind)?, &a.settings)?;
        let family = spec.family()?;
        let latent_dim = spec.input_dim().unwrap_or(0);
        let batches = if a.batch.is_empty() {
            vec![64, 128]
        } else {
            a.batch.clone()
        };
        for &batch in &batches {
            let cfg = TrainConfig {
                batch_size: batch,
                ..TrainConfig::for_family(family)
            };
            let mut t = Trainer::new(&spec, cfg, data.clone(), &device)?;
            // Training steps alone, as the PyTorch reference times them: no held-out figures.
            t.set_held_out(false);
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
            let seams = t.seams()?;
            // Decoding n images from z; for a translation model, translating n inputs made
            // from the first digits of the data.
            let decode = |n: usize| -> Result<f64> {
                let once: Box<dyn Fn() -> Result<()>> = match (&seams.decoder, &seams.translator) {
                    (Some(g), _) => {
                        let z = Tensor::from_vec(Rng::new(1).normal_vec(n * latent_dim), (n, latent_dim), &device)?;
                        Box::new(move || {
                            let _ = g.decode(&z)?.flatten_all()?.to_vec1::<f32>()?;
                            Ok(())
                        })
                    }
                    (None, Some(tr)) => {
                        let mut rng = Rng::new(1);
                        let inputs: Vec<u8> = (0..n)
                            .flat_map(|i| tr.prepare(data.image(i % data.len()), &mut rng))
                            .collect();
                        Box::new(move || {
                            tr.translate_u8(&inputs)?;
                            Ok(())
                        })
                    }
                    (None, None) => bail!("the {kind} has no decoder"),
                };
                once()?;
                let mut times = Vec::new();
                let t0 = Instant::now();
                while times.len() < 5 || (t0.elapsed() < Duration::from_secs(1) && times.len() < 200) {
                    let s = Instant::now();
                    once()?;
                    times.push(s.elapsed().as_secs_f64() * 1e3);
                }
                Ok(median(times))
            };
            let produces = seams.decoder.is_some() || seams.translator.is_some();
            let (decode_1_ms, decode_64_ms) = if a.no_decode || !produces {
                eprintln!("{kind} batch {batch}: {steps_per_s:.2} steps/s");
                (None, None)
            } else {
                let (d1, d64) = (decode(1)?, decode(64)?);
                eprintln!(
                    "{kind} batch {batch}: {steps_per_s:.2} steps/s, decode 1: {d1:.3} ms, decode 64: {d64:.2} ms"
                );
                (
                    Some((d1 * 1000.0).round() / 1000.0),
                    Some((d64 * 1000.0).round() / 1000.0),
                )
            };
            results.push(serde_json::json!({
                "model": kind,
                "settings": spec.config,
                "batch": batch,
                "steps_per_s": (steps_per_s * 100.0).round() / 100.0,
                "decode_1_ms": decode_1_ms,
                "decode_64_ms": decode_64_ms,
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
