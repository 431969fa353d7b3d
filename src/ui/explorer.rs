//! The latent explorer: which model is explored (the live run's latest snapshot,
//! a shipped pretrained model, or a checkpoint file), the current z and its large
//! decoded image, the grid of samples to pick from, recipes, and the plumbing to
//! the background job thread. The tools live in their own files: sliders
//! ([`super::latent`]), interpolation, arithmetic and the latent map.
//!
//! The large image is decoded on the UI thread, in the frame that changed z,
//! against a frozen copy of the generator — it never waits for a training step.
//! Everything heavier (the pick grid, principal directions, sensitivity bars,
//! strips, the latent plane) goes to [`JobRunner`] and shows when it is ready.

use eframe::egui;

use std::collections::{HashMap, VecDeque};
use std::path::PathBuf;
use std::time::Instant;

use serde::{Deserialize, Serialize};

use crate::latent::directions::Directions;
use crate::latent::jobs::{Job, JobKind, JobOutput, JobResult, JobRunner, StripPath};
use crate::latent::manifold::Plane;
use crate::latent::recipe::Recipe;
use crate::latent::{Interpolation, Model, PIXELS, pretrained, random_z};
use crate::worker::ModelFrame;

use super::debug::{Percentiles, percentiles};
use super::i18n::tr;
use super::samples::{grid_image, set_texture};
use crate::tr;

/// Samples in the pick grid (8×8).
pub const PICK_COUNT: usize = 64;
/// Decode timings remembered for the latency readout.
const LATENCY_WINDOW: usize = 240;
/// Principal directions computed per model.
pub const DIRECTION_COUNT: usize = 10;
/// Random z decoded to find the principal directions.
pub const DIRECTION_SAMPLES: usize = 2000;

/// Where the explored model comes from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Source {
    /// The live training run (its latest snapshot, refreshed every few seconds while it trains).
    Live,
    /// A model shipped in `models/` (by id).
    Pretrained(String),
    /// A checkpoint file.
    File(PathBuf),
}

impl Default for Source {
    fn default() -> Self {
        Source::Pretrained(pretrained::ALL[0].id.to_string())
    }
}

/// How long z must rest before the sensitivity bars are recomputed.
pub const SENSITIVITY_SETTLE: std::time::Duration = std::time::Duration::from_millis(150);

/// The explorer's tools.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum Tool {
    /// One slider per dimension of z, or per principal direction.
    #[default]
    Sliders,
    /// A to B, linear and spherical.
    Interpolate,
    /// A − B + C.
    Arithmetic,
    /// The latent plane decoded as a grid.
    Map,
    /// "You are the discriminator": pick the fake of a real and a generated digit.
    Judge,
    /// An autoregressive model pixel by pixel: sampling, completion, likelihood (the only
    /// tool for such a model, which has no latent code).
    Pixels,
    /// An image-to-image model (pix2pix): draw, erase or load an input and see it translated
    /// (the only tool for such a model, which has no latent space).
    Translate,
    /// Draw a digit (or take a real one) and encode it: for models with an encoder.
    Draw,
    /// One digit through an autoencoder, a VAE and an inverted GAN; their 2-D planes.
    Compare,
}

impl Tool {
    /// All tools, in display order.
    pub const ALL: [Tool; 9] = [
        Tool::Pixels,
        Tool::Translate,
        Tool::Sliders,
        Tool::Draw,
        Tool::Compare,
        Tool::Interpolate,
        Tool::Arithmetic,
        Tool::Map,
        Tool::Judge,
    ];

    /// Whether a click in the sample grid goes to this tool (the sliders, an end of the
    /// interpolation, an operand); the other tools have their own images.
    pub fn picks_from_grid(self) -> bool {
        matches!(self, Tool::Sliders | Tool::Interpolate | Tool::Arithmetic)
    }

    /// Its name on screen.
    pub fn label(self) -> &'static str {
        match self {
            Tool::Sliders => tr("Sliders"),
            Tool::Interpolate => tr("Interpolate"),
            Tool::Arithmetic => tr("Arithmetic"),
            Tool::Map => tr("Latent map"),
            Tool::Judge => tr("You vs D"),
            Tool::Draw => tr("Draw"),
            Tool::Compare => tr("AE vs VAE vs GAN"),
            Tool::Pixels => tr("Pixel by pixel"),
            Tool::Translate => tr("Translate"),
        }
    }

    /// Whether the tool applies to `model`: the pixel-by-pixel tool to autoregressive models
    /// only, the translation tool to translation models only, and every other tool (which
    /// moves through a latent code) to the others.
    pub fn applies_to(self, model: &Model) -> bool {
        match self {
            Tool::Pixels => model.pixels.is_some(),
            Tool::Translate => model.translator.is_some(),
            _ => model.pixels.is_none() && model.translator.is_none(),
        }
    }
}

/// What the sliders move.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum Basis {
    /// One slider per dimension of z.
    #[default]
    Raw,
    /// One slider per principal direction.
    Principal,
}

/// Where a click in the pick grid goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// The sliders' z ("edit this one").
    Sliders,
    /// Interpolation start.
    A,
    /// Interpolation end.
    B,
    /// Arithmetic operand 0, 1 or 2 (A − B + C).
    Operand(usize),
}

/// A latent vector chosen for a tool, with where it came from.
#[derive(Debug, Clone, PartialEq)]
pub struct Pick {
    /// The vector.
    pub z: Vec<f32>,
    /// Where it came from ("sample 12 of seed 3", "the sliders").
    pub label: String,
    /// The seed, if drawn from one.
    pub seed: Option<u64>,
}

/// What the explorer remembers between sessions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ExploreSettings {
    /// The model source.
    pub source: Source,
    /// The tool shown.
    pub tool: Tool,
    /// What the sliders move.
    pub basis: Basis,
    /// Seed of the pick grid.
    pub grid_seed: u64,
    /// Frames per interpolation path.
    pub frames: usize,
    /// Cells per side of the latent map.
    pub map_side: usize,
    /// The latent map spans ±this.
    pub map_extent: f32,
    /// For a 2-D z: cells at N(0, 1)'s quantiles (the VAE paper's manifold figure).
    pub map_quantiles: bool,
    /// Names the user gave a model's continuous codes once they saw what each does
    /// ("slant", "width"), by code; empty: "c2", "c3".
    #[serde(default)]
    pub code_names: Vec<String>,
}

impl Default for ExploreSettings {
    fn default() -> Self {
        Self {
            source: Source::default(),
            tool: Tool::default(),
            basis: Basis::default(),
            grid_seed: 0,
            frames: 10,
            map_side: 15,
            map_extent: 3.0,
            map_quantiles: false,
            code_names: Vec::new(),
        }
    }
}

/// A texture with the key of what it shows (re-uploaded only when the key changes).
pub(super) struct Tex<K> {
    pub texture: Option<egui::TextureHandle>,
    pub key: Option<K>,
}

impl<K> Default for Tex<K> {
    fn default() -> Self {
        Self {
            texture: None,
            key: None,
        }
    }
}

impl<K: PartialEq> Tex<K> {
    /// Uploads `make()` under `name` unless the texture already shows `key`.
    pub fn show(&mut self, ctx: &egui::Context, name: &str, key: K, make: impl FnOnce() -> egui::ColorImage) {
        if self.key.as_ref() != Some(&key) {
            set_texture(ctx, &mut self.texture, name, make());
            self.key = Some(key);
        }
    }
}

/// The explorer's state.
pub struct Explorer {
    /// Remembered choices.
    pub settings: ExploreSettings,
    /// The model explored, once loaded.
    pub model: Option<Model>,
    /// Bumped whenever `model` changes (new weights), to invalidate what was computed from it.
    pub(super) model_key: u64,
    loaded: Vec<(Source, Model)>,
    shown: Option<Source>,
    live_key: Option<(u64, u64)>,
    /// The current latent vector.
    pub z: Vec<f32>,
    /// The seed `z` was drawn from, if it was.
    pub z_seed: Option<u64>,
    /// `z` decoded (784 bytes), with the key and z it was decoded from.
    pub(super) image: Option<(u64, Vec<f32>, Vec<u8>)>,
    /// The digit judge's class and confidence for that image, and D's score where the model
    /// has a D.
    pub(super) verdict: Option<Verdict>,
    pub(super) image_tex: Tex<(u64, Vec<f32>)>,
    /// Decode + texture-upload times of the large image, in ms.
    pub(super) latency_ms: VecDeque<f32>,
    /// The pick grid: its z, and its images once decoded.
    pub(super) grid_z: Vec<f32>,
    pub(super) grid_images: Option<(u64, Vec<u8>)>,
    pub(super) grid_tex: Tex<u64>,
    grid_for: Option<(u64, u64)>,
    /// Where a click in the pick grid goes.
    pub target: Target,
    /// The principal directions of the current model (and the model key they belong to).
    pub(super) directions: Option<(u64, Directions)>,
    pub(super) directions_pending: bool,
    /// Sensitivity per dimension at `.1`.
    pub(super) sensitivity: Option<(u64, Vec<f32>, Vec<f32>)>,
    requested_sensitivity: Option<(u64, Vec<f32>)>,
    /// The z the sensitivity bars wait for, and since when it has not changed: the bars
    /// are recomputed once z rests for [`SENSITIVITY_SETTLE`], not on every frame of a
    /// drag (each recomputation decodes 2 × latent size images, which on a 2-core
    /// machine would compete with the drag's own decodes).
    sensitivity_settle: Option<(Vec<f32>, std::time::Instant)>,
    /// Interpolation ends.
    pub a: Option<Pick>,
    /// Interpolation end.
    pub b: Option<Pick>,
    pub(super) strip: Option<(StripKey, Vec<StripPath>)>,
    pub(super) strip_tex: [Tex<StripKey>; 2],
    pub(super) strip_requested: Option<StripKey>,
    /// Which path the large frame follows.
    pub show_path: Interpolation,
    /// Whether the strip animates.
    pub playing: bool,
    pub(super) anim_frame: usize,
    pub(super) anim_started: Option<f64>,
    /// Arithmetic operands A, B, C.
    pub operands: [Option<Pick>; 3],
    pub(super) arith_tex: Tex<(u64, Vec<f32>)>,
    pub(super) arith_image: Option<(u64, Vec<f32>, Vec<u8>)>,
    /// The latent plane and its images.
    pub(super) plane: Option<(u64, Plane, Vec<u8>)>,
    pub(super) plane_requested: Option<(u64, Plane)>,
    /// Bumped when a new plane arrives (the map texture's key).
    pub(super) plane_version: u64,
    pub(super) plane_tex: Tex<u64>,
    /// The "You are the discriminator" game.
    pub judge: super::judge::JudgePanel,
    /// The large frame of the interpolation tool.
    pub(super) frame_tex: Tex<(Interpolation, usize, Option<StripKey>)>,
    /// Thumbnails of A, B and the operands.
    pub(super) slot_tex: HashMap<usize, Tex<(u64, Vec<f32>)>>,
    /// Whether a tool other than the sliders needs the principal directions.
    directions_wanted: bool,
    /// The Draw tool's drawing.
    pub canvas: super::draw::Canvas,
    /// The Compare tool's state.
    pub(super) compare: super::compare::ComparePanel,
    /// The Pixel-by-pixel tool's state.
    pub pixels: super::pixels::PixelPanel,
    /// The Translate tool's state.
    pub translate: super::translate::TranslatePanel,
    seed_counter: u64,
    jobs: Option<JobRunner>,
    next_job: u64,
    pending: HashMap<JobKind, u64>,
    /// The text in the recipe box.
    pub recipe_text: String,
    /// Errors to show in the banner (taken by the app).
    pub errors: Vec<String>,
    /// Passing messages for the status bar (taken by the app).
    pub notices: Vec<String>,
    /// A latent vector to open once the live run's first snapshot arrives.
    pending_live_z: Option<Pick>,
}

/// What a strip was computed from.
pub(super) type StripKey = (u64, Vec<f32>, Vec<f32>, usize);

impl Explorer {
    /// A fresh explorer; `repaint` wakes the UI when a background job finishes.
    pub fn new(settings: ExploreSettings, repaint: Box<dyn Fn() + Send + Sync>) -> (Self, Option<String>) {
        let (jobs, err) = match JobRunner::spawn(repaint) {
            Ok(j) => (Some(j), None),
            Err(e) => (
                None,
                Some(tr!("cannot start the explorer's background thread: {error}", error = e)),
            ),
        };
        let ex = Self {
            settings,
            model: None,
            model_key: 0,
            loaded: Vec::new(),
            shown: None,
            live_key: None,
            z: Vec::new(),
            z_seed: None,
            image: None,
            verdict: None,
            image_tex: Tex::default(),
            latency_ms: VecDeque::new(),
            grid_z: Vec::new(),
            grid_images: None,
            grid_tex: Tex::default(),
            grid_for: None,
            target: Target::Sliders,
            directions: None,
            directions_pending: false,
            sensitivity: None,
            requested_sensitivity: None,
            sensitivity_settle: None,
            a: None,
            b: None,
            strip: None,
            strip_tex: Default::default(),
            strip_requested: None,
            show_path: Interpolation::Spherical,
            playing: true,
            anim_frame: 0,
            anim_started: None,
            operands: [None, None, None],
            arith_tex: Tex::default(),
            arith_image: None,
            plane: None,
            judge: Default::default(),
            plane_requested: None,
            plane_version: 0,
            plane_tex: Tex::default(),
            frame_tex: Tex::default(),
            slot_tex: HashMap::new(),
            directions_wanted: false,
            canvas: Default::default(),
            translate: Default::default(),
            compare: Default::default(),
            pixels: Default::default(),
            seed_counter: 1000,
            jobs,
            next_job: 0,
            pending: HashMap::new(),
            recipe_text: String::new(),
            errors: Vec::new(),
            notices: Vec::new(),
            pending_live_z: None,
        };
        (ex, err)
    }

    /// Latent size of the model explored (0 before one is loaded): z, and the condition
    /// after it for a conditional model.
    pub fn latent_dim(&self) -> usize {
        self.model.as_ref().map_or(0, Model::latent_dim)
    }

    /// What the explored model reads after z (nothing before one is loaded).
    pub fn conditioning(&self) -> crate::family::Conditioning {
        self.model
            .as_ref()
            .map_or(crate::family::Conditioning::NONE, Model::conditioning)
    }

    /// `n` input vectors for the explored model drawn with `seed` (z from N(0, 1), and a
    /// random class and codes for a conditional model).
    pub fn random_z(&self, n: usize, seed: u64) -> Vec<f32> {
        match &self.model {
            Some(m) => m.random_z(n, seed),
            None => Vec::new(),
        }
    }

    /// The large image (784 bytes), once decoded for the current z.
    pub fn image(&self) -> Option<&[u8]> {
        match (&self.image, &self.model) {
            (Some((key, z, px)), Some(_)) if *key == self.model_key && *z == self.z => Some(px),
            _ => None,
        }
    }

    /// Decode + upload latency of the large image.
    pub fn latency(&self) -> Percentiles {
        percentiles(self.latency_ms.iter().copied())
    }

    /// The latency record (cleared by benchmarks before they measure).
    pub fn latency_ms_mut(&mut self) -> &mut VecDeque<f32> {
        &mut self.latency_ms
    }

    /// The principal directions, once computed for the current model.
    pub fn directions(&self) -> Option<&Directions> {
        self.directions.as_ref().map(|(_, d)| d)
    }

    /// The pick grid's images, once decoded for the current model.
    pub fn grid_images(&self) -> Option<&[u8]> {
        self.grid_images
            .as_ref()
            .filter(|(k, _)| *k == self.model_key)
            .map(|(_, px)| px.as_slice())
    }

    /// The interpolation paths, once computed for the current A, B and frame count.
    pub fn strip(&self) -> Option<&[StripPath]> {
        let key = self.strip_key()?;
        self.strip
            .as_ref()
            .filter(|(k, _)| *k == key)
            .map(|(_, s)| s.as_slice())
    }

    pub(super) fn strip_key(&self) -> Option<StripKey> {
        Some((
            self.model_key,
            self.a.as_ref()?.z.clone(),
            self.b.as_ref()?.z.clone(),
            self.settings.frames.clamp(2, 32),
        ))
    }

    /// Sets z (e.g. from a grid click, a recipe, the map).
    pub fn set_z(&mut self, z: Vec<f32>, seed: Option<u64>) {
        if z.len() == self.latent_dim() {
            self.z = z;
            self.z_seed = seed;
        }
    }

    /// The recipe of the current image.
    pub fn recipe(&self) -> Option<Recipe> {
        let m = self.model.as_ref()?;
        Some(Recipe::new(
            crate::latent::recipe::RecipeModel::of(m.config()),
            m.source.clone(),
            m.step,
            self.z_seed,
            self.z.clone(),
        ))
    }

    /// Switches to `source`, loading it if needed. The live run needs its frame.
    pub fn set_source(&mut self, source: Source, live: Option<&ModelFrame>) {
        self.settings.source = source;
        self.refresh_model(live);
    }

    /// Opens the live run at `pick` (the training window's "edit this one").
    pub fn open_live(&mut self, pick: Pick, live: Option<&ModelFrame>) {
        self.set_source(Source::Live, live);
        self.settings.tool = Tool::Sliders;
        if self.model.as_ref().is_some_and(|m| m.latent_dim() == pick.z.len()) {
            self.set_z(pick.z, pick.seed);
        } else {
            self.pending_live_z = Some(pick);
        }
    }

    /// Loads (or picks up) the model of the current source; called every frame.
    pub fn refresh_model(&mut self, live: Option<&ModelFrame>) {
        let source = self.settings.source.clone();
        let model = if source == Source::Live {
            let Some(frame) = live else {
                return;
            };
            let key = (frame.run, frame.step);
            if self.shown.as_ref() == Some(&Source::Live) && self.live_key == Some(key) {
                return;
            }
            self.live_key = Some(key);
            match Model::from_seams(
                tr("Live run"),
                "live run",
                frame.step,
                frame.spec.clone(),
                frame.seams.clone(),
            ) {
                Ok(m) => m,
                Err(e) => {
                    self.errors.push(e.to_string());
                    return;
                }
            }
        } else {
            if self.shown.as_ref() == Some(&source) {
                return;
            }
            match self.load(&source) {
                Ok(m) => m,
                Err(e) => {
                    self.errors.push(e);
                    // Go back to what was shown (or the first shipped model) rather than show nothing.
                    self.settings.source = self.shown.clone().unwrap_or_default();
                    if self.settings.source != source {
                        self.refresh_model(live);
                    }
                    return;
                }
            }
        };
        self.shown = Some(source);
        self.install(model);
    }

    fn load(&mut self, source: &Source) -> Result<Model, String> {
        if let Some((_, m)) = self.loaded.iter().find(|(s, _)| s == source) {
            return Ok(m.clone());
        }
        let device = candle_core::Device::Cpu;
        let model = match source {
            Source::Live => return Err(tr("the live run has no snapshot yet").into()),
            Source::Pretrained(id) => pretrained::find(id)
                .ok_or_else(|| tr!("there is no shipped model '{id}'", id = id))?
                .load(&device)
                .map_err(|e| e.to_string())?,
            Source::File(path) => Model::open(path, &device).map_err(|e| e.to_string())?,
        };
        self.loaded.push((source.clone(), model.clone()));
        Ok(model)
    }

    /// Makes `model` the explored one, keeping z if it fits.
    fn install(&mut self, model: Model) {
        let same_shape = self.model.as_ref().is_some_and(|m| m.config() == model.config());
        self.model_key += 1;
        let l = model.latent_dim();
        self.model = Some(model);
        if !same_shape {
            self.directions = None;
            self.sensitivity = None;
            self.a = None;
            self.b = None;
            self.operands = [None, None, None];
            self.plane = None;
            self.grid_for = None;
            self.z = model_random_z(self.model.as_ref(), 1, l, self.settings.grid_seed);
            self.z_seed = Some(self.settings.grid_seed);
        } else if self.settings.source != Source::Live {
            // Other weights of the same shape: directions no longer apply. (The live run's
            // snapshots change a little every few seconds; its directions are refreshed on request.)
            self.directions = None;
        }
        if let Some(p) = self.pending_live_z.take() {
            if p.z.len() == l && self.settings.source == Source::Live {
                self.set_z(p.z, p.seed);
            } else {
                self.pending_live_z = Some(p);
            }
        }
    }

    /// Opens a checkpoint file as a model to explore (read afresh, even if opened before).
    pub fn open_file(&mut self, path: PathBuf, live: Option<&ModelFrame>) {
        let source = Source::File(path);
        self.loaded.retain(|(s, _)| *s != source);
        if self.shown.as_ref() == Some(&source) {
            self.shown = None;
        }
        self.set_source(source, live);
    }

    /// Sources to offer in the model menu: the live run, the shipped models, files opened.
    pub fn sources(&self) -> Vec<(Source, String)> {
        let mut out = vec![(Source::Live, tr("Live run").to_string())];
        out.extend(
            pretrained::ALL
                .iter()
                .map(|p| (Source::Pretrained(p.id.to_string()), pretrained_label(p).to_string())),
        );
        for (s, m) in &self.loaded {
            if let Source::File(_) = s {
                out.push((s.clone(), m.name.clone()));
            }
        }
        if let Source::File(p) = &self.settings.source
            && !out.iter().any(|(s, _)| s == &self.settings.source)
        {
            out.push((self.settings.source.clone(), p.display().to_string()));
        }
        out
    }

    /// Applies a pasted recipe: switches to its shipped model if it names one, then sets z.
    pub fn apply_recipe(&mut self, text: &str, live: Option<&ModelFrame>) -> Result<(), String> {
        let r = Recipe::parse(text).map_err(|e| e.to_string())?;
        if let Some(p) = pretrained::from_source(&r.source)
            && self.settings.source != Source::Pretrained(p.id.to_string())
        {
            self.set_source(Source::Pretrained(p.id.to_string()), live);
        }
        let m = self.model.as_ref().ok_or(tr("no model is loaded yet"))?;
        r.check_model(m.config()).map_err(|e| e.to_string())?;
        if r.source != m.source || r.step != m.step {
            self.notices.push(tr!(
                "This recipe was made with {source} at step {step}; the model shown is {shown} at step {shown_step}, so the image may differ.",
                source = r.source,
                step = r.step,
                shown = m.source,
                shown_step = m.step
            ));
        }
        self.set_z(r.z, r.seed);
        self.settings.tool = Tool::Sliders;
        Ok(())
    }

    /// Decodes z if it changed (on this thread, timed) and uploads the large image.
    pub(super) fn ensure_image(&mut self, ctx: &egui::Context) {
        let Some(model) = &self.model else {
            return;
        };
        let fresh = matches!(&self.image, Some((k, z, _)) if *k == self.model_key && *z == self.z);
        if !fresh {
            let start = Instant::now();
            match model.decode(&self.z) {
                Ok(px) => {
                    let img = super::samples::gray_image(&px, 28);
                    set_texture(ctx, &mut self.image_tex.texture, "explore_image", img);
                    self.image_tex.key = Some((self.model_key, self.z.clone()));
                    self.image = Some((self.model_key, self.z.clone(), px));
                    if self.latency_ms.len() >= LATENCY_WINDOW {
                        self.latency_ms.pop_front();
                    }
                    self.latency_ms.push_back(start.elapsed().as_secs_f32() * 1000.0);
                    // After the timing: the figure is decode + upload only.
                    self.verdict = self.image.as_ref().and_then(|(_, _, px)| Verdict::of(model, px));
                }
                Err(e) => {
                    self.errors.push(tr!("cannot decode: {error}", error = e));
                    self.image = Some((self.model_key, self.z.clone(), vec![0; PIXELS]));
                }
            }
        }
    }

    /// The line under the decoded image: the judge's class and confidence, and D's score.
    pub(super) fn verdict_text(&self) -> Option<String> {
        let v = self.verdict.as_ref()?;
        let judge = if v.confidence >= crate::quality::RECOGNISED_AT {
            tr!(
                "Judge: {digit} ({conf} % sure)",
                digit = v.class,
                conf = format!("{:.0}", 100.0 * v.confidence)
            )
        } else {
            tr!(
                "Judge: not a clear digit (at most {conf} % for {digit})",
                digit = v.class,
                conf = format!("{:.0}", 100.0 * v.confidence)
            )
        };
        Some(match v.d_score {
            Some(d) => format!("{judge} · D = {d:.2}"),
            None => judge,
        })
    }

    /// Whether z has stayed the same for [`SENSITIVITY_SETTLE`] (see `sensitivity_settle`).
    fn z_has_settled(&mut self) -> bool {
        match &self.sensitivity_settle {
            Some((z, since)) if *z == self.z => since.elapsed() >= SENSITIVITY_SETTLE,
            _ => {
                self.sensitivity_settle = Some((self.z.clone(), std::time::Instant::now()));
                false
            }
        }
    }

    /// Whether the sensitivity bars are waiting for z to settle (the window repaints
    /// shortly so they come without further input).
    pub(super) fn sensitivity_settling(&self) -> bool {
        self.sensitivity_settle.as_ref().is_some_and(|(z, since)| {
            *z == self.z
                && since.elapsed() < SENSITIVITY_SETTLE
                && !matches!(&self.sensitivity, Some((k, sz, _)) if *k == self.model_key && *sz == self.z)
        })
    }

    /// Queues a background job (the newest of each kind wins).
    pub(super) fn submit(&mut self, job: Job) {
        let Some(jobs) = &self.jobs else {
            return;
        };
        self.next_job += 1;
        self.pending.insert(job.kind(), self.next_job);
        jobs.submit(self.next_job, job);
    }

    /// Takes finished jobs and asks for what is missing; called every frame.
    pub(super) fn update(&mut self, live: Option<&ModelFrame>) {
        self.refresh_model(live);
        while let Some(r) = self.jobs.as_ref().and_then(JobRunner::try_recv) {
            self.take_result(r);
        }
        let Some(model) = self.model.clone() else {
            return;
        };
        let l = model.latent_dim();
        if self.z.len() != l {
            self.z = model.random_z(1, self.settings.grid_seed);
        }
        if model.pixels.is_some() || model.translator.is_some() {
            // An autoregressive or a translation model: no latent code to pick from or move
            // through.
            return;
        }
        // The pick grid.
        let grid_key = (self.model_key, self.settings.grid_seed);
        if self.grid_for != Some(grid_key) {
            self.grid_for = Some(grid_key);
            self.grid_z = model.random_z(PICK_COUNT, self.settings.grid_seed);
            self.submit(Job::Decode {
                model: model.clone(),
                z: self.grid_z.clone(),
            });
        }
        // Principal directions, when the sliders show them.
        let directions_needed = self.settings.basis == Basis::Principal || std::mem::take(&mut self.directions_wanted);
        if directions_needed && self.directions.is_none() && !self.directions_pending {
            self.directions_pending = true;
            self.submit(Job::Directions {
                model: model.clone(),
                samples: DIRECTION_SAMPLES,
                k: DIRECTION_COUNT,
                seed: 0,
            });
        }
        // Sensitivity bars at the current z.
        if self.settings.tool == Tool::Sliders
            && self.settings.basis == Basis::Raw
            && !matches!(&self.sensitivity, Some((k, z, _)) if *k == self.model_key && *z == self.z)
            && self.requested_sensitivity != Some((self.model_key, self.z.clone()))
            && self.z_has_settled()
        {
            self.requested_sensitivity = Some((self.model_key, self.z.clone()));
            self.submit(Job::Sensitivity {
                model: model.clone(),
                z: self.z.clone(),
            });
        }
        // Interpolation strips.
        if self.settings.tool == Tool::Interpolate
            && let Some(key) = self.strip_key()
            && self.strip.as_ref().is_none_or(|(k, _)| *k != key)
            && self.strip_requested.as_ref() != Some(&key)
        {
            self.strip_requested = Some(key.clone());
            self.submit(Job::Strip {
                model: model.clone(),
                a: key.1.clone(),
                b: key.2.clone(),
                frames: key.3,
            });
        }
        // The latent plane.
        if self.settings.tool == Tool::Map
            && let Some(plane) = self.wanted_plane()
        {
            let key = (self.model_key, plane.clone());
            let have = self
                .plane
                .as_ref()
                .is_some_and(|(k, p, _)| *k == key.0 && p.approx_eq(&key.1));
            let asked = self
                .plane_requested
                .as_ref()
                .is_some_and(|(k, p)| *k == key.0 && p.approx_eq(&key.1));
            if !have && !asked {
                self.plane_requested = Some(key);
                self.submit(Job::Plane { model, plane });
            }
        }
    }

    fn take_result(&mut self, r: JobResult) {
        if self.pending.get(&r.kind) != Some(&r.key) {
            return; // an older job's answer
        }
        self.pending.remove(&r.kind);
        let output = match r.output {
            Ok(o) => o,
            Err(e) => {
                self.errors.push(tr!("explorer: {error}", error = e));
                if r.kind == JobKind::Directions {
                    self.directions_pending = false;
                }
                if r.kind == JobKind::Invert {
                    self.canvas.inverting = None;
                }
                if r.kind == JobKind::Compare {
                    self.compare.pending = None;
                }
                return;
            }
        };
        match (r.kind, output) {
            (JobKind::Decode, JobOutput::Images(px)) => {
                if let Some((k, _)) = self.grid_for {
                    self.grid_images = Some((k, px));
                }
            }
            (JobKind::Directions, JobOutput::Directions(d)) => {
                self.directions_pending = false;
                self.directions = Some((self.model_key, d));
            }
            (JobKind::Sensitivity, JobOutput::Sensitivity(s)) => {
                if let Some((k, z)) = self.requested_sensitivity.take() {
                    self.sensitivity = Some((k, z, s));
                }
            }
            (JobKind::Strip, JobOutput::Strip(paths)) => {
                if let Some(key) = self.strip_requested.take() {
                    self.strip = Some((key, paths));
                }
            }
            (JobKind::Invert, JobOutput::Inversion(inv)) => {
                // Only for the model it was run on (the user may have switched since).
                let for_this_model = self.canvas.inverting.take() == Some(self.model_key);
                if for_this_model {
                    self.set_z(inv.z.clone(), None);
                    self.canvas.inversion = Some((self.model_key, inv));
                    self.canvas.path_tex = None;
                }
            }
            (JobKind::Compare, JobOutput::Compare(ae, vae, inv)) => {
                if let Some(v) = self.compare.pending.take() {
                    self.compare.result = Some((v, ae, vae, inv));
                }
            }
            (JobKind::Plane, JobOutput::Images(px)) => {
                if let Some((k, p)) = self.plane_requested.take() {
                    self.plane = Some((k, p, px));
                    self.plane_version += 1;
                }
            }
            _ => {}
        }
    }

    /// The plane the latent map should show: the whole plane for a 2-D z, otherwise the
    /// plane through z along the two strongest principal directions (once known).
    pub(super) fn wanted_plane(&self) -> Option<Plane> {
        let l = self.latent_dim();
        let side = self.settings.map_side.clamp(5, 31);
        let extent = self.settings.map_extent.clamp(0.5, 6.0);
        if l == 2 {
            return Some(Plane::latent_2d(side, extent).with_quantiles(self.settings.map_quantiles));
        }
        let d = self.directions()?;
        let (u, v) = (d.dirs.first()?, d.dirs.get(1)?);
        // Centre on z's part outside the plane, so the cell at (a, b) of z itself lies on it.
        let (a, b) = (dot(u, &self.z), dot(v, &self.z));
        let base: Vec<f32> = self
            .z
            .iter()
            .zip(u.iter().zip(v))
            .map(|(&z, (&u, &v))| z - a * u - b * v)
            .collect();
        Some(Plane {
            base,
            u: u.clone(),
            v: v.clone(),
            side,
            extent,
            quantiles: false,
        })
    }

    /// The pick for the grid cell `i`.
    pub fn grid_pick(&self, i: usize) -> Option<Pick> {
        let l = self.latent_dim();
        let z = self.grid_z.get(i * l..(i + 1) * l)?.to_vec();
        Some(Pick {
            z,
            label: tr!("sample {i} of seed {seed}", i = i, seed = self.settings.grid_seed),
            seed: (i == 0).then_some(self.settings.grid_seed),
        })
    }

    /// Makes the current tool ready to use: a grid click goes where the tool takes it, and
    /// Interpolate and Arithmetic start from samples of the grid (A and B: its first two
    /// digits; A, B, C: its first three) rather than empty slots.
    pub fn start_tool(&mut self) {
        if let Some(m) = &self.model
            && !self.settings.tool.applies_to(m)
        {
            self.settings.tool = if m.pixels.is_some() {
                Tool::Pixels
            } else if m.translator.is_some() {
                Tool::Translate
            } else {
                Tool::Sliders
            };
        }
        match self.settings.tool {
            Tool::Interpolate => {
                if !matches!(self.target, Target::A | Target::B) {
                    self.target = if self.a.is_none() { Target::A } else { Target::B };
                }
                if self.a.is_none() {
                    self.a = self.grid_pick(0);
                }
                if self.b.is_none() {
                    self.b = self.grid_pick(1);
                }
            }
            Tool::Arithmetic => {
                if !matches!(self.target, Target::Operand(_)) {
                    self.target = Target::Operand(0);
                }
                for i in 0..self.operands.len() {
                    if self.operands[i].is_none() {
                        self.operands[i] = self.grid_pick(i);
                    }
                }
            }
            _ => self.target = Target::Sliders,
        }
    }

    /// Puts a pick where the current target says.
    pub(super) fn place(&mut self, pick: Pick) {
        match self.target {
            Target::Sliders => self.set_z(pick.z, pick.seed),
            Target::A => {
                self.a = Some(pick);
                self.target = Target::B;
            }
            Target::B => {
                self.b = Some(pick);
                self.target = Target::A;
            }
            Target::Operand(i) => {
                if let Some(slot) = self.operands.get_mut(i) {
                    *slot = Some(pick);
                }
                self.target = Target::Operand((i + 1) % 3);
            }
        }
    }

    /// Asks for the principal directions (computed in the background if missing).
    pub fn want_directions(&mut self) {
        self.directions_wanted = true;
    }

    /// A fresh seed for "a random z" buttons.
    pub fn next_seed(&mut self) -> u64 {
        self.seed_counter += 1;
        self.seed_counter
    }

    /// The latent map's images, once decoded for the plane the map shows now.
    pub fn map_images(&self) -> Option<&[u8]> {
        self.plane_images(&self.wanted_plane()?)
    }

    /// The latent plane's images, if computed for (nearly) this plane.
    pub fn plane_images(&self, plane: &Plane) -> Option<&[u8]> {
        self.plane
            .as_ref()
            .filter(|(k, p, _)| *k == self.model_key && p.approx_eq(plane))
            .map(|(_, _, px)| px.as_slice())
    }

    /// The current z as a pick.
    pub fn sliders_pick(&self) -> Pick {
        Pick {
            z: self.z.clone(),
            label: tr("the sliders").into(),
            seed: self.z_seed,
        }
    }
}

/// [`Model::random_z`] of `model`, or plain z of size `l` without one.
fn model_random_z(model: Option<&Model>, n: usize, l: usize, seed: u64) -> Vec<f32> {
    match model {
        Some(m) => m.random_z(n, seed),
        None => random_z(n, l, seed),
    }
}

/// The name of a shipped model in the current language.
pub(super) fn pretrained_label(p: &pretrained::Pretrained) -> &'static str {
    tr(p.label)
}

/// `a · b` as `f32`.
pub(super) fn dot(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(&x, &y)| f64::from(x) * f64::from(y)).sum::<f64>() as f32
}

/// The pick grid as an egui image.
pub(super) fn grid_color_image(px: &[u8]) -> egui::ColorImage {
    let img = grid_image(px);
    super::samples::color_image(&img)
}

/// What the digit judge (and D, where there is one) make of the decoded image.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Verdict {
    /// The judge's class.
    pub class: usize,
    /// Its probability.
    pub confidence: f32,
    /// D's probability "real", for a model with a D.
    pub d_score: Option<f32>,
}

impl Verdict {
    /// The verdicts on one 8-bit image decoded by `model` (`None` if the judge fails).
    fn of(model: &crate::latent::Model, px: &[u8]) -> Option<Self> {
        let judge = crate::quality::Judge::shipped().ok()?;
        let v = judge.judge_u8(px).ok()?;
        if v.is_empty() {
            return None;
        }
        let (class, confidence) = v.top(0);
        let d_score = model.score_images(px).ok().flatten().and_then(|s| s.first().copied());
        Some(Self {
            class,
            confidence,
            d_score,
        })
    }
}
