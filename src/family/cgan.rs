//! The conditional GANs (`cgan`, `conv-cgan`; Mirza & Osindero, 2014): a GAN a person can
//! steer. G(z, y) reads z followed by the one-hot class y; D(x, y) reads the image with the
//! same one-hot class joined to it — after the pixels for the MLP, as ten constant feature
//! maps beside the image for the DCGAN-style network ([`crate::nets::GanArch::join_label`]).
//!
//! Why joined and not by projection (Miyato & Koyama, 2018): a one-hot input into a linear
//! layer *is* a learned class embedding added to that layer's output, so joining is the
//! embedding of the paper with nothing else changed; the bodies stay the GAN's own networks
//! (the course's GAN and cGAN differ only in their inputs), and with ten classes the
//! projection discriminator's advantage — scaling to hundreds of classes — does not arise.
//!
//! Training is Algorithm 1 with labels: D sees real digits with their true labels and fakes
//! with the classes G was asked for (drawn uniformly); G is asked for uniform classes. The
//! run's sample grid has one row per class at a fixed z per column, and the judge measures
//! the **label accuracy**: does a requested 3 come out as a 3 ([`crate::quality`]).

use super::gan::{GAN, GanFamily};
use super::{Conditioning, Declaration};
use crate::nets::GanArch;

/// Classes of the digits.
pub const CLASSES: usize = 10;

/// The conditioning of both: ten one-hot values after z.
pub const CONDITIONING: Conditioning = Conditioning {
    classes: CLASSES,
    codes: 0,
    learned: false,
};

/// The MLP conditional GAN.
pub const CGAN: GanFamily = GanFamily {
    arch: GanArch::MlpGan,
    declaration: &Declaration {
        id: "cgan",
        label: "Conditional GAN",
        summary: "the MLP GAN with the digit's class joined to G's and D's inputs (Mirza & Osindero, 2014)",
        min_batch: (1, ""),
        conditioning: CONDITIONING,
        ..GAN
    },
    fresh: super::gan::PAPER,
    lr: super::gan::PAPER_LR,
};

/// The DCGAN-style conditional GAN.
pub const CONV_CGAN: GanFamily = GanFamily {
    arch: GanArch::Dcgan,
    declaration: &Declaration {
        id: "conv-cgan",
        label: "Conditional DCGAN",
        summary: "the DCGAN with the digit's class joined to G's input and as feature maps to D's",
        min_batch: (2, " (batch norm needs two samples)"),
        conditioning: CONDITIONING,
        ..GAN
    },
    fresh: super::gan::PAPER,
    lr: super::gan::PAPER_LR,
};
