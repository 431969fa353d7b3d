//! Sample quality, measured by the built-in digit judge ([`crate::family::judge`]): for any
//! set of 28×28 images, the share the judge recognises (its top probability ≥ 0.9), the
//! class histogram and its normalised entropy, the classes covered (≥ 2 % of the images),
//! and the Fréchet distance between the judge's penultimate features of the images and of
//! the 1,000 held-out real digits (a "classifier FID": the Fréchet inception distance of
//! Heusel et al., 2017, with the judge in place of Inception).
//!
//! The shipped judge (`models/judge.safetensors`) was trained without the last 1,000
//! embedded digits, which no shipped model trains on either; they are the reference set.
//! Fréchet distances depend on the sample size, so each figure comes with what real digits
//! (from the training part) score against the reference at the same size
//! ([`Reference::real_baseline`]).

pub mod frechet;
pub mod likelihood;
pub mod time_to_digits;
pub mod translation;

use std::sync::{Arc, OnceLock};

use candle_core::{Device, Tensor};
use serde::{Deserialize, Serialize};

use crate::family::Classifier;
use crate::family::judge::{CLASSES, FEATURES};
use crate::train::{Checkpoint, CheckpointError};

pub use frechet::{FeatureStats, frechet_distance};

/// The shipped judge's file, embedded.
const JUDGE_BYTES: &[u8] = include_bytes!("../../models/judge.safetensors");
/// Its name under `models/`.
pub const JUDGE_FILE: &str = "judge.safetensors";
/// Held-out digits: the last this many of the embedded MNIST (the reference set).
pub const HELD_OUT: usize = 1000;
/// Samples judged for the window's live quality chart and for the time to digits.
pub const LIVE_COUNT: usize = 500;
/// A sample counts as recognised when the judge's top probability reaches this.
pub const RECOGNISED_AT: f32 = 0.9;
/// A class counts as covered when it gets at least this share of the samples.
pub const COVERED_AT: f32 = 0.02;
/// Images judged per batch.
const CHUNK: usize = 250;

/// The judge's verdict on a set of images.
#[derive(Debug, Clone, PartialEq)]
pub struct Verdicts {
    /// Class probabilities, [`CLASSES`] per image.
    pub probs: Vec<f32>,
    /// Penultimate features, [`FEATURES`] per image.
    pub features: Vec<f32>,
}

impl Verdicts {
    /// Images judged.
    pub fn len(&self) -> usize {
        self.probs.len() / CLASSES
    }
    /// Whether none was.
    pub fn is_empty(&self) -> bool {
        self.probs.is_empty()
    }
    /// The judge's class and its probability for image `i`.
    pub fn top(&self, i: usize) -> (usize, f32) {
        let p = &self.probs[i * CLASSES..][..CLASSES];
        p.iter()
            .copied()
            .enumerate()
            .fold((0, f32::NEG_INFINITY), |a, (c, v)| if v > a.1 { (c, v) } else { a })
    }
}

/// The built-in digit judge: a frozen classifier.
#[derive(Clone)]
pub struct Judge {
    classifier: Arc<dyn Classifier>,
    device: Device,
}

impl std::fmt::Debug for Judge {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Judge")
    }
}

impl Judge {
    /// The judge of a checkpoint of the `judge` family.
    pub fn from_checkpoint(ck: &Checkpoint, device: &Device) -> Result<Self, CheckpointError> {
        let seams = ck.seams(Some("judge"), device)?;
        let classifier = seams.classifier.ok_or_else(|| CheckpointError::BadModel {
            path: std::path::PathBuf::from(JUDGE_FILE),
            message: "the checkpoint has no classifier".into(),
        })?;
        Ok(Self {
            classifier,
            device: device.clone(),
        })
    }

    /// The shipped judge (loaded once; it is embedded, so this fails only on a broken build).
    pub fn shipped() -> Result<Self, String> {
        static SHIPPED: OnceLock<Result<Judge, String>> = OnceLock::new();
        SHIPPED
            .get_or_init(|| {
                Checkpoint::from_bytes(JUDGE_BYTES, std::path::Path::new(JUDGE_FILE))
                    .and_then(|ck| Judge::from_checkpoint(&ck, &Device::Cpu))
                    .map_err(|e| e.to_string())
            })
            .clone()
    }

    /// Judges 8-bit 28×28 images (784 bytes each; 0 is background).
    pub fn judge_u8(&self, pixels: &[u8]) -> candle_core::Result<Verdicts> {
        let per = crate::nets::IMAGE_SIDE * crate::nets::IMAGE_SIDE;
        let mut out = Verdicts {
            probs: Vec::with_capacity(pixels.len() / per * CLASSES),
            features: Vec::with_capacity(pixels.len() / per * FEATURES),
        };
        for chunk in pixels.chunks(CHUNK * per) {
            let x = crate::family::images_from_u8(chunk, &self.device)?;
            self.push(&x, &mut out)?;
        }
        Ok(out)
    }

    /// Judges images `(B, 1, 28, 28)` in [-1, 1].
    pub fn judge(&self, images: &Tensor) -> candle_core::Result<Verdicts> {
        let mut out = Verdicts {
            probs: Vec::new(),
            features: Vec::new(),
        };
        let n = images.dim(0)?;
        let mut start = 0;
        while start < n {
            let len = CHUNK.min(n - start);
            self.push(&images.narrow(0, start, len)?, &mut out)?;
            start += len;
        }
        Ok(out)
    }

    fn push(&self, x: &Tensor, out: &mut Verdicts) -> candle_core::Result<()> {
        let (probs, features) = self.classifier.classify(x)?;
        out.probs.extend(probs.flatten_all()?.to_vec1::<f32>()?);
        out.features.extend(features.flatten_all()?.to_vec1::<f32>()?);
        Ok(())
    }
}

/// What real digits look like to the judge: the held-out digits' feature statistics, and
/// the digits of the training part for baselines.
#[derive(Debug)]
pub struct Reference {
    /// Feature statistics of the held-out digits.
    pub held_out: FeatureStats,
    /// Features of the first 5,000 training-part digits (for [`Reference::real_baseline`]).
    train_features: Vec<f32>,
    /// The held-out digits' labels.
    pub labels: Vec<u8>,
    /// The judge's accuracy on the held-out digits.
    pub accuracy: f32,
}

static REFERENCE: OnceLock<Result<Reference, String>> = OnceLock::new();

impl Reference {
    /// The reference of the shipped judge on the embedded digits (computed once; the first
    /// call takes about half a second).
    pub fn shipped() -> Result<&'static Reference, String> {
        REFERENCE
            .get_or_init(|| {
                let judge = Judge::shipped()?;
                let data = crate::data::embedded_mnist_static().map_err(|e| e.to_string())?;
                Reference::new(&judge, data).map_err(|e| e.to_string())
            })
            .as_ref()
            .map_err(Clone::clone)
    }

    /// The shipped reference if it has been computed, without waiting for it.
    pub fn ready() -> Option<&'static Reference> {
        REFERENCE.get().and_then(|r| r.as_ref().ok())
    }

    /// Starts computing the shipped reference on a thread of its own (if not done yet).
    pub fn warm() {
        if REFERENCE.get().is_none() {
            let _ = std::thread::Builder::new()
                .name("judge-reference".into())
                .spawn(|| drop(Reference::shipped()));
        }
    }

    /// The reference of `judge` on `data` (its last [`HELD_OUT`] digits held out).
    pub fn new(judge: &Judge, data: &crate::data::Dataset) -> candle_core::Result<Self> {
        let (train, held) = data.split_off_last(HELD_OUT);
        let v = judge.judge_u8(&held.pixels)?;
        let labels = held.labels.clone().unwrap_or_default();
        let right = (0..v.len())
            .filter(|&i| labels.get(i).is_some_and(|&l| usize::from(l) == v.top(i).0))
            .count();
        let n_train = train.len().min(5000);
        let t = judge.judge_u8(&train.pixels[..n_train * 784])?;
        Ok(Self {
            held_out: FeatureStats::of(&v.features, FEATURES),
            train_features: t.features,
            labels,
            accuracy: right as f32 / v.len().max(1) as f32,
        })
    }

    /// The Fréchet distance of `n` real digits (the first `n` of the training part, at most
    /// 5,000) to the held-out ones: what a perfect generator scores at sample size `n`.
    pub fn real_baseline(&self, n: usize) -> f64 {
        let n = n.min(self.train_features.len() / FEATURES);
        let stats = FeatureStats::of(&self.train_features[..n * FEATURES], FEATURES);
        frechet_distance(&stats, &self.held_out)
    }
}

/// The share of the images of `v` whose top class is the one asked for; `None` unless there
/// is one request per image.
pub fn label_accuracy(v: &Verdicts, requested: &[usize]) -> Option<f32> {
    if requested.is_empty() || requested.len() != v.len() {
        return None;
    }
    let right = requested.iter().enumerate().filter(|&(i, &c)| v.top(i).0 == c).count();
    Some(right as f32 / requested.len() as f32)
}

/// The share of the images of `v` whose top class matches their code under the best
/// one-to-one map from codes to classes (the cluster accuracy of unsupervised
/// classification; the map is found exactly, by dynamic programming over the classes
/// used). `None` unless there is one code per image, each below [`CLASSES`].
pub fn cluster_accuracy(v: &Verdicts, codes: &[usize]) -> Option<f32> {
    if codes.is_empty() || codes.len() != v.len() || codes.iter().any(|&c| c >= CLASSES) {
        return None;
    }
    let mut counts = [[0usize; CLASSES]; CLASSES];
    for (i, &c) in codes.iter().enumerate() {
        counts[c][v.top(i).0] += 1;
    }
    Some(best_matching(&counts) as f32 / codes.len() as f32)
}

/// The largest total of `counts[code][class]` over one-to-one maps of codes to classes.
pub fn best_matching(counts: &[[usize; CLASSES]; CLASSES]) -> usize {
    // best[mask]: the best total for the first popcount(mask) codes mapped to the classes in mask.
    let mut best = vec![None::<usize>; 1 << CLASSES];
    best[0] = Some(0);
    for mask in 0usize..(1 << CLASSES) {
        let Some(here) = best[mask] else {
            continue;
        };
        let code = mask.count_ones() as usize;
        if code == CLASSES {
            continue;
        }
        for (class, &n) in counts[code].iter().enumerate() {
            if mask & (1 << class) == 0 {
                let next = mask | (1 << class);
                let total = here + n;
                if best[next].is_none_or(|b| total > b) {
                    best[next] = Some(total);
                }
            }
        }
    }
    best[(1 << CLASSES) - 1].unwrap_or(0)
}

/// Quality figures of a set of images.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Quality {
    /// Images judged.
    pub count: usize,
    /// Share whose top probability is at least [`RECOGNISED_AT`].
    pub recognisable: f32,
    /// Share of the images the judge puts in each class (by top probability).
    pub histogram: [f32; CLASSES],
    /// Entropy of the histogram over ln 10: 1 for all classes alike, 0 for one class.
    pub entropy: f32,
    /// Classes with at least [`COVERED_AT`] of the images.
    pub classes: usize,
    /// Fréchet distance of the judge's features to the held-out real digits'.
    pub frechet: f64,
    /// What real digits score at the same sample size.
    pub real_frechet: f64,
    /// For a conditional model: the share of images the judge names as the class they were
    /// asked for (a requested 3 that comes out as a 3). `None` for an unconditional model.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label_accuracy: Option<f32>,
    /// For a model with a learned categorical code (InfoGAN's c₁): the share of images whose
    /// judged digit matches their code under the best one-to-one map from codes to digits.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cluster_accuracy: Option<f32>,
}

impl Quality {
    /// The figures of `v` against `reference`.
    pub fn of(v: &Verdicts, reference: &Reference) -> Self {
        let n = v.len();
        let mut histogram = [0.0f32; CLASSES];
        let mut recognised = 0usize;
        for i in 0..n {
            let (c, p) = v.top(i);
            histogram[c] += 1.0;
            if p >= RECOGNISED_AT {
                recognised += 1;
            }
        }
        let total = n.max(1) as f32;
        histogram.iter_mut().for_each(|h| *h /= total);
        let entropy = -histogram.iter().filter(|&&p| p > 0.0).map(|&p| p * p.ln()).sum::<f32>() / (CLASSES as f32).ln();
        let classes = histogram.iter().filter(|&&p| p >= COVERED_AT).count();
        let stats = FeatureStats::of(&v.features, FEATURES);
        Self {
            count: n,
            recognisable: recognised as f32 / total,
            histogram,
            entropy: entropy.max(0.0),
            classes,
            frechet: frechet_distance(&stats, &reference.held_out),
            real_frechet: reference.real_baseline(n),
            label_accuracy: None,
            cluster_accuracy: None,
        }
    }

    /// The figures of `v`, with the cluster accuracy of the codes the images were drawn
    /// with (`codes[i]` for image `i`).
    pub fn of_codes(v: &Verdicts, reference: &Reference, codes: &[usize]) -> Self {
        let mut q = Self::of(v, reference);
        q.cluster_accuracy = cluster_accuracy(v, codes);
        q
    }

    /// The figures of `v`, with the label accuracy against the classes each image was asked
    /// for (`requested[i]` for image `i`; no label accuracy when `requested` is empty or of
    /// another length).
    pub fn of_requested(v: &Verdicts, reference: &Reference, requested: &[usize]) -> Self {
        let mut q = Self::of(v, reference);
        q.label_accuracy = label_accuracy(v, requested);
        q
    }

    /// The class with the most images and its share.
    pub fn top_class(&self) -> (usize, f32) {
        self.histogram
            .iter()
            .copied()
            .enumerate()
            .fold((0, 0.0), |a, (c, p)| if p > a.1 { (c, p) } else { a })
    }

    /// One line: "recognisable 0.91 · 10 classes · entropy 0.99 · Fréchet 3.2 (real 1.1)".
    pub fn summary(&self) -> String {
        let mut labels = self
            .label_accuracy
            .map(|a| format!("label accuracy {a:.2} · "))
            .unwrap_or_default();
        if let Some(a) = self.cluster_accuracy {
            labels.push_str(&format!("c1 cluster accuracy {a:.2} · "));
        }
        format!(
            "{labels}recognisable {:.2} · {} classes · entropy {:.2} · classifier Fréchet {:.2} (real digits: {:.2}) · n {}",
            self.recognisable, self.classes, self.entropy, self.frechet, self.real_frechet, self.count
        )
    }
}
