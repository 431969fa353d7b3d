//! The list of every model family: one line each. The command line's `--model`, the
//! window's model picker, `bench`, checkpoints and the tests all iterate it.

use super::Family;

/// Every family, in menu order.
pub const ALL: &[&dyn Family] = &[
    &super::gan::MLP_GAN,
    &super::gan::DCGAN,
    &super::ae::AE,
    &super::ae::CONV_AE,
    &super::vae::VAE,
    &super::vae::CONV_VAE,
];

/// The family a fresh run and the window start with.
pub const DEFAULT: &dyn Family = &super::gan::MLP_GAN;

/// The family with registry id `id`.
pub fn find(id: &str) -> Option<&'static dyn Family> {
    ALL.iter().copied().find(|f| f.id() == id)
}
