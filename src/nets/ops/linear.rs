//! A fully connected layer with its activation in one op: `y = act(x·Wᵀ + b)`.
//!
//! Forward: the bias is written into the output, one matrix product adds `x·Wᵀ`
//! onto it, the activation runs in place. Backward: the activation's derivative is
//! read from the saved output, then `dx = dY·W`, `dW = dYᵀ·x` and `db = Σ dY`, each
//! computed only when that input needs a gradient (so D's weights cost nothing in
//! the generator's step when they enter as constants, and a data batch gets no gradient).

use std::sync::Arc;

use candle_core::{CpuStorage, CustomOp3, Layout, Result, Shape, Tensor};

use super::batchnorm::BnEpilogue;
use super::sink::{ParamGrads, Sink};
use rayon::prelude::*;

use super::{
    Activation, Mat, all_cpu_f32, cpu_tensor, matmul, matmul_new, par_chunks_mut, slice_of, swap01_act, wants_grad,
    with_act_grad, with_data, written_by,
};

/// `act(x·Wᵀ + b)` for `x (B, in)`, `W (out, in)`, `b (out)`; returns `(B, out)`.
/// Fused on the CPU; candle's own ops elsewhere.
pub fn linear_act(x: &Tensor, w: &Tensor, b: &Tensor, act: Activation) -> Result<Tensor> {
    linear_act_shaped(x, w, b, act, None)
}

/// [`linear_act`] for an `x` of any rank ≥ 2, read as `(B, everything else)` (a batch of
/// feature maps into a dense layer), with the output shaped `(B, out_tail…)` when given (a
/// dense layer into feature maps). One op instead of a flatten or reshape around it: each
/// of those is a node whose gradient candle's backward pass zero-fills and sums again.
pub fn linear_act_shaped(
    x: &Tensor,
    w: &Tensor,
    b: &Tensor,
    act: Activation,
    out_tail: Option<&[usize]>,
) -> Result<Tensor> {
    linear_act_into(x, w, b, act, out_tail, None)
}

/// [`linear_act_shaped`] that, with a `sink` and on the CPU, hands the weight and bias
/// gradients to the sink in the backward pass instead of returning them to candle's graph
/// (see [`super::sink`]). Elsewhere the sink is not used and they flow through the graph.
pub fn linear_act_into(
    x: &Tensor,
    w: &Tensor,
    b: &Tensor,
    act: Activation,
    out_tail: Option<&[usize]>,
    sink: Option<&Arc<ParamGrads>>,
) -> Result<Tensor> {
    if all_cpu_f32(&[x, w, b]) {
        let out_tail = out_tail.map(<[usize]>::to_vec);
        let sink = Sink::of(sink, w, b);
        x.apply_op3(
            w,
            b,
            LinearAct {
                act,
                out_tail,
                sink,
                bn: None,
                channel_major: false,
            },
        )
    } else {
        let y = reference(&x.flatten_from(1)?, w, b, act)?;
        match out_tail {
            Some(tail) => y.reshape([&[x.dim(0)?], tail].concat()),
            None => Ok(y),
        }
    }
}

/// [`linear_act_into`] into feature maps `maps = [c, h, w]` laid out channel-major,
/// `(c, B, h, w)` (see [`super::conv::Planes`]): a dense layer feeding a fused transposed
/// convolution, which takes that layout as it is. The rearrangement is done in the pass that
/// applies the activation (forward) and its derivative (backward), where the convolution
/// would make it a pass of its own each way, and one more for its weight gradient.
pub fn linear_act_channel_major(
    x: &Tensor,
    w: &Tensor,
    b: &Tensor,
    act: Activation,
    maps: [usize; 3],
    sink: Option<&Arc<ParamGrads>>,
) -> Result<Tensor> {
    if all_cpu_f32(&[x, w, b]) {
        let op = LinearAct {
            act,
            out_tail: Some(maps.to_vec()),
            sink: Sink::of(sink, w, b),
            bn: None,
            channel_major: true,
        };
        x.apply_op3(w, b, op)
    } else {
        let y = reference(&x.flatten_from(1)?, w, b, act)?;
        y.reshape((x.dim(0)?, maps[0], maps[1], maps[2]))?
            .transpose(0, 1)?
            .contiguous()
    }
}

/// A dense layer into feature maps `(B, c, …)` (`out_tail = [c, …]`) followed by training-mode
/// batch norm and its activation, in one op (CPU, f32 only; see [`BnEpilogue`]); the weight
/// and bias gradients go to `sink` as in [`linear_act_into`].
pub fn linear_bn_act(
    x: &Tensor,
    w: &Tensor,
    b: &Tensor,
    out_tail: &[usize],
    sink: Option<&Arc<ParamGrads>>,
    bn: BnEpilogue,
) -> Result<Tensor> {
    if !all_cpu_f32(&[x, w, b]) || out_tail.len() < 2 {
        candle_core::bail!("dense layer with batch norm: CPU f32 tensors into feature maps only");
    }
    let op = LinearAct {
        act: Activation::Identity,
        out_tail: Some(out_tail.to_vec()),
        sink: Sink::of(sink, w, b),
        bn: Some(bn),
        channel_major: false,
    };
    x.apply_op3(w, b, op)
}

/// The same layer with candle's ops (the reference the tests compare against).
pub fn reference(x: &Tensor, w: &Tensor, b: &Tensor, act: Activation) -> Result<Tensor> {
    act.candle(&x.matmul(&w.t()?)?.broadcast_add(b)?)
}

/// The fused op (see the module docs).
#[derive(Debug, Clone)]
pub struct LinearAct {
    /// The activation after the affine map.
    pub act: Activation,
    /// The output's shape after the batch dimension, if not `(out,)`.
    pub out_tail: Option<Vec<usize>>,
    /// Where the weight and bias gradients go, when not through candle's graph.
    pub sink: Option<Sink>,
    /// Batch norm and its activation over the output's feature maps, instead of `act`.
    pub bn: Option<BnEpilogue>,
    /// The output's feature maps `(c, …)` laid out channel-major, `(c, B, …)` (no batch norm).
    pub channel_major: bool,
}

impl LinearAct {
    /// `(channels, positions)` of the output's feature maps, for batch norm.
    fn maps(&self, n: usize) -> (usize, usize) {
        match self.out_tail.as_deref() {
            Some([c, ..]) if *c > 0 => (*c, n / c),
            _ => (n, 1),
        }
    }
}

/// `(B, features)` of an input of rank ≥ 2.
fn batch_and_features(s: &Shape) -> Result<(usize, usize)> {
    match s.dims() {
        [b, rest @ ..] if !rest.is_empty() => Ok((*b, rest.iter().product())),
        _ => candle_core::bail!("linear-act: input {s:?} has no feature dimension"),
    }
}

impl CustomOp3 for LinearAct {
    fn name(&self) -> &'static str {
        "linear-act"
    }

    fn cpu_fwd(
        &self,
        s1: &CpuStorage,
        l1: &Layout,
        s2: &CpuStorage,
        l2: &Layout,
        s3: &CpuStorage,
        l3: &Layout,
    ) -> Result<(CpuStorage, Shape)> {
        let (batch, k) = batch_and_features(l1.shape())?;
        let (n, k2) = l2.shape().dims2()?;
        let out_shape = match (&self.out_tail, self.channel_major) {
            (Some(tail), true) if tail.len() >= 2 && self.bn.is_none() => {
                Shape::from([&tail[..1], &[batch], &tail[1..]].concat())
            }
            (_, true) => candle_core::bail!("linear-act: channel-major output needs feature maps and no batch norm"),
            (Some(tail), false) => Shape::from([&[batch], tail.as_slice()].concat()),
            (None, false) => Shape::from((batch, n)),
        };
        if k != k2 || l3.shape().dims1()? != n || out_shape.elem_count() != batch * n {
            candle_core::bail!(
                "linear-act: x {:?}, W {:?}, b {:?} do not fit",
                l1.shape(),
                l2.shape(),
                l3.shape()
            );
        }
        let (x, w, b) = (slice_of(s1, l1)?, slice_of(s2, l2)?, slice_of(s3, l3)?);
        // SAFETY: the rows of n cover all batch·n elements and each is written whole.
        let mut y = unsafe {
            written_by(batch * n, |y| {
                for row in y.chunks_mut(n.max(1)) {
                    for (d, &v) in row.iter_mut().zip(b.iter()) {
                        d.write(v);
                    }
                }
            })
        };
        matmul(&mut y, Mat::new(&x, batch, k), Mat::new(&w, n, k).t(), true)?;
        let y = match &self.bn {
            None if self.channel_major => {
                let (c, p) = self.maps(n);
                swap01_apply(&y, batch, c, p, self.act)
            }
            None => {
                let act = self.act;
                par_chunks_mut(&mut y, |_, c| act.apply(c));
                y
            }
            Some(bn) => {
                let (c, p) = self.maps(n);
                bn.forward(y, batch, c, p)?
            }
        };
        Ok((CpuStorage::F32(y), out_shape))
    }

    fn bwd(
        &self,
        x: &Tensor,
        w: &Tensor,
        b: &Tensor,
        res: &Tensor,
        grad: &Tensor,
    ) -> Result<(Option<Tensor>, Option<Tensor>, Option<Tensor>)> {
        let (batch, k) = batch_and_features(x.shape())?;
        let n = w.dim(0)?;
        let backward = |gy: &[f32]| {
            let gx = if wants_grad(x) {
                let gx = with_data(w, |w| matmul_new(Mat::new(gy, batch, n), Mat::new(w, n, k)))?;
                Some(cpu_tensor(gx, x.shape().clone())?)
            } else {
                None
            };
            let sink = self.sink.as_ref();
            let gw = if wants_grad(w) {
                let gw = with_data(x, |x| matmul_new(Mat::new(gy, batch, n).t(), Mat::new(x, batch, k)))?;
                match sink {
                    Some(s) => s.grads.deposit(&s.weight, gw).map(|_| None)?,
                    None => Some(cpu_tensor(gw, (n, k))?),
                }
            } else {
                None
            };
            let gb = if wants_grad(b) {
                let gb = column_sums(gy, batch, n);
                match sink {
                    Some(s) => s.grads.deposit(&s.bias, gb).map(|_| None)?,
                    None => Some(cpu_tensor(gb, n)?),
                }
            } else {
                None
            };
            Ok((gx, gw, gb))
        };
        match &self.bn {
            // Channel-major `(c, B, p)` back to `(B, c·p)` with the activation's derivative.
            None if self.channel_major => {
                let (c, p) = self.maps(n);
                let gy = with_data(grad, |g| with_data(res, |y| swap01_act(g, y, self.act, c, batch, p)))?;
                backward(&gy)
            }
            None => with_act_grad(self.act, grad, res, backward),
            Some(bn) => {
                let (c, p) = self.maps(n);
                backward(&bn.backward(grad, res, batch, c, p)?)
            }
        }
    }
}

/// `(d0, d1, inner)` → `(d1, d0, inner)` with the activation applied to each run as it lands,
/// in parallel over `d1`.
fn swap01_apply(src: &[f32], d0: usize, d1: usize, inner: usize, act: Activation) -> Vec<f32> {
    let n = d0 * d1 * inner;
    if n == 0 {
        return vec![0.0; n];
    }
    // SAFETY: the d1 chunks of d0·inner cover all n elements, and each chunk's d0 runs are
    // written whole before the activation reads them.
    unsafe {
        written_by(n, |dst| {
            dst.par_chunks_mut(d0 * inner).enumerate().for_each(|(j, out)| {
                for (i, run) in out.chunks_mut(inner).enumerate() {
                    let s = (i * d1 + j) * inner;
                    let run = run.write_copy_of_slice(&src[s..s + inner]);
                    act.apply(run);
                }
            })
        })
    }
}

/// Sums of each column of a `rows × cols` matrix, each in row order (deterministic).
pub(crate) fn column_sums(m: &[f32], rows: usize, cols: usize) -> Vec<f32> {
    let mut out = vec![0.0f32; cols];
    for r in 0..rows {
        for (o, &v) in out.iter_mut().zip(&m[r * cols..(r + 1) * cols]) {
            *o += v;
        }
    }
    out
}
