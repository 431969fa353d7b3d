//! pix2pix's ablation in the Translate tool (Isola et al., 2017, §4.2): the same inpainting
//! inputs through three shipped models trained alike — same recipe, seed, steps and held-out
//! digits — but for what G minimises: the GAN term plus λ·L1, the GAN term alone, L1 alone.
//! Side by side, the GAN term alone draws sharp strokes that need not be the digit's and L1
//! alone fills a large hole with grey; together they are sharp and faithful.
//!
//! It is offered for every inpainting model (the explorer's own run's inputs go through the
//! three shipped models too); the three are loaded once, on first use, and each translation
//! is one U-Net pass per model (about a millisecond), done on the UI thread when the input
//! changes.

use std::sync::Arc;

use crate::data::paired::{PairTask, l1};
use crate::family::Translator;
use crate::family::pix2pix::PixLoss;
use crate::latent::{PIXELS, pretrained};

/// The shipped inpainting models of the ablation, by what G minimises.
pub const MODELS: [(&str, PixLoss); 3] = [
    ("pix2pix-inpaint", PixLoss::GanL1),
    ("pix2pix-inpaint-gan", PixLoss::Gan),
    ("pix2pix-inpaint-l1", PixLoss::L1),
];

/// The three models, in [`MODELS`] order.
type Three = Arc<[Arc<dyn Translator>; 3]>;

/// One input through the three models.
#[derive(Debug, Clone, PartialEq)]
pub struct AblationOutputs {
    /// The input version it was made for.
    pub version: u64,
    /// Each model's output (784 bytes), in [`MODELS`] order.
    pub outputs: [Vec<u8>; 3],
    /// What the digit judge reads in each output (class, probability).
    pub judged: [Option<(usize, f32)>; 3],
}

/// The ablation's state in the Translate tool.
#[derive(Default)]
pub struct AblationPanel {
    /// Whether the three losses are shown side by side.
    pub on: bool,
    models: Option<Result<Three, String>>,
    /// The latest input's translations.
    pub result: Option<AblationOutputs>,
    /// The strip's inputs (as the tool made them) through each model, for the strip's key.
    pub strip: Option<(u64, [Vec<u8>; 3])>,
}

impl std::fmt::Debug for AblationPanel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AblationPanel")
            .field("on", &self.on)
            .field("loaded", &self.models.as_ref().map(|m| m.is_ok()))
            .field("result", &self.result.as_ref().map(|r| r.version))
            .finish()
    }
}

/// Whether the ablation applies to a model: it inpaints (as the three shipped models do).
pub fn applies_to(model: &dyn Translator) -> bool {
    model.task_label() == PairTask::Inpaint.label()
}

fn load(id: &str) -> Result<Arc<dyn Translator>, String> {
    let p = pretrained::find(id).ok_or_else(|| format!("no shipped model {id}"))?;
    let model = p.load(&candle_core::Device::Cpu).map_err(|e| e.to_string())?;
    model
        .translator
        .ok_or_else(|| format!("{id} does not translate images"))
}

impl AblationPanel {
    /// The three models, loaded on first use.
    fn models(&mut self) -> Result<Three, String> {
        self.models
            .get_or_insert_with(|| Ok(Arc::new([load(MODELS[0].0)?, load(MODELS[1].0)?, load(MODELS[2].0)?])))
            .clone()
    }

    /// Translates `input` (version `version`) by each model, and the strip's inputs `strip`
    /// (for key `strip_key`), where they changed.
    pub fn refresh(&mut self, input: &[u8], version: u64, strip_key: u64, strip: &[u8]) -> Result<(), String> {
        let models = self.models()?;
        if self.result.as_ref().is_none_or(|r| r.version != version) {
            let mut outputs: [Vec<u8>; 3] = Default::default();
            for (out, m) in outputs.iter_mut().zip(models.iter()) {
                *out = m.translate_u8(input).map_err(|e| e.to_string())?;
            }
            let judged = crate::quality::Judge::shipped()
                .ok()
                .and_then(|j| j.judge_u8(&outputs.concat()).ok())
                .map_or([None; 3], |v| [Some(v.top(0)), Some(v.top(1)), Some(v.top(2))]);
            self.result = Some(AblationOutputs {
                version,
                outputs,
                judged,
            });
        }
        if self.strip.as_ref().is_none_or(|(k, _)| *k != strip_key) {
            let mut rows: [Vec<u8>; 3] = Default::default();
            for (row, m) in rows.iter_mut().zip(models.iter()) {
                *row = m.translate_u8(strip).map_err(|e| e.to_string())?;
            }
            self.strip = Some((strip_key, rows));
        }
        Ok(())
    }
}

/// The mean |output − digit| per pixel (0–1 scale) over images laid end to end.
pub fn mean_l1(outputs: &[u8], digits: &[u8]) -> f64 {
    let n = (outputs.len() / PIXELS).min(digits.len() / PIXELS);
    if n == 0 {
        return 0.0;
    }
    (0..n)
        .map(|k| {
            l1(
                &outputs[k * PIXELS..(k + 1) * PIXELS],
                &digits[k * PIXELS..(k + 1) * PIXELS],
            )
        })
        .sum::<f64>()
        / n as f64
}
