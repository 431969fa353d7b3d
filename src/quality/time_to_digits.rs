//! Time to digits: the seconds of training a model needs before the built-in judge
//! recognises [`TARGET`] of its samples (`latent-lab bench --time-to-digits`).
//!
//! The model trains on the embedded digits without the [`HELD_OUT`] ones, as the window
//! and `latent-lab train` would with the same settings. Every `judge_every` seconds of
//! training the samples of fixed z (the window's [`LIVE_COUNT`] quality z for the
//! seed) are judged; the clock stops while they are, so the figure is training time only.

use std::sync::Arc;
use std::time::{Duration, Instant};

use candle_core::Device;
use serde::Serialize;

use super::{HELD_OUT, Judge, LIVE_COUNT, Quality, Reference};
use crate::family::ModelSpec;
use crate::rng::Rng;
use crate::train::{TrainConfig, Trainer};

/// The share of recognisable samples asked for.
pub const TARGET: f32 = 0.8;

/// How to measure.
#[derive(Debug, Clone)]
pub struct Schedule {
    /// Give up after this much training.
    pub limit: Duration,
    /// Judge the samples after every this much training.
    pub judge_every: Duration,
    /// Keep training to the limit after the target is reached (the whole curve).
    pub to_limit: bool,
}

/// One judging of the samples.
#[derive(Debug, Clone, Serialize)]
pub struct Point {
    /// Seconds of training so far (judging not counted).
    pub seconds: f64,
    /// Iterations so far.
    pub steps: u64,
    /// Share of samples the judge recognises.
    pub recognisable: f32,
    /// Classes covered.
    pub classes: usize,
    /// The classifier Fréchet distance to held-out real digits.
    pub frechet: f64,
    /// A conditional model's label accuracy, or InfoGAN's cluster accuracy of c₁, by the
    /// judge (none for an unconditional model).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub accuracy: Option<f32>,
}

impl Point {
    /// What the command line prints of it.
    pub fn line(&self) -> String {
        let accuracy = self.accuracy.map(|a| format!("  accuracy {a:.3}")).unwrap_or_default();
        format!(
            "{:6.1} s  step {:6}  recognisable {:.3}  classes {:2}  FID {:.1}{accuracy}",
            self.seconds, self.steps, self.recognisable, self.classes, self.frechet
        )
    }
}

/// What a run reached.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// The model's family id.
    pub model: String,
    /// Batch size trained with.
    pub batch: usize,
    /// Every judging, in order.
    pub points: Vec<Point>,
    /// The first judging at or above [`TARGET`], if any.
    pub reached: Option<Point>,
    /// What real held-out digits score as Fréchet distance at the same sample size.
    pub real_frechet: f64,
}

impl Report {
    /// The best recognisable share seen.
    pub fn best(&self) -> Option<&Point> {
        self.points
            .iter()
            .max_by(|a, b| a.recognisable.total_cmp(&b.recognisable))
    }

    /// One line: the seconds to the target, or how far it got.
    pub fn line(&self) -> String {
        match (&self.reached, self.best(), self.points.last()) {
            (Some(p), _, _) => format!(
                "{} (batch {}): recognisable {:.2} ≥ {TARGET} after {:.1} s of training ({} steps; {} classes, FID {:.1})",
                self.model, self.batch, p.recognisable, p.seconds, p.steps, p.classes, p.frechet
            ),
            (None, Some(b), Some(last)) => format!(
                "{} (batch {}): not {TARGET} within {:.0} s ({} steps); best recognisable {:.2} at {:.1} s, last {:.2} ({} classes, FID {:.1})",
                self.model,
                self.batch,
                last.seconds,
                last.steps,
                b.recognisable,
                b.seconds,
                last.recognisable,
                last.classes,
                last.frechet
            ),
            _ => format!("{} (batch {}): nothing judged", self.model, self.batch),
        }
    }
}

/// Trains `spec` with `config` and judges its samples on `schedule`; `on_point` hears each
/// judging as it happens.
pub fn measure(
    spec: &ModelSpec,
    config: TrainConfig,
    schedule: &Schedule,
    device: &Device,
    mut on_point: impl FnMut(&Point),
) -> Result<Report, String> {
    let judge = Judge::shipped().map_err(|e| format!("the built-in judge: {e}"))?;
    let reference = Reference::shipped().map_err(|e| format!("the built-in judge: {e}"))?;
    let data = crate::data::embedded_mnist().map_err(|e| e.to_string())?;
    let train = Arc::new(data.split_off_last(HELD_OUT).0);
    let seed = config.seed;
    let batch = config.batch_size;
    let mut t = Trainer::new(spec, config, train, device).map_err(|e| format!("{}: {e}", spec.family))?;
    let conditioning = t.family().conditioning();
    let latent_dim = t
        .model()
        .latent_dim()
        .ok_or_else(|| format!("the {} generates nothing from z to judge", t.family().label()))?;
    let z = conditioning.draw_balanced(&mut Rng::derive(seed, "quality"), LIVE_COUNT, latent_dim);
    let asked = conditioning.classes_of(&z, latent_dim);
    let judge_now = |t: &Trainer| -> Result<Quality, String> {
        let pixels = t
            .generate_u8(&z)
            .map_err(|e| e.to_string())?
            .ok_or_else(|| format!("the {} generates nothing from z to judge", t.family().label()))?;
        let v = judge.judge_u8(&pixels).map_err(|e| e.to_string())?;
        Ok(if conditioning.learned {
            Quality::of_codes(&v, reference, &asked)
        } else {
            Quality::of_requested(&v, reference, &asked)
        })
    };
    let mut report = Report {
        model: spec.family.clone(),
        batch,
        points: Vec::new(),
        reached: None,
        real_frechet: reference.real_baseline(LIVE_COUNT),
    };
    let mut trained = Duration::ZERO;
    let mut next = schedule.judge_every;
    while trained < schedule.limit {
        let start = Instant::now();
        while trained + start.elapsed() < next.min(schedule.limit) {
            t.iteration()
                .map_err(|e| format!("{} step {}: {e}", spec.family, t.step()))?;
        }
        trained += start.elapsed();
        next += schedule.judge_every;
        let q = judge_now(&t)?;
        let point = Point {
            seconds: trained.as_secs_f64(),
            steps: t.step(),
            recognisable: q.recognisable,
            classes: q.classes,
            frechet: q.frechet,
            accuracy: q.label_accuracy.or(q.cluster_accuracy),
        };
        on_point(&point);
        if report.reached.is_none() && point.recognisable >= TARGET {
            report.reached = Some(point.clone());
            if !schedule.to_limit {
                report.points.push(point);
                break;
            }
        }
        report.points.push(point);
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn point(seconds: f64, recognisable: f32) -> Point {
        Point {
            seconds,
            steps: (seconds * 10.0) as u64,
            recognisable,
            classes: 10,
            frechet: 50.0,
            accuracy: None,
        }
    }

    #[test]
    fn a_points_line_gives_the_accuracy_only_where_there_is_one() {
        let plain = point(10.0, 0.5).line();
        assert!(!plain.contains("accuracy"), "{plain}");
        let coded = Point {
            accuracy: Some(0.815),
            ..point(10.0, 0.5)
        };
        assert!(coded.line().ends_with("FID 50.0  accuracy 0.815"), "{}", coded.line());
    }

    #[test]
    fn the_line_gives_the_seconds_only_when_the_target_was_reached() {
        let mut r = Report {
            model: "dcgan".into(),
            batch: 64,
            points: vec![point(5.0, 0.3), point(10.0, 0.7), point(15.0, 0.6)],
            reached: None,
            real_frechet: 30.0,
        };
        let line = r.line();
        assert!(line.contains("not 0.8 within 15 s"), "{line}");
        assert!(line.contains("best recognisable 0.70 at 10.0 s"), "{line}");
        r.points.push(point(20.0, 0.85));
        r.reached = Some(point(20.0, 0.85));
        let line = r.line();
        assert!(
            line.contains("recognisable 0.85 ≥ 0.8 after 20.0 s of training (200 steps"),
            "{line}"
        );
    }
}
