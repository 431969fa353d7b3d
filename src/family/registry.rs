//! The list of every model family: one line each. The command line's `--model`, the
//! window's model picker, `bench`, checkpoints and the tests all iterate it. The toy game's
//! family trains on points, not images, and the digit judge is a classifier, not a generative
//! model: both sit beside the list of image families.

use super::Family;

/// Every family that trains on images, in menu order.
pub const ALL: &[&dyn Family] = &[
    &super::gan::MLP_GAN,
    &super::gan::DCGAN,
    &super::ae::AE,
    &super::ae::CONV_AE,
    &super::vae::VAE,
    &super::vae::CONV_VAE,
    &super::cgan::CGAN,
    &super::cgan::CONV_CGAN,
    &super::infogan::INFOGAN,
    &super::pixelcnn::PIXELCNN,
    &super::pix2pix::PIX2PIX,
    &super::cyclegan::CYCLEGAN,
];

/// The family a fresh run and the window start with.
pub const DEFAULT: &dyn Family = &super::gan::MLP_GAN;

/// The toy game's family (Algorithm 1 on 1-D and 2-D points; the Game tab).
pub const TOY: &dyn Family = &super::toy::TOY_GAN;

/// The digit judge: a classifier of digits, the yardstick of the generative families.
pub const JUDGE: &dyn Family = &super::judge::JUDGE;

/// Every registered family: [`ALL`], then [`TOY`] and [`JUDGE`].
pub fn every() -> impl Iterator<Item = &'static dyn Family> {
    ALL.iter().copied().chain([TOY, JUDGE])
}

/// The family with registry id `id`.
pub fn find(id: &str) -> Option<&'static dyn Family> {
    every().find(|f| f.id() == id)
}
