//! The vendored candle-core's one change (`vendor/README.md`): the first gradient to reach a
//! tensor is stored as it is, not added onto a zero-filled tensor; later ones still add.

use std::sync::{Arc, Mutex};

use candle_core::{CpuStorage, CustomOp1, Device, Layout, Result, Shape, Tensor, Var};

/// `y = 2x`, remembering the gradient its backward pass returns.
struct Twice {
    returned: Arc<Mutex<Vec<Tensor>>>,
}

impl CustomOp1 for Twice {
    fn name(&self) -> &'static str {
        "twice"
    }
    fn cpu_fwd(&self, s: &CpuStorage, l: &Layout) -> Result<(CpuStorage, Shape)> {
        let CpuStorage::F32(v) = s else {
            candle_core::bail!("twice: f32 only");
        };
        let (start, end) = l
            .contiguous_offsets()
            .ok_or_else(|| candle_core::Error::Msg("twice: contiguous only".into()))?;
        let out: Vec<f32> = v[start..end].iter().map(|x| 2.0 * x).collect();
        Ok((CpuStorage::F32(out), l.shape().clone()))
    }
    fn bwd(&self, _arg: &Tensor, _res: &Tensor, grad: &Tensor) -> Result<Option<Tensor>> {
        let g = (grad * 2.0)?;
        self.returned
            .lock()
            .map_err(|_| candle_core::Error::Msg("poisoned".into()))?
            .push(g.clone());
        Ok(Some(g))
    }
}

/// The op and the gradients its backward passes return.
fn twice() -> (Twice, Arc<Mutex<Vec<Tensor>>>) {
    let returned = Arc::new(Mutex::new(Vec::new()));
    (
        Twice {
            returned: returned.clone(),
        },
        returned,
    )
}

#[test]
fn a_single_consumers_gradient_reaches_the_tensor_with_its_values() -> Result<()> {
    let x = Var::from_vec(vec![1.0f32, -2.0, 3.0], 3, &Device::Cpu)?;
    let y = x.as_tensor().apply_op1(twice().0)?;
    let loss = (y * Tensor::new(&[1.0f32, 10.0, 100.0], &Device::Cpu)?)?.sum_all()?;
    let grads = loss.backward()?;
    let g = grads.get(x.as_tensor()).expect("x has a gradient");
    assert_eq!(g.to_vec1::<f32>()?, vec![2.0, 20.0, 200.0]);
    Ok(())
}

#[test]
fn the_first_gradient_is_stored_without_a_copy_and_a_second_one_is_added() -> Result<()> {
    let x = Var::from_vec(vec![1.0f32, -2.0, 3.0], 3, &Device::Cpu)?;
    let (op, returned) = twice();
    // One consumer: x's gradient is the very tensor the op's backward pass returned.
    let loss = x.as_tensor().apply_op1(op)?.sum_all()?;
    let grads = loss.backward()?;
    let stored = grads.get(x.as_tensor()).expect("x has a gradient");
    let returned = returned.lock().expect("not poisoned")[0].clone();
    assert_eq!(
        stored.id(),
        returned.id(),
        "the first gradient went through a zero fill and a sum"
    );
    assert_eq!(stored.to_vec1::<f32>()?, vec![2.0, 2.0, 2.0]);

    // Two consumers: their gradients add up.
    let y1 = x.as_tensor().apply_op1(twice().0)?;
    let y2 = x.as_tensor().apply_op1(twice().0)?;
    let loss = ((y1 * 3.0)? + y2)?.sum_all()?;
    let grads = loss.backward()?;
    let g = grads.get(x.as_tensor()).expect("x has a gradient");
    assert_eq!(g.to_vec1::<f32>()?, vec![8.0, 8.0, 8.0]);
    Ok(())
}

#[test]
fn a_strided_first_gradient_is_stored_contiguous() -> Result<()> {
    let x = Var::from_vec((0..6).map(|i| i as f32).collect(), (2, 3), &Device::Cpu)?;
    // The gradient of a transpose is the transposed (strided) gradient of its output.
    let w = Tensor::new(&[[1.0f32, 2.0], [3.0, 4.0], [5.0, 6.0]], &Device::Cpu)?;
    let loss = (x.as_tensor().t()? * &w)?.sum_all()?;
    let grads = loss.backward()?;
    let g = grads.get(x.as_tensor()).expect("x has a gradient");
    assert!(g.is_contiguous());
    assert_eq!(g.to_vec2::<f32>()?, vec![vec![1.0, 3.0, 5.0], vec![2.0, 4.0, 6.0]]);
    Ok(())
}
