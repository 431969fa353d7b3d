//! Seeded weight initialisation.
//!
//! candle's `VarBuilder` initialises from an unseeded RNG; after building a
//! network we overwrite every variable, in sorted name order, from the seeded
//! [`Rng`]. The schemes follow what each model's reference uses:
//! - [`InitScheme::Torch`] (MLP GAN, autoencoders, VAEs): PyTorch's `nn.Linear` / `nn.Conv2d`
//!   default, weight and bias ~ U(±1/√fan_in), fan_in = the weight's size over its first axis;
//! - [`InitScheme::Dcgan`]: the paper's N(0, 0.02) for conv/linear weights, zero biases,
//!   batch-norm scale ~ N(1, 0.02) and shift 0.

use candle_core::{Result, Tensor};
use candle_nn::VarMap;

use super::sorted_vars;
use crate::rng::Rng;

/// How a network's weights are drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InitScheme {
    /// PyTorch's default for linear and convolution layers: U(±1/√fan_in).
    Torch,
    /// The DCGAN paper's N(0, 0.02), batch-norm scale N(1, 0.02), zero biases.
    Dcgan,
}

/// Overwrites every variable of `vars` with values drawn from `rng`.
pub fn init_vars(vars: &VarMap, kind: InitScheme, rng: &mut Rng) -> Result<()> {
    let all = sorted_vars(vars);
    for (name, var) in &all {
        let shape = var.shape().clone();
        let n = shape.elem_count();
        let layer = name.rsplit_once('.').map(|(l, _)| l).unwrap_or("");
        let is_bn = layer.rsplit('.').next().is_some_and(|l| l.starts_with("bn"));
        let values: Vec<f32> = if name.ends_with("running_mean") {
            vec![0.0; n]
        } else if name.ends_with("running_var") {
            vec![1.0; n]
        } else {
            match kind {
                InitScheme::Torch => {
                    // fan_in = the weight's size over its first axis: input features of a
                    // linear layer (out, in), in·k·k of a convolution (out, in, k, k), out·k·k
                    // of a transposed one (in, out, k, k), as torch's `_calculate_fan_in`.
                    let fan_in = all
                        .iter()
                        .find(|(n, _)| n == &format!("{layer}.weight"))
                        .map(|(_, w)| w.dims().iter().skip(1).product::<usize>())
                        .unwrap_or(1)
                        .max(1);
                    let bound = 1.0 / (fan_in as f64).sqrt();
                    rng.uniform_vec(n, -bound, bound)
                }
                InitScheme::Dcgan => {
                    if name.ends_with("bias") {
                        vec![0.0; n]
                    } else if is_bn {
                        (0..n).map(|_| (1.0 + 0.02 * rng.normal()) as f32).collect()
                    } else {
                        (0..n).map(|_| (0.02 * rng.normal()) as f32).collect()
                    }
                }
            }
        };
        var.set(&Tensor::from_vec(values, shape, var.device())?)?;
    }
    Ok(())
}
