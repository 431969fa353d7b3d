//! Weight gradients handed over by the fused layers directly, beside candle's graph.
//!
//! candle's backward pass gives each tensor of the graph its gradient by zero-filling a
//! tensor of that size and adding every contribution onto it, on the calling thread. For
//! the MLP GAN's weights (2 M floats a step) that fill and sum kept one core busy for
//! about 1 ms of a 10–17 ms step while the other waited. In a training step the fused
//! layers therefore hand their weights' gradients to a [`ParamGrads`] in their backward
//! pass and return none to candle (the weights still enter the graph as variables, so that
//! candle runs the layers' backward at all); the trainer then moves the gradients into
//! candle's `GradStore` (no copy) for the optimizer. Same arithmetic, same bits.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

use candle_core::backprop::GradStore;
use candle_core::{Result, Tensor, TensorId};

/// Each weight's gradient so far, with the weight, keyed by the weight.
type ByWeight = HashMap<TensorId, (Tensor, Vec<f32>)>;

/// Collects weight gradients during one backward pass, keyed by the weight.
#[derive(Default)]
pub struct ParamGrads {
    grads: Mutex<ByWeight>,
}

impl std::fmt::Debug for ParamGrads {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let n = self.grads.lock().map(|g| g.len()).unwrap_or(0);
        write!(f, "ParamGrads({n} weights)")
    }
}

impl ParamGrads {
    /// An empty collector, shared by the layers of one forward pass.
    pub fn new() -> Arc<Self> {
        Arc::new(Self::default())
    }

    fn locked(&self) -> Result<MutexGuard<'_, ByWeight>> {
        self.grads
            .lock()
            .map_err(|_| candle_core::Error::Msg("weight gradients: a layer panicked".into()))
    }

    /// Adds `grad` (row-major, one float per element of `weight`) to the gradient of `weight`.
    /// A weight used twice in a pass (the discriminator on a real and then a fake batch) gets
    /// the sum, added in the order of the backward pass.
    pub fn deposit(&self, weight: &Tensor, grad: Vec<f32>) -> Result<()> {
        if grad.len() != weight.elem_count() {
            candle_core::bail!(
                "weight gradient of {} values for a weight of shape {:?}",
                grad.len(),
                weight.shape()
            );
        }
        let mut grads = self.locked()?;
        match grads.get_mut(&weight.id()) {
            Some((_, sum)) => {
                super::par_chunks_mut(sum, |at, s| s.iter_mut().zip(&grad[at..]).for_each(|(s, g)| *s += g))
            }
            None => {
                grads.insert(weight.id(), (weight.clone(), grad));
            }
        }
        Ok(())
    }

    /// Moves the collected gradients into `store`, adding to any gradient candle's graph
    /// gave the same weight. Leaves this collector empty.
    pub fn drain_into(&self, store: &mut GradStore) -> Result<()> {
        let grads = std::mem::take(&mut *self.locked()?);
        for (_, (weight, grad)) in grads {
            let mut g = Tensor::from_vec(grad, weight.shape(), weight.device())?;
            if let Some(old) = store.get(&weight) {
                g = (old + g)?;
            }
            store.insert(&weight, g);
        }
        Ok(())
    }
}

/// Where a fused layer sends its weight and bias gradients instead of returning them.
#[derive(Debug, Clone)]
pub struct Sink {
    /// The collector.
    pub grads: Arc<ParamGrads>,
    /// The layer's weight variable.
    pub weight: Tensor,
    /// The layer's bias variable.
    pub bias: Tensor,
}

impl Sink {
    /// The sink for a layer with weight `weight` and bias `bias`, when there is a collector.
    pub fn of(grads: Option<&Arc<ParamGrads>>, weight: &Tensor, bias: &Tensor) -> Option<Self> {
        grads.map(|grads| Self {
            grads: grads.clone(),
            weight: weight.clone(),
            bias: bias.clone(),
        })
    }
}
