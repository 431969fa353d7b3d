//! Optimizers with state that can be saved and restored, so that a resumed run
//! continues exactly where it stopped: Adam (the default) and SGD with momentum
//! (the original paper's choice). Both follow PyTorch's update rules.
//!
//! On the CPU the moments live in plain vectors and each parameter is updated by
//! one fused in-place pass ([`crate::nets::ops::optim`]): no tensor is allocated per
//! step. On other devices the same rules run as candle tensor ops.

use candle_core::backprop::GradStore;
use candle_core::{DType, Result, Tensor, Var};

use crate::nets::ops::optim::{AdamStep, adam_cpu, sgd_cpu};
use serde::{Deserialize, Serialize};

/// Which update rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum OptimizerKind {
    /// Adam (Kingma & Ba), as in `torch.optim.Adam`.
    #[default]
    Adam,
    /// SGD with momentum, as in `torch.optim.SGD(momentum=..)`.
    Sgd,
}

impl OptimizerKind {
    /// Both, in menu order.
    pub const ALL: [OptimizerKind; 2] = [OptimizerKind::Adam, OptimizerKind::Sgd];

    /// Name on the command line and in files.
    pub fn id(self) -> &'static str {
        match self {
            OptimizerKind::Adam => "adam",
            OptimizerKind::Sgd => "sgd",
        }
    }
}

/// Hyperparameters of one optimizer.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct OptimizerConfig {
    /// Update rule.
    pub kind: OptimizerKind,
    /// Learning rate.
    pub lr: f64,
    /// Adam β1.
    pub beta1: f64,
    /// Adam β2.
    pub beta2: f64,
    /// Adam ε.
    pub eps: f64,
    /// SGD momentum.
    pub momentum: f64,
}

impl Default for OptimizerConfig {
    /// Adam with lr 2e-4, β1 0.5, β2 0.999 (the DCGAN paper's settings).
    fn default() -> Self {
        Self {
            kind: OptimizerKind::Adam,
            lr: 2e-4,
            beta1: 0.5,
            beta2: 0.999,
            eps: 1e-8,
            momentum: 0.9,
        }
    }
}

/// Adam's moments (or SGD's momentum buffer in `m`, with `v` unused).
enum Moments {
    /// On the CPU: plain vectors, updated in place by the fused kernels.
    Host { m: Vec<f32>, v: Vec<f32> },
    /// On another device: tensors, updated with candle's ops.
    Device { m: Tensor, v: Tensor },
}

impl Moments {
    fn zeros(var: &Var) -> Result<Self> {
        if var.device().is_cpu() && var.dtype() == DType::F32 {
            let n = var.elem_count();
            Ok(Moments::Host {
                m: vec![0.0; n],
                v: vec![0.0; n],
            })
        } else {
            Ok(Moments::Device {
                m: var.zeros_like()?,
                v: var.zeros_like()?,
            })
        }
    }
}

/// One parameter and its optimizer state.
struct Slot {
    name: String,
    var: Var,
    /// First moment / momentum buffer, and second moment.
    state: Moments,
}

/// An optimizer over a fixed list of named variables.
pub struct Optimizer {
    config: OptimizerConfig,
    slots: Vec<Slot>,
    /// Updates applied so far.
    t: u64,
}

impl Optimizer {
    /// An optimizer for `vars` (name, variable), with zeroed state.
    pub fn new(config: OptimizerConfig, vars: Vec<(String, Var)>) -> Result<Self> {
        let slots = vars
            .into_iter()
            .map(|(name, var)| {
                let state = Moments::zeros(&var)?;
                Ok(Slot { name, var, state })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Self { config, slots, t: 0 })
    }

    /// Current hyperparameters.
    pub fn config(&self) -> OptimizerConfig {
        self.config
    }

    /// Changes hyperparameters between steps. A change of update rule clears the state.
    pub fn set_config(&mut self, config: OptimizerConfig) -> Result<()> {
        if config.kind != self.config.kind {
            for s in &mut self.slots {
                s.state = Moments::zeros(&s.var)?;
            }
            self.t = 0;
        }
        self.config = config;
        Ok(())
    }

    /// Updates applied so far.
    pub fn steps(&self) -> u64 {
        self.t
    }

    /// Applies one update from the gradients in `grads`. Variables without a gradient are left alone.
    pub fn step(&mut self, grads: &GradStore) -> Result<()> {
        self.t += 1;
        let c = self.config;
        let t = self.t as i32;
        for s in &mut self.slots {
            let Some(g) = grads.get(s.var.as_tensor()) else {
                continue;
            };
            // candle builds a variable's gradient from the layer's input, so the gradient
            // still references that step's forward graph. State kept across steps (the
            // device moments below) must not hold it: it would chain every step's activations.
            let g = &g.detach();
            match (&mut s.state, c.kind) {
                (Moments::Host { m, v }, OptimizerKind::Adam) => {
                    let step = AdamStep {
                        lr: c.lr,
                        beta1: c.beta1,
                        beta2: c.beta2,
                        eps: c.eps,
                        t,
                    };
                    adam_cpu(s.var.as_tensor(), g, m, v, step)?;
                }
                (Moments::Host { m, .. }, OptimizerKind::Sgd) => {
                    sgd_cpu(s.var.as_tensor(), g, m, c.lr, c.momentum, self.t == 1)?;
                }
                (Moments::Device { m, v }, OptimizerKind::Adam) => {
                    let m_new = ((&*m * c.beta1)? + (g * (1.0 - c.beta1))?)?;
                    let v_new = ((&*v * c.beta2)? + (g.sqr()? * (1.0 - c.beta2))?)?;
                    let bc1 = 1.0 - c.beta1.powi(t);
                    let bc2 = 1.0 - c.beta2.powi(t);
                    let denom = ((v_new.sqrt()? / bc2.sqrt())? + c.eps)?;
                    let update = ((&m_new / denom)? * (c.lr / bc1))?;
                    s.var.set(&s.var.as_tensor().sub(&update)?)?;
                    *m = m_new;
                    *v = v_new;
                }
                (Moments::Device { m, .. }, OptimizerKind::Sgd) => {
                    let m_new = if self.t == 1 {
                        g.clone()
                    } else {
                        ((&*m * c.momentum)? + g)?
                    };
                    s.var.set(&s.var.as_tensor().sub(&(&m_new * c.lr)?)?)?;
                    *m = m_new;
                }
            }
        }
        Ok(())
    }

    /// The state as named tensors (`m.<var>`, `v.<var>`), for checkpoints.
    pub fn state_tensors(&self) -> Vec<(String, Tensor)> {
        let mut out = Vec::with_capacity(self.slots.len() * 2);
        for s in &self.slots {
            let (m, v) = match &s.state {
                Moments::Host { m, v } => {
                    let dims = s.var.dims();
                    let host = |x: &[f32]| Tensor::from_slice(x, dims, &candle_core::Device::Cpu);
                    match (host(m), host(v)) {
                        (Ok(m), Ok(v)) => (m, v),
                        // Lengths always match the variable's shape; never reached.
                        _ => continue,
                    }
                }
                Moments::Device { m, v } => (m.clone(), v.clone()),
            };
            out.push((format!("m.{}", s.name), m));
            out.push((format!("v.{}", s.name), v));
        }
        out
    }

    /// Names and shapes of the state tensors `state_tensors` yields.
    pub fn state_names(&self) -> Vec<(String, Vec<usize>)> {
        self.slots
            .iter()
            .flat_map(|s| {
                [
                    (format!("m.{}", s.name), s.var.dims().to_vec()),
                    (format!("v.{}", s.name), s.var.dims().to_vec()),
                ]
            })
            .collect()
    }

    /// Restores state saved by `state_tensors`; `get` looks a tensor up by name.
    pub fn load_state(&mut self, t: u64, mut get: impl FnMut(&str) -> Option<Tensor>) -> Result<()> {
        for s in &mut self.slots {
            let m_name = format!("m.{}", s.name);
            let v_name = format!("v.{}", s.name);
            let (Some(m), Some(v)) = (get(&m_name), get(&v_name)) else {
                candle_core::bail!("optimizer state for {} is missing", s.name);
            };
            if m.dims() != s.var.dims() || v.dims() != s.var.dims() {
                candle_core::bail!(
                    "optimizer state for {} has shape {:?}, expected {:?}",
                    s.name,
                    m.dims(),
                    s.var.dims()
                );
            }
            s.state = match s.state {
                Moments::Host { .. } => Moments::Host {
                    m: m.flatten_all()?.to_dtype(DType::F32)?.to_vec1()?,
                    v: v.flatten_all()?.to_dtype(DType::F32)?.to_vec1()?,
                },
                Moments::Device { .. } => Moments::Device { m, v },
            };
        }
        self.t = t;
        Ok(())
    }
}
