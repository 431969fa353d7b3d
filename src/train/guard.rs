//! Keeping the last good state of a run: a [`Guard`] copies the trainer's state (weights,
//! optimizer state, counters, random stream) every so often while the run is healthy, and
//! hands it back when a loss becomes NaN or the run runs away, so that "the last good
//! state" saved after a failure is a state from before things went wrong — not weights
//! that had already grown to 1e20 over finite but exploding steps.
//!
//! Healthy means: every weight finite and below [`MAX_HEALTHY_WEIGHT`] in magnitude, and
//! every loss the step reported finite and below [`MAX_HEALTHY_LOSS`]. Ordinary training
//! of every family stays far inside both (weights of the shipped models are below 10,
//! losses below a few hundred nats); a learning rate of 10 crosses them within steps.

use candle_core::Tensor;

use super::trainer::{TrainError, Trainer};
use crate::family::StepOutput;
use crate::rng::Rng;

/// A weight larger than this in magnitude is a run that has run away.
pub const MAX_HEALTHY_WEIGHT: f32 = 1e4;
/// A loss larger than this in magnitude is a run that has run away.
pub const MAX_HEALTHY_LOSS: f32 = 1e6;

/// A deep copy of a trainer's state.
#[derive(Debug)]
pub struct Snapshot {
    /// Iterations completed.
    pub step: u64,
    weights: Vec<Vec<(String, Tensor)>>,
    optimizers: Vec<(u64, Vec<(String, Tensor)>)>,
    updates: Vec<u64>,
    rng: Rng,
}

/// What is wrong with a run.
#[derive(Debug, Clone, PartialEq)]
pub enum Runaway {
    /// A loss above [`MAX_HEALTHY_LOSS`] (or not finite).
    Loss {
        /// The metric's label.
        what: &'static str,
        /// Its value.
        value: f32,
    },
    /// A weight above [`MAX_HEALTHY_WEIGHT`] (or not finite).
    Weight {
        /// The largest magnitude found.
        max_abs: f32,
    },
}

impl std::fmt::Display for Runaway {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Runaway::Loss { what, value } => write!(f, "the {what} reached {value:.3e}"),
            Runaway::Weight { max_abs } => write!(f, "a weight reached {max_abs:.3e}"),
        }
    }
}

impl Snapshot {
    /// Copies `t`'s state.
    pub fn of(t: &Trainer) -> Result<Self, TrainError> {
        let weights = t
            .model()
            .networks()
            .iter()
            .map(|(_, map)| {
                crate::nets::sorted_vars(map)
                    .into_iter()
                    .map(|(n, v)| Ok((n, v.as_tensor().copy()?)))
                    .collect::<candle_core::Result<Vec<_>>>()
            })
            .collect::<candle_core::Result<Vec<_>>>()?;
        let optimizers = t
            .optimizers()
            .iter()
            .map(|o| {
                let state = o
                    .state_tensors()
                    .into_iter()
                    .map(|(n, s)| Ok((n, s.copy()?)))
                    .collect::<candle_core::Result<Vec<_>>>()?;
                Ok((o.steps(), state))
            })
            .collect::<candle_core::Result<Vec<_>>>()?;
        Ok(Self {
            step: t.step(),
            weights,
            optimizers,
            updates: t.updates().to_vec(),
            rng: t.rng().clone(),
        })
    }

    /// Puts the state back into `t` (the same run: same networks and optimizers).
    pub fn restore(&self, t: &mut Trainer) -> Result<(), TrainError> {
        let nets = t.model().networks();
        for ((_, map), saved) in nets.iter().zip(&self.weights) {
            let vars = crate::nets::sorted_vars(map);
            for ((name, var), (saved_name, tensor)) in vars.iter().zip(saved) {
                if name != saved_name {
                    return Err(TrainError::Config(format!(
                        "the saved state does not fit this run ({name} against {saved_name})"
                    )));
                }
                var.set(tensor)?;
            }
        }
        for (opt, (steps, state)) in t.optimizers_mut().iter_mut().zip(&self.optimizers) {
            opt.load_state(*steps, |name| {
                state.iter().find(|(n, _)| n == name).map(|(_, s)| s.clone())
            })?;
        }
        t.restore_progress(self.step, &self.updates, self.rng.clone());
        Ok(())
    }
}

/// Whether `t`'s weights and the step's losses are healthy (see the module docs).
pub fn check(t: &Trainer, out: Option<&StepOutput>) -> Result<Option<Runaway>, TrainError> {
    if let Some(r) = out.and_then(|o| check_losses(t, o)) {
        return Ok(Some(r));
    }
    let mut max_abs = 0.0f32;
    for (_, map) in t.model().networks() {
        for (_, v) in crate::nets::sorted_vars(map) {
            let m = v
                .as_tensor()
                .abs()?
                .flatten_all()?
                .max(0)?
                .to_dtype(candle_core::DType::F32)?
                .to_scalar::<f32>()?;
            if !m.is_finite() {
                return Ok(Some(Runaway::Weight { max_abs: m }));
            }
            max_abs = max_abs.max(m);
        }
    }
    Ok((max_abs > MAX_HEALTHY_WEIGHT).then_some(Runaway::Weight { max_abs }))
}

/// Keeps the last good state of a run: call [`Guard::after_step`] after every iteration.
#[derive(Debug)]
pub struct Guard {
    every: u64,
    last_good: Option<Snapshot>,
    runaway: Option<Runaway>,
}

impl Guard {
    /// A guard that checks (and copies the state, when healthy) every `every` iterations,
    /// starting with the state of `t` now.
    pub fn new(t: &Trainer, every: u64) -> Result<Self, TrainError> {
        let mut g = Self {
            every: every.max(1),
            last_good: None,
            runaway: None,
        };
        if check(t, None)?.is_none() {
            g.last_good = Some(Snapshot::of(t)?);
        }
        Ok(g)
    }

    /// After an iteration: every `every` steps, a healthy run's state is copied; a run that
    /// runs away is reported once (the returned value), until it is healthy again.
    pub fn after_step(&mut self, t: &Trainer, out: &StepOutput) -> Result<Option<Runaway>, TrainError> {
        let loss_runaway = check_losses(t, out);
        if loss_runaway.is_none() && !t.step().is_multiple_of(self.every) {
            return Ok(None);
        }
        let state = match loss_runaway {
            Some(r) => Some(r),
            None => check(t, None)?,
        };
        match state {
            None => {
                self.runaway = None;
                self.last_good = Some(Snapshot::of(t)?);
                Ok(None)
            }
            Some(r) => {
                let first = self.runaway.is_none();
                self.runaway = Some(r.clone());
                Ok(first.then_some(r))
            }
        }
    }

    /// What went wrong, while the run is running away.
    pub fn runaway(&self) -> Option<&Runaway> {
        self.runaway.as_ref()
    }

    /// The step of the last good state.
    pub fn last_good_step(&self) -> Option<u64> {
        self.last_good.as_ref().map(|s| s.step)
    }

    /// Puts the last good state back into `t`; returns its step (`None` if there is none).
    pub fn recover(&self, t: &mut Trainer) -> Result<Option<u64>, TrainError> {
        match &self.last_good {
            Some(s) => {
                s.restore(t)?;
                Ok(Some(s.step))
            }
            None => Ok(None),
        }
    }
}

fn check_losses(t: &Trainer, out: &StepOutput) -> Option<Runaway> {
    t.family()
        .metrics()
        .iter()
        .zip(&out.values)
        .find(|(_, v)| !v.is_nan() && (v.is_infinite() || v.abs() > MAX_HEALTHY_LOSS))
        .map(|(m, &value)| Runaway::Loss { what: m.label, value })
}
