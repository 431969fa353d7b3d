//! Moments of the game worth pausing for, detected from the numbers training reports.
//!
//! - **D wins**: D scores the fakes near 0 for many steps in a row (its smoothed mean
//!   D(G(z)) stays under [`WatchConfig::d_wins_below`]). Under the minimax loss G's
//!   gradient then all but vanishes.
//! - **Mode collapse** (image models): the built-in digit judge finds the samples are
//!   digits (at least [`ClassCollapseWatch::MIN_RECOGNISABLE`] of them recognised) but of
//!   few kinds — at most [`ClassCollapseWatch::MAX_CLASSES`] classes covered, or one class
//!   holding at least [`ClassCollapseWatch::TOP_SHARE`] of them ([`ClassCollapseWatch`]).
//!   Noise is not a collapse (nothing is recognised), and real digits never are.
//! - **Mode collapse** (the toy game, [`Watch::observe_spread`]): G had covered the data
//!   and lost it. Either its samples were once at least twice
//!   [`WatchConfig::collapse_ratio`] as varied as the data (variety: the mean distance
//!   between points) and are now under `collapse_ratio` of it; or, on data with separate
//!   modes (the 1-D mixture's two, the ring's eight), they now cover at most half of the
//!   modes and once covered more (a mode is covered when at least a quarter of its fair
//!   share of the samples lie nearest to it). Both compare G with the data, not with G's
//!   own widest moment: a G that starts wide and narrows to the data's width is learning
//!   (on the 1-D Gaussian a matched G has about 0.9 of the data's variety), and a G that
//!   starts narrow and has not yet spread out has not collapsed.
//! - **Equilibrium**: after D has once told real from fake, both smoothed means stay
//!   within [`WatchConfig::equilibrium_tolerance`] of 0.5 for many steps: D can only
//!   guess. In the toy game, where G's samples can be compared with the data directly, G
//!   must also match the data ([`ToySpread::matches`]: its samples' centre within a quarter
//!   of the data's variety of the data's centre, and their variety within 0.7–1.4 of the
//!   data's): a D that flattens at 0.5 while G drifts off (a D too slow to follow) is no
//!   end of the game.
//!
//! - **Posterior collapse** (VAEs): every latent dimension's KL stays under [`ACTIVE_KL`]
//!   nats for [`CollapseWatch::STEPS`] iterations in a row after the first
//!   [`CollapseWatch::AFTER_STEP`]: the encoder's codes carry nothing and the decoder draws
//!   the same average digit whatever z is ([`CollapseWatch`]).
//!
//! - **c₁ ignored** (InfoGAN): the lower bound on I(c₁; G(z, c)) — ln 10 minus Q's
//!   cross-entropy on c₁ — has stayed under [`CodeIgnoredWatch::BELOW`] (a tenth of its
//!   ceiling ln 10) for [`CodeIgnoredWatch::STEPS`] iterations after the first
//!   [`CodeIgnoredWatch::AFTER_STEP`]: Q cannot tell c₁'s values apart in the images, so
//!   they all draw the same kinds of digit ([`CodeIgnoredWatch`]). With the defaults the
//!   bound is above 0.8 nats by iteration 80 (tests/infogan.rs) and 2.2 by iteration 2,000.
//!
//! Each event fires once, and again only after its condition has cleared; each watch says
//! whether an event's condition still holds ([`Watch::holds`] and the `holds` of the
//! others), and the views take an event's banner down when it no longer does. The means
//! are smoothed (exponential moving average) because one batch's mean is noisy.

use crate::data::toy::ToyDistribution;
use crate::train::GeneratorLoss;

/// A moment of the game.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum GameEvent {
    /// D has scored the fakes near 0 for `steps` steps.
    DWins {
        /// The step it fired at.
        step: u64,
        /// For how many steps the condition held.
        steps: u32,
        /// The smoothed mean D(G(z)).
        d_fake: f32,
        /// The generator loss in use, where the watch was told it (the caption's advice
        /// depends on it).
        g_loss: Option<GeneratorLoss>,
    },
    /// The toy game's samples have lost most of the data's variety or modes.
    ModeCollapse {
        /// The step it fired at.
        step: u64,
        /// Variety of G's samples (mean distance between them).
        diversity: f32,
        /// Variety of the data, measured the same way.
        data_diversity: f32,
        /// `(covered, total)` modes, for data with separate modes.
        modes: Option<(usize, usize)>,
    },
    /// The judge finds the samples are digits of only a few classes.
    ClassCollapse {
        /// The step it fired at.
        step: u64,
        /// The most common class.
        top_class: usize,
        /// Its share of the samples.
        top_share: f32,
        /// Classes covered (at least 2 % of the samples each).
        classes: usize,
    },
    /// A VAE's latent dimensions all carry (almost) no information.
    PosteriorCollapse {
        /// The step it fired at.
        step: u64,
        /// For how many steps the condition held.
        steps: u32,
        /// The largest KL of any dimension at that step (nats).
        max_kl: f32,
    },
    /// Both means have stayed near D's verdict at the equilibrium: 0.5, or half the real
    /// label under one-sided label smoothing.
    Equilibrium {
        /// The step it fired at.
        step: u64,
        /// For how many steps the condition held.
        steps: u32,
        /// Where both means were expected: half of D's target for real images.
        centre: f32,
        /// The smoothed mean D(x).
        d_real: f32,
        /// The smoothed mean D(G(z)).
        d_fake: f32,
    },
    /// InfoGAN's generator ignores its categorical code c₁.
    CodeIgnored {
        /// The step it fired at.
        step: u64,
        /// For how many steps the condition held.
        steps: u32,
        /// The smoothed lower bound on I(c₁; G(z, c)) (nats).
        bound: f32,
    },
}

impl GameEvent {
    /// The step it fired at.
    pub fn step(&self) -> u64 {
        match *self {
            GameEvent::DWins { step, .. }
            | GameEvent::ModeCollapse { step, .. }
            | GameEvent::ClassCollapse { step, .. }
            | GameEvent::PosteriorCollapse { step, .. }
            | GameEvent::CodeIgnored { step, .. }
            | GameEvent::Equilibrium { step, .. } => step,
        }
    }
}

/// A latent dimension whose KL (nats, averaged over a batch) is above this carries
/// information about the digit: an active unit.
pub const ACTIVE_KL: f32 = 0.05;

/// Watches a VAE's KL per latent dimension for posterior collapse. It may be fed every
/// iteration or only now and then (the window sees the latest of each frame): it counts
/// iterations by their step numbers.
#[derive(Debug, Clone, Default)]
pub struct CollapseWatch {
    held: Held,
}

/// How long a condition has held, counted by step numbers, and whether its event fired.
#[derive(Debug, Clone, Default)]
struct Held {
    since: Option<u64>,
    fired: bool,
}

impl Held {
    /// Notes whether the condition holds at `step`; the first time it has held for `steps`
    /// steps, returns for how many. A break in the condition starts the count again and
    /// lets the event fire again.
    fn observe(&mut self, holds: bool, step: u64, steps: u64) -> Option<u32> {
        if !holds {
            *self = Self::default();
            return None;
        }
        let since = *self.since.get_or_insert(step);
        let held = step.saturating_sub(since);
        if held >= steps && !self.fired {
            self.fired = true;
            return Some(held.min(u64::from(u32::MAX)) as u32);
        }
        None
    }
}

impl CollapseWatch {
    /// Iterations every dimension must stay inactive.
    pub const STEPS: u64 = 100;
    /// No collapse is called before this iteration (a fresh encoder's codes are all near 0).
    pub const AFTER_STEP: u64 = 300;

    /// Takes the KL per dimension at iteration `step`; returns the event if it fires now.
    pub fn observe(&mut self, step: u64, kl_per_dim: &[f32]) -> Option<GameEvent> {
        if kl_per_dim.is_empty() || kl_per_dim.iter().any(|v| !v.is_finite()) {
            return None;
        }
        let max_kl = kl_per_dim.iter().copied().fold(f32::MIN, f32::max);
        let inactive = max_kl < ACTIVE_KL && step >= Self::AFTER_STEP;
        self.held
            .observe(inactive, step, Self::STEPS)
            .map(|steps| GameEvent::PosteriorCollapse { step, steps, max_kl })
    }

    /// Whether the condition holds now (every dimension inactive for long enough).
    pub fn holds(&self) -> bool {
        self.held.fired
    }

    /// Forgets everything (a new run).
    pub fn reset(&mut self) {
        *self = Self::default();
    }
}

/// Watches InfoGAN's categorical bound (the `mi_bound` metric) for c₁ being ignored. Fed
/// every iteration's bound; smoothed because one batch's estimate is noisy.
#[derive(Debug, Clone, Default)]
pub struct CodeIgnoredWatch {
    smoothed: Option<f32>,
    held: Held,
}

impl CodeIgnoredWatch {
    /// The bound (nats) under which c₁ counts as ignored: a tenth of ln 10.
    pub const BELOW: f32 = 0.1 * std::f32::consts::LN_10;
    /// Iterations the smoothed bound must stay under it.
    pub const STEPS: u64 = 100;
    /// Nothing is called before this iteration (Q starts knowing nothing of c₁).
    pub const AFTER_STEP: u64 = 200;

    /// Takes the bound at iteration `step`; returns the event if it fires now.
    pub fn observe(&mut self, step: u64, bound: f32) -> Option<GameEvent> {
        if !bound.is_finite() {
            return None;
        }
        let s = match self.smoothed {
            Some(prev) => 0.9 * prev + 0.1 * bound,
            None => bound,
        };
        self.smoothed = Some(s);
        let ignored = s < Self::BELOW && step >= Self::AFTER_STEP;
        self.held
            .observe(ignored, step, Self::STEPS)
            .map(|steps| GameEvent::CodeIgnored { step, steps, bound: s })
    }

    /// Whether the condition holds now.
    pub fn holds(&self) -> bool {
        self.held.fired
    }

    /// Forgets everything (a new run).
    pub fn reset(&mut self) {
        *self = Self::default();
    }
}

/// Watches the judge's class histogram of an image model's samples for mode collapse.
#[derive(Debug, Clone, Default)]
pub struct ClassCollapseWatch {
    fired: bool,
}

impl ClassCollapseWatch {
    /// At least this share of the samples must be recognised for the histogram to count.
    pub const MIN_RECOGNISABLE: f32 = 0.5;
    /// Collapse: at most this many classes covered…
    pub const MAX_CLASSES: usize = 3;
    /// …or one class with at least this share of the samples.
    pub const TOP_SHARE: f32 = 0.5;

    /// Whether `q` shows a collapse.
    pub fn collapsed(q: &crate::quality::Quality) -> bool {
        q.recognisable >= Self::MIN_RECOGNISABLE
            && (q.classes <= Self::MAX_CLASSES || q.top_class().1 >= Self::TOP_SHARE)
    }

    /// Takes the quality of the samples at `step`; returns the event if it fires now. It
    /// fires once, and again only after the samples have recovered.
    pub fn observe(&mut self, step: u64, q: &crate::quality::Quality) -> Option<GameEvent> {
        if !Self::collapsed(q) {
            self.fired = false;
            return None;
        }
        if self.fired {
            return None;
        }
        self.fired = true;
        let (top_class, top_share) = q.top_class();
        Some(GameEvent::ClassCollapse {
            step,
            top_class,
            top_share,
            classes: q.classes,
        })
    }

    /// Whether the collapse holds now.
    pub fn holds(&self) -> bool {
        self.fired
    }

    /// Forgets everything (a new run).
    pub fn reset(&mut self) {
        *self = Self::default();
    }
}

/// Thresholds of the watch.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct WatchConfig {
    /// Smoothing of the means: weight of the newest step.
    pub smoothing: f32,
    /// "Near 0" for D's scores on fakes.
    pub d_wins_below: f32,
    /// Steps in a row D must win.
    pub d_wins_steps: u32,
    /// "Near 0.5".
    pub equilibrium_tolerance: f32,
    /// Steps in a row both means must stay near 0.5.
    pub equilibrium_steps: u32,
    /// The gap D(x) − D(G(z)) that counts as D having told real from fake once.
    pub separated_gap: f32,
    /// Collapse: the grid's variety under this fraction of the run's best.
    pub collapse_ratio: f32,
    /// No collapse is called before this step (G starts out drawing near-identical noise).
    pub collapse_after_step: u64,
}

impl Default for WatchConfig {
    fn default() -> Self {
        Self {
            smoothing: 0.05,
            d_wins_below: 0.05,
            d_wins_steps: 200,
            equilibrium_tolerance: 0.05,
            equilibrium_steps: 300,
            separated_gap: 0.2,
            collapse_ratio: 0.4,
            collapse_after_step: 300,
        }
    }
}

/// Watches one run's numbers for [`GameEvent`]s.
#[derive(Debug, Clone, Default)]
pub struct Watch {
    /// The thresholds.
    pub config: WatchConfig,
    /// The generator loss in use, if known: carried by [`GameEvent::DWins`] for its advice.
    pub g_loss: Option<GeneratorLoss>,
    /// D's target for real images when it is not 1 (one-sided label smoothing): D's
    /// optimum is then real_label·p_data / (p_data + p_g), so at the equilibrium both means
    /// tend to half of it rather than to 0.5.
    pub real_label: Option<f32>,
    ema: Option<(f32, f32)>,
    d_wins_for: u32,
    d_wins_fired: bool,
    separated: bool,
    equilibrium_for: u32,
    equilibrium_fired: bool,
    collapse_fired: bool,
    /// The most varied G has been, as a share of the data's variety.
    peak_spread: f32,
    /// The most modes G has covered.
    peak_modes: usize,
    /// Whether G's samples match the data, where that can be measured (the toy game).
    g_matches: Option<bool>,
}

impl Watch {
    /// A watch with these thresholds.
    pub fn new(config: WatchConfig) -> Self {
        Self {
            config,
            ..Self::default()
        }
    }

    /// This watch, told the generator loss in use.
    pub fn with_g_loss(mut self, g_loss: GeneratorLoss) -> Self {
        self.g_loss = Some(g_loss);
        self
    }

    /// Forgets everything (a new run); keeps the thresholds and the loss.
    pub fn reset(&mut self) {
        *self = Self {
            g_loss: self.g_loss,
            real_label: self.real_label,
            ..Self::new(self.config)
        };
    }

    /// Where D's two means settle at the equilibrium: half of D's target for real images.
    pub fn equilibrium_centre(&self) -> f32 {
        self.real_label.unwrap_or(1.0) / 2.0
    }

    /// Whether `event`'s condition still holds (for a kind this watch detects; `false` for
    /// the others): the banner comes down when it does not.
    pub fn holds(&self, event: &GameEvent) -> bool {
        match event {
            GameEvent::DWins { .. } => self.d_wins_fired,
            GameEvent::Equilibrium { .. } => self.equilibrium_fired,
            GameEvent::ModeCollapse { .. } => self.collapse_fired,
            _ => false,
        }
    }

    /// Takes one step's numbers (iteration `step`, mean D(x) and mean D(G(z)) of its last D
    /// update); returns an event if one fires now.
    pub fn observe_step(&mut self, step: u64, d_real_mean: f32, d_fake_mean: f32) -> Option<GameEvent> {
        if !(d_real_mean.is_finite() && d_fake_mean.is_finite()) {
            return None;
        }
        let c = self.config;
        let (real, fake) = match self.ema {
            None => (d_real_mean, d_fake_mean),
            Some((r, f)) => (r + c.smoothing * (d_real_mean - r), f + c.smoothing * (d_fake_mean - f)),
        };
        self.ema = Some((real, fake));
        if real - fake > c.separated_gap {
            self.separated = true;
        }

        let mut event = None;
        if fake < c.d_wins_below {
            self.d_wins_for += 1;
            if self.d_wins_for >= c.d_wins_steps && !self.d_wins_fired {
                self.d_wins_fired = true;
                event = Some(GameEvent::DWins {
                    step,
                    steps: self.d_wins_for,
                    d_fake: fake,
                    g_loss: self.g_loss,
                });
            }
        } else {
            self.d_wins_for = 0;
            self.d_wins_fired = false;
        }

        let centre = self.equilibrium_centre();
        let near = |v: f32| (v - centre).abs() <= c.equilibrium_tolerance;
        if self.separated && near(real) && near(fake) && self.g_matches != Some(false) {
            self.equilibrium_for += 1;
            if self.equilibrium_for >= c.equilibrium_steps && !self.equilibrium_fired {
                self.equilibrium_fired = true;
                event = event.or(Some(GameEvent::Equilibrium {
                    step,
                    steps: self.equilibrium_for,
                    centre,
                    d_real: real,
                    d_fake: fake,
                }));
            }
        } else {
            self.equilibrium_for = 0;
            self.equilibrium_fired = false;
        }
        event
    }

    /// Takes the spread of the toy generator's samples at `step` (see [`toy_spread`]);
    /// returns [`GameEvent::ModeCollapse`] if it fires now.
    pub fn observe_spread(&mut self, step: u64, spread: &ToySpread) -> Option<GameEvent> {
        self.g_matches = Some(spread.matches());
        if self.g_matches == Some(false) {
            // An equilibrium needs G to match the data: its count starts again.
            self.equilibrium_for = 0;
            self.equilibrium_fired = false;
        }
        let ratio = self.config.collapse_ratio;
        let share = if spread.data_diversity > 0.0 {
            spread.diversity / spread.data_diversity
        } else {
            0.0
        };
        let (had_spread, had_modes) = (self.peak_spread, self.peak_modes);
        self.peak_spread = self.peak_spread.max(share);
        if let Some((covered, _)) = spread.modes {
            self.peak_modes = self.peak_modes.max(covered);
        }
        if step < self.config.collapse_after_step {
            return None;
        }
        let narrowed = had_spread >= 2.0 * ratio && share < ratio;
        let lost_modes = spread
            .modes
            .is_some_and(|(covered, total)| total >= 2 && covered <= total / 2 && had_modes > covered);
        if narrowed || lost_modes {
            if !self.collapse_fired {
                self.collapse_fired = true;
                return Some(GameEvent::ModeCollapse {
                    step,
                    diversity: spread.diversity,
                    data_diversity: spread.data_diversity,
                    modes: spread.modes,
                });
            }
        } else {
            self.collapse_fired = false;
        }
        None
    }
}

/// How widely the toy generator's samples spread, next to the data.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ToySpread {
    /// The mean distance between G's samples.
    pub diversity: f32,
    /// The mean distance between data points.
    pub data_diversity: f32,
    /// `(covered, total)` modes, for data with separate modes.
    pub modes: Option<(usize, usize)>,
    /// The distance between the centre (mean) of G's samples and the data's.
    pub centre_gap: f32,
}

impl ToySpread {
    /// Whether G's samples match the data: centres within a quarter of the data's variety,
    /// and variety within 0.7–1.4 of the data's.
    pub fn matches(&self) -> bool {
        let d = self.data_diversity;
        d > 0.0 && self.centre_gap <= 0.25 * d && (0.7 * d..=1.4 * d).contains(&self.diversity)
    }
}

/// At most this many points of each set are compared in [`toy_spread`] (pairs grow as n²).
pub const SPREAD_POINTS: usize = 300;

/// The spread of G's samples `fake` against the data points `real` of `dist` (flat,
/// `dist.dim()` values each; the first [`SPREAD_POINTS`] of each are used).
pub fn toy_spread(dist: ToyDistribution, fake: &[f32], real: &[f32]) -> ToySpread {
    let dim = dist.dim();
    let centres = dist.mode_centres();
    let modes = (centres.len() / dim >= 2).then(|| modes_covered(&centres, fake, dim));
    let centre = |p: &[f32]| crate::train::toy::moments(p, dim).0;
    let centre_gap = centre(fake)
        .iter()
        .zip(centre(real))
        .map(|(a, b)| (a - b) * (a - b))
        .sum::<f32>()
        .sqrt();
    ToySpread {
        diversity: point_diversity(fake, dim, SPREAD_POINTS),
        data_diversity: point_diversity(real, dim, SPREAD_POINTS),
        modes,
        centre_gap,
    }
}

/// `(covered, total)`: each point goes to its nearest centre, and a centre is covered when
/// at least a quarter of its fair share (1 / total) of the points went to it.
pub fn modes_covered(centres: &[f32], points: &[f32], dim: usize) -> (usize, usize) {
    let total = centres.len() / dim.max(1);
    let mut counts = vec![0usize; total];
    let mut n = 0usize;
    for p in points.chunks_exact(dim.max(1)) {
        if p.iter().any(|v| !v.is_finite()) {
            continue;
        }
        let nearest = centres
            .chunks_exact(dim.max(1))
            .map(|c| c.iter().zip(p).map(|(a, b)| (a - b) * (a - b)).sum::<f32>())
            .enumerate()
            .min_by(|a, b| a.1.total_cmp(&b.1))
            .map(|(i, _)| i);
        if let Some(i) = nearest {
            counts[i] += 1;
            n += 1;
        }
    }
    if n == 0 {
        return (0, total);
    }
    let covered = counts
        .iter()
        .filter(|&&c| c as f32 * 4.0 * total as f32 >= n as f32)
        .count();
    (covered, total)
}

/// The variety of a set of points of `dim` coordinates each (flat): the mean Euclidean
/// distance between all pairs of the first `max_points`.
pub fn point_diversity(points: &[f32], dim: usize, max_points: usize) -> f32 {
    if dim == 0 {
        return 0.0;
    }
    let p = |i: usize| &points[i * dim..(i + 1) * dim];
    mean_pairwise_distance((points.len() / dim).min(max_points), |i, j| {
        p(i).iter()
            .zip(p(j))
            .map(|(&a, &b)| f64::from(a - b) * f64::from(a - b))
            .sum()
    })
}

/// The mean of √`squared_distance(i, j)` over all pairs `i < j` of `n` items (0 for fewer than two).
fn mean_pairwise_distance(n: usize, squared_distance: impl Fn(usize, usize) -> f64) -> f32 {
    if n < 2 {
        return 0.0;
    }
    let mut total = 0.0f64;
    for i in 0..n {
        for j in i + 1..n {
            total += squared_distance(i, j).sqrt();
        }
    }
    (total / (n * (n - 1) / 2) as f64) as f32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn posterior_collapse_fires_when_every_dimension_is_inactive_and_not_otherwise() {
        let mut w = CollapseWatch::default();
        // Early steps of a fresh VAE: codes near 0, but too early to call it.
        for s in 0..CollapseWatch::AFTER_STEP {
            assert_eq!(w.observe(s, &[0.001; 8]), None);
        }
        // One active dimension among inactive ones: a working VAE, no event.
        let mut one_active = [0.001; 8];
        one_active[3] = 2.5;
        for s in 300..1000 {
            assert_eq!(w.observe(s, &one_active), None, "step {s}");
        }
        // All inactive: fires once after STEPS steps, and stays quiet after.
        let events: Vec<_> = (1000..1300).filter_map(|s| w.observe(s, &[0.01; 8])).collect();
        assert_eq!(events.len(), 1, "{events:?}");
        assert!(matches!(
            events[0],
            GameEvent::PosteriorCollapse {
                step: 1100,
                steps: 100,
                ..
            }
        ));
        assert!(w.holds());
        // It clears when a dimension wakes up, and can fire again.
        assert_eq!(w.observe(1300, &one_active), None);
        assert!(!w.holds());
        assert_eq!((1301..1500).filter_map(|s| w.observe(s, &[0.0; 8])).count(), 1);
    }

    fn run(w: &mut Watch, from: u64, steps: u64, real: f32, fake: f32) -> Vec<GameEvent> {
        (from..from + steps)
            .filter_map(|s| w.observe_step(s, real, fake))
            .collect()
    }

    #[test]
    fn d_wins_fires_once_after_enough_steps_and_rearms_when_it_clears() {
        let mut w = Watch::default();
        // The smoothed mean needs a while to fall under 0.05 from 0.5, then 200 steps.
        let events = run(&mut w, 0, 150, 0.99, 0.001);
        assert!(events.is_empty(), "not yet: {events:?}");
        let events = run(&mut w, 150, 300, 0.99, 0.001);
        assert_eq!(events.len(), 1, "{events:?}");
        assert!(matches!(events[0], GameEvent::DWins { steps: 200, .. }));
        // G recovers, then D wins again: a second event.
        assert!(run(&mut w, 450, 200, 0.7, 0.4).is_empty());
        assert_eq!(run(&mut w, 650, 400, 0.99, 0.0).len(), 1);
    }

    #[test]
    fn equilibrium_needs_d_to_have_separated_first() {
        let mut w = Watch::default();
        // Straight from the start both near 0.5: no event (D never told them apart).
        assert!(run(&mut w, 0, 1000, 0.5, 0.5).is_empty());
        // D separates, then both drift back to 0.5 and stay.
        assert!(run(&mut w, 1000, 200, 0.9, 0.1).is_empty());
        let events = run(&mut w, 1200, 600, 0.52, 0.49);
        assert_eq!(events.len(), 1, "{events:?}");
        let GameEvent::Equilibrium {
            d_real, d_fake, steps, ..
        } = events[0]
        else {
            panic!("{events:?}");
        };
        assert_eq!(steps, 300);
        assert!((d_real - 0.5).abs() <= 0.05 && (d_fake - 0.5).abs() <= 0.05);
    }

    #[test]
    fn noisy_means_around_a_separated_game_fire_nothing() {
        let mut w = Watch::default();
        let mut rng = crate::rng::Rng::new(3);
        for s in 0..5000 {
            let real = 0.72 + 0.2 * (rng.uniform() as f32 - 0.5);
            let fake = 0.28 + 0.2 * (rng.uniform() as f32 - 0.5);
            assert_eq!(w.observe_step(s, real, fake), None, "step {s}");
        }
    }

    #[test]
    fn point_diversity_measures_spread() {
        assert_eq!(point_diversity(&[1.0, 1.0, 1.0], 1, 100), 0.0);
        // Pairs (0,3), (0,4), (3,4): distances 3, 4... in 2-D: (0,0), (3,0), (0,4) → 3, 4, 5.
        let d = point_diversity(&[0.0, 0.0, 3.0, 0.0, 0.0, 4.0], 2, 100);
        assert!((d - 4.0).abs() < 1e-6, "{d}");
        assert_eq!(point_diversity(&[0.0, 0.0, 3.0, 0.0, 0.0, 4.0], 2, 2), 3.0);
    }

    fn spread_of(dist: ToyDistribution, fake: &[f32]) -> ToySpread {
        let real = dist.sample(&mut crate::rng::Rng::new(5), 400);
        toy_spread(dist, fake, &real)
    }

    #[test]
    fn a_generator_matching_the_1d_gaussian_is_no_collapse_but_one_squeezed_to_a_point_is() {
        let mut rng = crate::rng::Rng::new(9);
        let g = ToyDistribution::Gaussian1d;
        let around = |rng: &mut crate::rng::Rng, std: f32| -> Vec<f32> {
            (0..400).map(|_| 4.0 + std * rng.normal() as f32).collect()
        };
        let mut w = Watch::default();
        // A fresh G is narrow: not yet spread out is not a collapse.
        let narrow = spread_of(g, &around(&mut rng, 0.1));
        assert_eq!(w.observe_spread(300, &narrow), None);
        // G overshoots wide, then settles at the mean 3.91, std 1.13 (data 4.00, 1.25).
        assert_eq!(w.observe_spread(400, &spread_of(g, &around(&mut rng, 5.0))), None);
        let matched: Vec<f32> = (0..400).map(|_| 3.91 + 1.13 * rng.normal() as f32).collect();
        let s = spread_of(g, &matched);
        assert!(s.modes.is_none(), "one mode: nothing to count");
        for step in (500..3000).step_by(100) {
            assert_eq!(w.observe_spread(step, &s), None, "step {step}");
        }
        // Then it squeezes to a point: a collapse.
        let point = spread_of(g, &around(&mut rng, 0.05));
        let e = w.observe_spread(3000, &point).expect("a point mass is a collapse");
        assert!(
            matches!(e, GameEvent::ModeCollapse { step: 3000, modes: None, diversity, data_diversity } if diversity < 0.1 * data_diversity)
        );
        assert!(w.holds(&e));
        assert_eq!(w.observe_spread(3100, &point), None, "fires once");
        assert_eq!(w.observe_spread(3200, &s), None);
        assert!(!w.holds(&e), "cleared once G spreads again");
    }

    #[test]
    fn collapse_on_the_mixture_and_the_ring_counts_modes() {
        let mut rng = crate::rng::Rng::new(2);
        // The 1-D mixture: G on both modes, then on one of them, fires.
        let mix = ToyDistribution::Mixture1d;
        let both = spread_of(mix, &mix.sample(&mut rng, 400));
        assert_eq!(both.modes, Some((2, 2)));
        let one_mode: Vec<f32> = (0..400).map(|_| 2.0 + 0.6 * rng.normal() as f32).collect();
        let one = spread_of(mix, &one_mode);
        assert_eq!(one.modes, Some((1, 2)));
        let mut w = Watch::default();
        assert_eq!(w.observe_spread(300, &both), None);
        assert!(matches!(
            w.observe_spread(400, &one),
            Some(GameEvent::ModeCollapse {
                modes: Some((1, 2)),
                ..
            })
        ));
        // A G that has only ever sat on one mode has not lost anything yet.
        assert_eq!(Watch::default().observe_spread(400, &one), None);
        // The ring: all eight covered is fine; three modes of eight after all eight is a
        // collapse even though the three are spread apart (the variety alone would not show it).
        let ring = ToyDistribution::Ring2d.sample(&mut rng, 400);
        let all = spread_of(ToyDistribution::Ring2d, &ring);
        assert_eq!(all.modes, Some((8, 8)));
        let three: Vec<f32> = ring
            .chunks_exact(2)
            .filter(|p| {
                let a = p[1].atan2(p[0]).rem_euclid(std::f32::consts::TAU);
                let k = (a / (std::f32::consts::TAU / 8.0)).round() as usize % 8;
                [0, 3, 5].contains(&k)
            })
            .flatten()
            .copied()
            .collect();
        let s = spread_of(ToyDistribution::Ring2d, &three);
        assert_eq!(s.modes, Some((3, 8)));
        assert!(s.diversity > 0.4 * s.data_diversity, "{s:?}");
        let mut w = Watch::default();
        assert_eq!(w.observe_spread(300, &all), None);
        assert!(w.observe_spread(400, &s).is_some());
        // A wide blob over the middle is nearest to every mode in turn: all covered.
        let blob: Vec<f32> = (0..800).map(|_| 1.5 * rng.normal() as f32).collect();
        assert_eq!(spread_of(ToyDistribution::Ring2d, &blob).modes, Some((8, 8)));
    }

    #[test]
    fn under_label_smoothing_the_equilibrium_is_at_half_the_real_label() {
        // Real label 0.8: D's optimum at p_g = p_data is 0.4, not 0.5.
        let smoothed = || Watch {
            real_label: Some(0.8),
            ..Watch::default()
        };
        let mut w = smoothed();
        run(&mut w, 0, 200, 0.75, 0.1);
        let events = run(&mut w, 200, 600, 0.41, 0.39);
        let Some(GameEvent::Equilibrium { centre, .. }) = events.first() else {
            panic!("no equilibrium at 0.4 under real label 0.8: {events:?}");
        };
        assert!((centre - 0.4).abs() < 1e-6);
        // The paper's 0.5 is not where that D settles: means at 0.5 stay silent there…
        let mut w = smoothed();
        run(&mut w, 0, 200, 0.75, 0.1);
        assert!(run(&mut w, 200, 600, 0.5, 0.5).is_empty());
        // …and without smoothing, means at 0.4 are no equilibrium.
        let mut w = Watch::default();
        run(&mut w, 0, 200, 0.9, 0.1);
        assert!(run(&mut w, 200, 600, 0.41, 0.39).is_empty());
        // A new run keeps the label.
        let mut w = smoothed();
        w.reset();
        assert_eq!(w.equilibrium_centre(), 0.4);
    }

    #[test]
    fn banners_hold_only_while_their_condition_does() {
        let mut w = Watch::default();
        run(&mut w, 0, 200, 0.9, 0.1);
        let e = run(&mut w, 200, 600, 0.5, 0.5).pop().expect("equilibrium");
        assert!(matches!(e, GameEvent::Equilibrium { .. }));
        assert!(w.holds(&e));
        // D finds its feet again (the ring's D(x) ≈ 0.6): the banner's condition is gone.
        run(&mut w, 800, 100, 0.62, 0.4);
        assert!(!w.holds(&e));
    }

    #[test]
    fn a_toy_equilibrium_needs_g_to_match_the_data() {
        let g = ToyDistribution::Gaussian1d;
        let mut rng = crate::rng::Rng::new(4);
        let around = |rng: &mut crate::rng::Rng, m: f32, s: f32| -> Vec<f32> {
            (0..400).map(|_| m + s * rng.normal() as f32).collect()
        };
        let matched = spread_of(g, &around(&mut rng, 3.95, 1.2));
        // The screenshot's run: D flat at 0.5 while G's samples sit at mean 5.5, std 1.86.
        let drifted = spread_of(g, &around(&mut rng, 5.5, 1.86));
        assert!(matched.matches(), "{matched:?}");
        assert!(!drifted.matches(), "{drifted:?}");
        let mut w = Watch::default();
        run(&mut w, 0, 200, 0.9, 0.1);
        w.observe_spread(200, &matched);
        let e = run(&mut w, 200, 600, 0.5, 0.5)
            .pop()
            .expect("equilibrium with G matched");
        assert!(w.holds(&e));
        // G drifts off while D stays at 0.5: the banner's condition is gone, and it does not
        // come back while G stays off.
        w.observe_spread(800, &drifted);
        assert!(!w.holds(&e));
        assert!(run(&mut w, 800, 1000, 0.5, 0.5).is_empty());
    }

    #[test]
    fn d_wins_carries_the_loss_in_use() {
        let mut w = Watch::default().with_g_loss(GeneratorLoss::NonSaturating);
        let e = run(&mut w, 0, 500, 0.99, 0.0).pop().expect("D wins");
        assert!(matches!(
            e,
            GameEvent::DWins {
                g_loss: Some(GeneratorLoss::NonSaturating),
                ..
            }
        ));
        w.reset();
        assert_eq!(w.g_loss, Some(GeneratorLoss::NonSaturating), "a reset keeps the loss");
    }
}
