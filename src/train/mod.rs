//! The trainer: the loop every model family shares ([`Trainer`]: the family's step, its
//! optimizers, the data and the seeded random stream), losses, optimizers, checkpoints, and
//! the toy game on 1-D/2-D data ([`toy`]), a run of the toy GAN family on the same loop.
//!
//! Nothing under here knows about egui: the same [`Trainer`] runs behind the
//! window (on the worker thread) and behind `latent-lab train`.

pub mod alloc;
pub mod checkpoint;
pub mod guard;
pub mod loss;
pub mod metrics;
pub mod optim;
pub mod toy;
pub mod trainer;

pub use checkpoint::{Checkpoint, CheckpointError};
pub use loss::GeneratorLoss;
pub use optim::{Optimizer, OptimizerConfig, OptimizerKind};
pub use toy::{ToyConfig, ToyFrame, ToyGame, ToyUpdate};
pub use trainer::{TrainConfig, TrainError, Trainer};
