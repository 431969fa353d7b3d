//! How well a translation model does its task on digits it never trained on: the last
//! [`super::HELD_OUT`] embedded digits, each made into the model's input with a fixed seed,
//! translated, and compared with its target ([`Translator::target`]: the digit for pix2pix;
//! for CycleGAN the same digit in style B, a pair it never trained on) — L1 and PSNR on the
//! 0–1 scale, and the share the digit judge labels as the digit's true class (for CycleGAN,
//! label preservation) — beside the same figures for the inputs themselves (what doing
//! nothing scores), and for a model with a way back the cycle's L1.

use crate::data::paired::{PIXELS, l1, psnr};
use crate::family::Translator;
use crate::rng::Rng;

/// The seed of the held-out inputs (the same inputs for every model and every run).
pub const INPUT_SEED: u64 = 2017;

/// Figures of one translation model on the held-out digits.
#[derive(Debug, Clone, PartialEq)]
pub struct TranslationReport {
    /// Digits measured.
    pub count: usize,
    /// Mean |output − digit| per pixel, 0–1.
    pub l1_output: f64,
    /// Mean |input − digit| per pixel, 0–1.
    pub l1_input: f64,
    /// Mean PSNR of the outputs, dB.
    pub psnr_output: f64,
    /// Mean PSNR of the inputs, dB.
    pub psnr_input: f64,
    /// Share of outputs the judge labels as the digit's class.
    pub judge_output: f64,
    /// Share of inputs the judge labels as the digit's class.
    pub judge_input: f64,
    /// For a model with a way back (CycleGAN): mean |F(G(input)) − input| per pixel, 0–1.
    pub cycle_l1: Option<f64>,
    /// The first 16 digits as input, output, target (48 images).
    pub strip: Vec<u8>,
}

impl TranslationReport {
    /// The report as lines for people.
    pub fn lines(&self) -> Vec<String> {
        let mut lines = vec![
            format!(
                "  L1 per pixel (0–1): output {:.4}, input {:.4}",
                self.l1_output, self.l1_input
            ),
            format!(
                "  PSNR: output {:.2} dB, input {:.2} dB",
                self.psnr_output, self.psnr_input
            ),
            format!(
                "  judged as their digit: outputs {:.3}, inputs {:.3}",
                self.judge_output, self.judge_input
            ),
        ];
        if let Some(c) = self.cycle_l1 {
            lines.push(format!(
                "  round the cycle, |F(G(input)) − input| per pixel (0–1): {c:.4}"
            ));
        }
        lines
    }
}

/// The report of `model` on the last `count` (at most [`super::HELD_OUT`]) embedded digits.
pub fn held_out_report(model: &dyn Translator, count: usize) -> Result<TranslationReport, String> {
    let data = crate::data::embedded_mnist_static().map_err(|e| e.to_string())?;
    let held = data.split_off_last(super::HELD_OUT).1;
    let n = held.len().min(count);
    if n == 0 {
        return Err("no held-out digits to measure".into());
    }
    let digits = &held.pixels[..n * PIXELS];
    let mut rng = Rng::derive(INPUT_SEED, "translation.held-out");
    let inputs: Vec<u8> = digits.chunks(PIXELS).flat_map(|d| model.prepare(d, &mut rng)).collect();
    let targets: Vec<u8> = digits.chunks(PIXELS).flat_map(|d| model.target(d)).collect();
    let targets = &targets[..];
    let outputs = model.translate_u8(&inputs).map_err(|e| e.to_string())?;
    let cycle_l1 = match model.translate_back_u8(&outputs) {
        Some(back) => Some(l1(&back.map_err(|e| e.to_string())?, &inputs)),
        None => None,
    };
    let mean_psnr = |a: &[u8]| {
        a.chunks(PIXELS)
            .zip(targets.chunks(PIXELS))
            .map(|(x, t)| psnr(x, t))
            .sum::<f64>()
            / n as f64
    };
    let judge = super::Judge::shipped()?;
    let labels: Vec<usize> = held
        .labels
        .as_ref()
        .map(|l| l[..n].iter().map(|&c| usize::from(c)).collect())
        .unwrap_or_default();
    let kept = |images: &[u8]| -> Result<f64, String> {
        let v = judge.judge_u8(images).map_err(|e| e.to_string())?;
        Ok(super::label_accuracy(&v, &labels).map_or(f64::NAN, f64::from))
    };
    let mut strip = Vec::with_capacity(48 * PIXELS);
    for k in 0..n.min(16) {
        for v in [&inputs[..], &outputs[..], targets] {
            strip.extend_from_slice(&v[k * PIXELS..(k + 1) * PIXELS]);
        }
    }
    Ok(TranslationReport {
        count: n,
        l1_output: l1(&outputs, targets),
        l1_input: l1(&inputs, targets),
        psnr_output: mean_psnr(&outputs),
        psnr_input: mean_psnr(&inputs),
        judge_output: kept(&outputs)?,
        judge_input: kept(&inputs)?,
        cycle_l1,
        strip,
    })
}
