//! # Latent Lab
//!
//! A desktop app for watching generative models learn and for exploring their
//! latent spaces. Data flows one way — **dataset → trainer (worker thread) →
//! events → UI** — and commands flow back from the UI to the worker.
//!
//! - [`data`]: datasets (the embedded MNIST, IDX folders, image folders).
//! - [`family`]: the model families of the course behind one interface, and their registry.
//! - [`nets`]: candle networks and the fused CPU kernels they run on.
//! - [`train`]: the trainer — losses, optimizers, metrics, checkpoints. No egui.
//! - [`worker`]: the training thread and its typed `Command` / `Event` messages.
//! - [`ui`]: the eframe app, one file per panel.
//! - [`latent`]: the latent space without UI — interpolation, arithmetic, recipes,
//!   principal directions, the latent plane, and a thread for the heavier work.
//! - [`quality`]: sample quality by the built-in digit judge (recognisable share, classes,
//!   classifier Fréchet distance).
//! - [`classroom`]: teaching games without UI ("you are the discriminator").
//! - [`export`]: grids, PNG and GIF files.
//! - [`cli`]: the headless commands (`train`, `sample`, `bench`).
//! - [`rng`]: the seeded random number generator everything deterministic uses.
//! - [`threads`]: the private thread pools background tensor work runs on.
//! - [`device`]: the device training runs on (`--device`: CPU, CUDA or Metal).

pub mod classroom;
pub mod cli;
pub mod data;
pub mod device;
pub mod export;
pub mod family;
pub mod latent;
pub mod nets;
pub mod quality;
pub mod rng;
pub mod threads;
pub mod train;
pub mod ui;
pub mod worker;
