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
//! - **Mode collapse** (the toy game): G's samples lose most of their variety (the mean
//!   distance between them falls under [`WatchConfig::collapse_ratio`] of the best seen in
//!   this run).
//! - **Equilibrium**: after D has once told real from fake, both smoothed means stay
//!   within [`WatchConfig::equilibrium_tolerance`] of 0.5 for many steps: D can only
//!   guess.
//!
//! The collapse threshold was checked on real runs' grids (variety in pixel units; 64
//! real MNIST digits: 10.0–10.3): the MLP GAN rises from 0.9 (step 250) to 10.2 and
//! never falls under 0.83 of its best; the DCGANs stay at 8.6–10.3; an MLP GAN with
//! z of size 2 that did collapse went from 7.5 to 0.0 (every sample the same digit).
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
//!   bound is above 2 nats by iteration 120 (tests/infogan.rs).
//!
//! Each event fires once, and again only after its condition has cleared. The means
//! are smoothed (exponential moving average) because one batch's mean is noisy.

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
    },
    /// The samples have lost most of their variety.
    ModeCollapse {
        /// The step it fired at.
        step: u64,
        /// Variety of the latest grid.
        diversity: f32,
        /// The best variety seen in this run.
        peak: f32,
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
    /// Both means have stayed near 0.5.
    Equilibrium {
        /// The step it fired at.
        step: u64,
        /// For how many steps the condition held.
        steps: u32,
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
    ema: Option<(f32, f32)>,
    d_wins_for: u32,
    d_wins_fired: bool,
    separated: bool,
    equilibrium_for: u32,
    equilibrium_fired: bool,
    peak_diversity: f32,
    collapse_fired: bool,
}

impl Watch {
    /// A watch with these thresholds.
    pub fn new(config: WatchConfig) -> Self {
        Self {
            config,
            ..Self::default()
        }
    }

    /// Forgets everything (a new run).
    pub fn reset(&mut self) {
        *self = Self::new(self.config);
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
                });
            }
        } else {
            self.d_wins_for = 0;
            self.d_wins_fired = false;
        }

        let near = |v: f32| (v - 0.5).abs() <= c.equilibrium_tolerance;
        if self.separated && near(real) && near(fake) {
            self.equilibrium_for += 1;
            if self.equilibrium_for >= c.equilibrium_steps && !self.equilibrium_fired {
                self.equilibrium_fired = true;
                event = event.or(Some(GameEvent::Equilibrium {
                    step,
                    steps: self.equilibrium_for,
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

    /// Takes a new sample grid (28×28 images one after another) decoded at `step`.
    pub fn observe_samples(&mut self, step: u64, pixels: &[u8]) -> Option<GameEvent> {
        self.observe_diversity(step, diversity(pixels, 28 * 28))
    }

    /// Takes the variety `d` of the generator's samples at `step` (see [`diversity`],
    /// [`point_diversity`]).
    pub fn observe_diversity(&mut self, step: u64, d: f32) -> Option<GameEvent> {
        self.peak_diversity = self.peak_diversity.max(d);
        if step < self.config.collapse_after_step || self.peak_diversity <= 0.0 {
            return None;
        }
        if d < self.config.collapse_ratio * self.peak_diversity {
            if !self.collapse_fired {
                self.collapse_fired = true;
                return Some(GameEvent::ModeCollapse {
                    step,
                    diversity: d,
                    peak: self.peak_diversity,
                });
            }
        } else {
            self.collapse_fired = false;
        }
        None
    }
}

/// The variety of a set of images: the mean Euclidean distance between all pairs, in
/// pixel units of [0, 1] (0 when all are the same).
pub fn diversity(pixels: &[u8], image_len: usize) -> f32 {
    if image_len == 0 {
        return 0.0;
    }
    let img = |i: usize| &pixels[i * image_len..(i + 1) * image_len];
    mean_pairwise_distance(pixels.len() / image_len, |i, j| {
        img(i)
            .iter()
            .zip(img(j))
            .map(|(&a, &b)| {
                let d = (f64::from(a) - f64::from(b)) / 255.0;
                d * d
            })
            .sum()
    })
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

    #[test]
    fn collapse_fires_when_the_grid_loses_its_variety() {
        let mut w = Watch::default();
        let varied: Vec<u8> = (0..64 * 784).map(|i| ((i * 7919) % 251) as u8).collect();
        let same: Vec<u8> = varied[..784].repeat(64);
        assert!(diversity(&varied, 784) > 5.0);
        assert_eq!(diversity(&same, 784), 0.0);
        // Early near-identical grids are G's starting noise, not a collapse.
        assert_eq!(w.observe_samples(0, &same), None);
        assert_eq!(w.observe_samples(200, &varied), None);
        assert_eq!(w.observe_samples(250, &same), None, "before collapse_after_step");
        let e = w.observe_samples(400, &same).expect("collapse");
        assert!(matches!(e, GameEvent::ModeCollapse { step: 400, diversity, .. } if diversity == 0.0));
        assert_eq!(w.observe_samples(500, &same), None, "fires once");
        assert_eq!(w.observe_samples(600, &varied), None);
        assert!(w.observe_samples(700, &same).is_some(), "re-armed after recovering");
    }
}
