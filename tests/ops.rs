//! Integration tests: every fused op against candle's own ops (the reference), values and
//! gradients, on random inputs including odd shapes (batch 1, sizes that are not multiples of 8).
//!
//! Tolerance: `max |fused − reference| ≤ TOL · max(1, max |reference|)` with `TOL = 1e-4`
//! (f32; the two sides sum in different orders), 1e-3 for batch-norm input gradients, whose
//! formula cancels large terms. A wrong index, stride, transpose or derivative is off by O(1).

use candle_core::{Device, Tensor, Var};
use candle_nn::{BatchNorm, ModuleT};
use latent_lab::nets::ops::Activation;
use latent_lab::nets::ops::batchnorm::{batch_norm_act_train, update_running_stats};
use latent_lab::nets::ops::conv::{
    Io, Planes, conv_transpose2d_act, conv_transpose2d_act_io, conv_transpose2d_cat_act, conv_transpose2d_reference,
    conv2d_act, conv2d_act_io, conv2d_reference, conv2d_taps_act, conv2d_taps_reference,
};
use latent_lab::nets::ops::linear::{
    linear_act, linear_act_channel_major, linear_act_into, linear_act_shaped, reference as linear_reference,
};
use latent_lab::nets::ops::loss::{reference as softplus_reference, softplus_mean};
use latent_lab::nets::ops::optim::{AdamStep, adam_cpu, sgd_cpu};
use latent_lab::nets::ops::sink::ParamGrads;
use latent_lab::nets::{Gan, GanArch, GanConfig, is_trainable, sorted_vars};
use latent_lab::rng::Rng;

const TOL: f32 = 1e-4;
const ACTS: [Activation; 4] = [
    Activation::Identity,
    Activation::Relu,
    Activation::LeakyRelu(0.2),
    Activation::Tanh,
];

fn var(rng: &mut Rng, dims: &[usize], scale: f32) -> Var {
    let n = dims.iter().product();
    let v: Vec<f32> = rng.normal_vec(n).into_iter().map(|x| x * scale).collect();
    Var::from_vec(v, dims, &Device::Cpu).unwrap()
}

fn values(t: &Tensor) -> Vec<f32> {
    t.flatten_all().unwrap().to_vec1().unwrap()
}

#[track_caller]
fn assert_close(what: &str, got: &Tensor, want: &Tensor, tol: f32) {
    assert_eq!(got.dims(), want.dims(), "{what}: shapes differ");
    let (g, w) = (values(got), values(want));
    let scale = w.iter().fold(1.0f32, |m, x| m.max(x.abs()));
    let worst = g.iter().zip(&w).map(|(a, b)| (a - b).abs()).fold(0.0f32, f32::max);
    assert!(worst <= tol * scale, "{what}: max difference {worst} > {tol} × {scale}");
}

/// Runs `f` on the variables, backpropagates `Σ y·r` for a fixed random `r`, returns y and the gradients.
fn run(vars: &[&Var], seed: u64, f: impl Fn(&[Tensor]) -> Tensor) -> (Tensor, Vec<Option<Tensor>>) {
    let ts: Vec<Tensor> = vars.iter().map(|v| v.as_tensor().clone()).collect();
    let y = f(&ts);
    let r = Tensor::from_vec(Rng::new(seed).normal_vec(y.elem_count()), y.shape(), &Device::Cpu).unwrap();
    let grads = (&y * &r).unwrap().sum_all().unwrap().backward().unwrap();
    let gs = ts.iter().map(|t| grads.get(t).cloned()).collect();
    (y, gs)
}

#[track_caller]
fn compare(what: &str, vars: &[&Var], fused: impl Fn(&[Tensor]) -> Tensor, reference: impl Fn(&[Tensor]) -> Tensor) {
    compare_tol(what, vars, fused, reference, TOL, TOL)
}

#[track_caller]
fn compare_tol(
    what: &str,
    vars: &[&Var],
    fused: impl Fn(&[Tensor]) -> Tensor,
    reference: impl Fn(&[Tensor]) -> Tensor,
    tol: f32,
    grad_tol: f32,
) {
    let (y1, g1) = run(vars, 99, fused);
    let (y2, g2) = run(vars, 99, reference);
    assert_close(&format!("{what}: values"), &y1, &y2, tol);
    for (i, (a, b)) in g1.iter().zip(&g2).enumerate() {
        let (a, b) = (
            a.as_ref().expect("fused gradient"),
            b.as_ref().expect("reference gradient"),
        );
        assert_close(&format!("{what}: gradient of input {i}"), a, b, grad_tol);
    }
}

#[test]
fn linear_act_matches_candle_values_and_gradients() {
    let mut rng = Rng::new(1);
    for (batch, k, n) in [(1, 3, 5), (7, 13, 9), (64, 100, 256), (2, 784, 1)] {
        for act in ACTS {
            let x = var(&mut rng, &[batch, k], 1.0);
            let w = var(&mut rng, &[n, k], 0.3);
            let b = var(&mut rng, &[n], 0.3);
            compare(
                &format!("linear {batch}×{k}→{n} {act:?}"),
                &[&x, &w, &b],
                |t| linear_act(&t[0], &t[1], &t[2], act).unwrap(),
                |t| linear_reference(&t[0], &t[1], &t[2], act).unwrap(),
            );
        }
    }
}

#[test]
fn linear_act_reads_feature_maps_flat_and_writes_feature_maps() {
    let mut rng = Rng::new(11);
    // A batch of 3×2×2 maps into 5 outputs, and 4 inputs into 2×2×2 maps (as the DCGAN's
    // discriminator and generator use it): same values and gradients as flatten / reshape
    // around candle's ops, and the shapes asked for.
    let x = var(&mut rng, &[6, 3, 2, 2], 1.0);
    let (w, b) = (var(&mut rng, &[5, 12], 0.3), var(&mut rng, &[5], 0.3));
    compare(
        "linear from maps",
        &[&x, &w, &b],
        |t| linear_act_shaped(&t[0], &t[1], &t[2], Activation::LeakyRelu(0.2), None).unwrap(),
        |t| linear_reference(&t[0].flatten_from(1).unwrap(), &t[1], &t[2], Activation::LeakyRelu(0.2)).unwrap(),
    );
    let z = var(&mut rng, &[6, 4], 1.0);
    let (w, b) = (var(&mut rng, &[8, 4], 0.3), var(&mut rng, &[8], 0.3));
    let y = linear_act_shaped(
        z.as_tensor(),
        w.as_tensor(),
        b.as_tensor(),
        Activation::Identity,
        Some(&[2, 2, 2]),
    )
    .unwrap();
    assert_eq!(y.dims(), &[6, 2, 2, 2]);
    compare(
        "linear into maps",
        &[&z, &w, &b],
        |t| linear_act_shaped(&t[0], &t[1], &t[2], Activation::Relu, Some(&[2, 2, 2])).unwrap(),
        |t| {
            linear_reference(&t[0], &t[1], &t[2], Activation::Relu)
                .unwrap()
                .reshape((6, 2, 2, 2))
                .unwrap()
        },
    );
    // A shape that does not hold the outputs is an error, not a panic.
    assert!(
        linear_act_shaped(
            z.as_tensor(),
            w.as_tensor(),
            b.as_tensor(),
            Activation::Identity,
            Some(&[3, 3])
        )
        .is_err()
    );
}

/// The bits of a gradient.
fn bits(t: &Tensor) -> Vec<u32> {
    values(t).into_iter().map(f32::to_bits).collect()
}

#[test]
fn linear_act_hands_weight_gradients_to_the_sink_with_the_graphs_bits() {
    let mut rng = Rng::new(4);
    let x1 = var(&mut rng, &[5, 11], 1.0);
    let x2 = var(&mut rng, &[5, 11], 1.0);
    let w = var(&mut rng, &[6, 11], 0.3);
    let b = var(&mut rng, &[6], 0.3);
    let act = Activation::LeakyRelu(0.2);
    let r = Tensor::from_vec(Rng::new(8).normal_vec(30), (5, 6), &Device::Cpu).unwrap();
    // The layer used twice in one pass (as D is on a real and a fake batch): the gradients sum.
    let loss = |sink: Option<&std::sync::Arc<ParamGrads>>| {
        let (w, b) = (w.as_tensor(), b.as_tensor());
        let y1 = linear_act_into(x1.as_tensor(), w, b, act, None, sink).unwrap();
        let y2 = linear_act_into(x2.as_tensor(), w, b, act, None, sink).unwrap();
        ((y1 * &r).unwrap() + (y2 * &r).unwrap()).unwrap().sum_all().unwrap()
    };
    let want = loss(None).backward().unwrap();
    let sink = ParamGrads::new();
    let mut got = loss(Some(&sink)).backward().unwrap();
    // candle's graph never held (zero-filled, summed) the weights' gradients ...
    assert!(got.get(w.as_tensor()).is_none() && got.get(b.as_tensor()).is_none());
    sink.drain_into(&mut got).unwrap();
    // ... and after the hand-over they are the same bits, and so are the inputs' gradients.
    for (what, t) in [("W", &w), ("b", &b), ("x1", &x1), ("x2", &x2)] {
        let (g, e) = (got.get(t.as_tensor()).unwrap(), want.get(t.as_tensor()).unwrap());
        assert_eq!(bits(g), bits(e), "gradient of {what}");
    }
    // A gradient of the wrong size for its weight is refused.
    let err = sink.deposit(w.as_tensor(), vec![0.0; 5]).unwrap_err();
    assert!(err.to_string().contains("weight gradient of 5 values"), "{err}");
}

/// One training-step loss per network on batches of 6 (G: `Σ G(z)·r`; D: two passes, real and
/// fake, as in its step without concatenation), its gradients by candle's graph
/// (`forward_t`) or by the training path (`forward_collecting`: weight gradients handed over,
/// batch norm fused into the layer before it).
fn gan_step_gradients(gan: &Gan, collect: bool) -> [candle_core::backprop::GradStore; 2] {
    let z = Tensor::from_vec(Rng::new(5).normal_vec(6 * 8), (6, 8), &Device::Cpu).unwrap();
    let image = |seed| {
        let v: Vec<f32> = Rng::new(seed)
            .normal_vec(6 * 784)
            .into_iter()
            .map(|x| x.tanh())
            .collect();
        Tensor::from_vec(v, (6, 1, 28, 28), &Device::Cpu).unwrap()
    };
    let (real, fake) = (image(6), image(7));
    let r = Tensor::from_vec(Rng::new(9).normal_vec(6 * 784), (6, 1, 28, 28), &Device::Cpu).unwrap();
    let sink = ParamGrads::new();
    let x = if collect {
        gan.g.forward_collecting(&z, true, &sink)
    } else {
        gan.g.forward_t(&z, true)
    };
    let mut g = (x.unwrap() * &r).unwrap().sum_all().unwrap().backward().unwrap();
    sink.drain_into(&mut g).unwrap();
    let d = |x: &Tensor| {
        if collect {
            gan.d.forward_collecting(x, true, &sink).unwrap()
        } else {
            gan.d.forward_t(x, true).unwrap()
        }
    };
    let loss = (d(&real) - d(&fake).affine(0.5, 0.0).unwrap())
        .unwrap()
        .sum_all()
        .unwrap();
    let mut dg = loss.backward().unwrap();
    sink.drain_into(&mut dg).unwrap();
    [g, dg]
}

#[test]
fn both_gans_train_with_the_graphs_gradients_and_running_statistics_on_the_fused_path() {
    // The DCGAN also with InfoGAN's paper layer: a fully connected layer with batch norm first.
    for (kind, g_hidden) in [(GanArch::MlpGan, 0), (GanArch::Dcgan, 0), (GanArch::Dcgan, 32)] {
        let config = GanConfig {
            d_hidden: 0,
            arch: kind,
            latent_dim: 8,
            classes: 0,
            g_hidden,
        };
        let (graph, fused) = (
            Gan::new(config, 3, &Device::Cpu).unwrap(),
            Gan::new(config, 3, &Device::Cpu).unwrap(),
        );
        let has_hidden = sorted_vars(&graph.g_vars).iter().any(|(n, _)| n == "hidden.weight");
        assert_eq!(has_hidden, g_hidden > 0, "G's first layer");
        let want = gan_step_gradients(&graph, false);
        let got = gan_step_gradients(&fused, true);
        let nets = [("G", &graph.g_vars, &fused.g_vars), ("D", &graph.d_vars, &fused.d_vars)];
        for ((who, vars, fused_vars), (want, got)) in nets.into_iter().zip(want.iter().zip(&got)) {
            let pairs = sorted_vars(vars).into_iter().zip(sorted_vars(fused_vars));
            for ((name, v), (_, f)) in pairs {
                let what = format!("{} (G's hidden layer {g_hidden}) {who} {name}", kind.id());
                if !is_trainable(&name) {
                    // Running statistics: updated from the same batch statistics.
                    assert_close(&what, f.as_tensor(), v.as_tensor(), TOL);
                    continue;
                }
                let g = got.get(f.as_tensor()).unwrap_or_else(|| panic!("{what}: no gradient"));
                let e = want.get(v.as_tensor()).unwrap();
                if kind == GanArch::MlpGan {
                    // Only the hand-over differs: the same arithmetic, the same bits.
                    assert_eq!(bits(g), bits(e), "{what}");
                } else {
                    // Batch norm fused: the same sums in other orders (batch-norm tolerance).
                    assert_close(&what, g, e, 1e-3);
                }
            }
        }
    }
}

#[test]
fn linear_act_gives_no_gradient_to_constant_weights_and_the_same_input_gradient() {
    let mut rng = Rng::new(2);
    let x = var(&mut rng, &[5, 11], 1.0);
    let w = var(&mut rng, &[6, 11], 0.3);
    let b = var(&mut rng, &[6], 0.3);
    let act = Activation::LeakyRelu(0.2);
    let frozen = linear_act(x.as_tensor(), &w.as_tensor().detach(), &b.as_tensor().detach(), act).unwrap();
    let grads = frozen.sum_all().unwrap().backward().unwrap();
    assert!(grads.get(w.as_tensor()).is_none() && grads.get(b.as_tensor()).is_none());
    let live = linear_reference(x.as_tensor(), w.as_tensor(), b.as_tensor(), act).unwrap();
    let want = live.sum_all().unwrap().backward().unwrap();
    assert_close(
        "input gradient with constant weights",
        grads.get(x.as_tensor()).unwrap(),
        want.get(x.as_tensor()).unwrap(),
        TOL,
    );
}

#[test]
fn conv2d_act_matches_candle_values_and_gradients() {
    let mut rng = Rng::new(3);
    // (batch, channels in, side, channels out, kernel, stride, padding)
    for (batch, c, side, o, k, s, p) in [
        (1, 1, 28, 64, 4, 2, 1),
        (3, 64, 14, 128, 4, 2, 1),
        (2, 3, 6, 4, 4, 2, 1),
        (2, 3, 9, 5, 3, 1, 0),
        (1, 5, 7, 3, 3, 2, 2),
    ] {
        for act in [Activation::Identity, Activation::LeakyRelu(0.2)] {
            let x = var(&mut rng, &[batch, c, side, side], 1.0);
            let w = var(&mut rng, &[o, c, k, k], 0.2);
            let b = var(&mut rng, &[o], 0.2);
            compare(
                &format!("conv2d {batch}×{c}×{side}² → {o}, k{k} s{s} p{p} {act:?}"),
                &[&x, &w, &b],
                |t| conv2d_act(&t[0], &t[1], &t[2], s, p, act).unwrap(),
                |t| conv2d_reference(&t[0], &t[1], &t[2], s, p, act).unwrap(),
            );
        }
    }
}

/// A convolution whose im2col matrix is larger than the fused op builds at once (3×3,
/// stride 2 over 28×28 with 32 channels: 288 rows × 196 positions × 160 samples is 36 MB, over
/// the 30 MiB piece) runs in chunks of samples (139 and 21 here): its values and all three
/// gradients equal those of the same op run on the two halves of the batch, each in one
/// piece (80 samples, 18 MB), and run twice it gives the same bits. The one-piece op is
/// checked against candle on 20 samples. (Stride-1 convolutions run in tiles instead: below.)
#[test]
fn a_convolution_done_in_chunks_of_samples_matches_the_same_op_in_one_piece() {
    let mut rng = Rng::new(8);
    let x = var(&mut rng, &[160, 32, 28, 28], 1.0);
    let w = var(&mut rng, &[32, 32, 3, 3], 0.1);
    let b = var(&mut rng, &[32], 0.2);
    let conv = |x: &Tensor, t: &[Tensor]| conv2d_act(x, &t[1], &t[2], 2, 1, Activation::Relu).unwrap();
    compare(
        "conv2d 160×32×28² → 32, k3 s2 p1: chunks vs halves",
        &[&x, &w, &b],
        |t| conv(&t[0], t),
        |t| {
            let halves = [
                conv(&t[0].narrow(0, 0, 80).unwrap(), t),
                conv(&t[0].narrow(0, 80, 80).unwrap(), t),
            ];
            Tensor::cat(&halves, 0).unwrap()
        },
    );
    let small = var(&mut rng, &[20, 32, 28, 28], 1.0);
    compare(
        "conv2d 20×32×28² → 32, k3 s2 p1 against candle",
        &[&small, &w, &b],
        |t| conv(&t[0], t),
        |t| conv2d_reference(&t[0], &t[1], &t[2], 2, 1, Activation::Relu).unwrap(),
    );
    let once = run(&[&x, &w, &b], 5, |t| conv(&t[0], t));
    let twice = run(&[&x, &w, &b], 5, |t| conv(&t[0], t));
    assert_eq!(bits(&once.0), bits(&twice.0));
    for (a, b) in once.1.iter().zip(&twice.1) {
        assert_eq!(bits(a.as_ref().unwrap()), bits(b.as_ref().unwrap()));
    }
}

/// Stride-1 convolutions run tile by tile (the input gradient as the flipped convolution,
/// the weight gradient summed over tiles in fixed groups): values and gradients match
/// candle for 1×1, 3×3, 4×4 and 7×7 kernels, every padding below the side, one tile and
/// many (8 × 28 rows of a 288-row patch matrix make 38 tiles), with and without an activation;
/// "same" convolutions (the grid is the image) copy each tap's rows in runs, down to a 7×7
/// kernel on a 2×2 image, where every patch row is mostly border; layers with one output map
/// skip the patches.
#[test]
fn stride_one_convolutions_in_tiles_match_candle() {
    let mut rng = Rng::new(21);
    // (batch, channels in, side, channels out, kernel, padding)
    for (batch, c, side, o, k, p) in [
        (2, 3, 9, 5, 3, 0),
        (3, 4, 10, 6, 3, 1),
        (2, 5, 7, 3, 3, 2),
        (2, 5, 8, 3, 1, 0),
        (2, 3, 9, 4, 7, 3),
        (2, 3, 8, 4, 4, 2),
        (1, 33, 28, 1, 3, 1),
        (8, 32, 28, 16, 3, 1),
        (3, 2, 2, 3, 7, 3),
        // One output map (summed straight from the input): 1×1, not "same", more samples
        // than the weight gradient's groups.
        (3, 4, 6, 1, 1, 0),
        (2, 3, 9, 1, 3, 0),
        (20, 5, 7, 1, 3, 1),
    ] {
        for act in [Activation::Identity, Activation::Relu] {
            let x = var(&mut rng, &[batch, c, side, side], 1.0);
            let w = var(&mut rng, &[o, c, k, k], 0.2);
            let b = var(&mut rng, &[o], 0.2);
            compare(
                &format!("conv2d {batch}×{c}×{side}² → {o}, k{k} s1 p{p} {act:?}"),
                &[&x, &w, &b],
                |t| conv2d_act(&t[0], &t[1], &t[2], 1, p, act).unwrap(),
                |t| conv2d_reference(&t[0], &t[1], &t[2], 1, p, act).unwrap(),
            );
        }
    }
}

/// PixelCNN's masked layers skip their cut taps: the op equals candle's convolution of the
/// kernel times its mask, values and all three gradients (the cut taps' weight gradient is
/// zero in both), for the 7×7 type A and 3×3 type B masks, with one output map too; and the
/// bits are the same on one thread as on three.
#[test]
fn convolutions_keeping_some_taps_match_the_masked_kernel() {
    use latent_lab::nets::pixelcnn::{MaskType, mask_values};
    let taps = |k: usize, kind| -> Vec<usize> {
        let m = mask_values(k, kind);
        (0..k * k).filter(|&t| m[t] != 0.0).collect()
    };
    let mut rng = Rng::new(22);
    for (batch, c, side, o, k, kind) in [
        (3, 1, 12, 8, 7, MaskType::A),
        (4, 16, 28, 16, 3, MaskType::B),
        (20, 6, 10, 1, 3, MaskType::B),
    ] {
        let kept = taps(k, kind);
        let x = var(&mut rng, &[batch, c, side, side], 1.0);
        let w = var(&mut rng, &[o, c, k, k], 0.2);
        let b = var(&mut rng, &[o], 0.2);
        let fused = |t: &[Tensor]| conv2d_taps_act(&t[0], &t[1], &t[2], k / 2, &kept, Activation::Relu).unwrap();
        compare(
            &format!("masked conv2d {batch}×{c}×{side}² → {o}, k{k} {kind:?}"),
            &[&x, &w, &b],
            fused,
            |t| conv2d_taps_reference(&t[0], &t[1], &t[2], k / 2, &kept, Activation::Relu).unwrap(),
        );
        let on = |n: usize| {
            let pool = rayon::ThreadPoolBuilder::new().num_threads(n).build().unwrap();
            pool.install(|| run(&[&x, &w, &b], 5, fused))
        };
        let (one, three) = (on(1), on(3));
        assert_eq!(bits(&one.0), bits(&three.0), "{kind:?}: values on 1 and 3 threads");
        for (a, b) in one.1.iter().zip(&three.1) {
            assert_eq!(
                bits(a.as_ref().unwrap()),
                bits(b.as_ref().unwrap()),
                "{kind:?}: gradients"
            );
        }
    }
}

#[test]
fn conv_transpose2d_act_matches_candle_values_and_gradients() {
    let mut rng = Rng::new(4);
    for (batch, c, side, o, k, s, p) in [
        (2, 128, 7, 64, 4, 2, 1),
        (1, 64, 14, 1, 4, 2, 1),
        (2, 3, 3, 4, 4, 2, 1),
        (3, 5, 3, 7, 3, 1, 0),
        (1, 3, 5, 2, 3, 2, 1),
    ] {
        for act in [Activation::Identity, Activation::Tanh, Activation::Relu] {
            let x = var(&mut rng, &[batch, c, side, side], 1.0);
            let w = var(&mut rng, &[c, o, k, k], 0.2);
            let b = var(&mut rng, &[o], 0.2);
            compare(
                &format!("conv_transpose2d {batch}×{c}×{side}² → {o}, k{k} s{s} p{p} {act:?}"),
                &[&x, &w, &b],
                |t| conv_transpose2d_act(&t[0], &t[1], &t[2], s, p, act).unwrap(),
                |t| conv_transpose2d_reference(&t[0], &t[1], &t[2], s, p, act).unwrap(),
            );
        }
    }
}

#[test]
fn a_transposed_convolution_of_two_inputs_matches_it_on_their_concatenation() {
    let mut rng = Rng::new(14);
    for (batch, c1, c2, side, o, k, s, p) in [
        (2, 16, 16, 7, 8, 4, 2, 1),
        (3, 8, 5, 14, 4, 4, 2, 1),
        (1, 3, 1, 5, 2, 3, 1, 0),
    ] {
        for act in [Activation::Identity, Activation::Relu] {
            let x1 = var(&mut rng, &[batch, c1, side, side], 1.0);
            let x2 = var(&mut rng, &[batch, c2, side, side], 1.0);
            let w = var(&mut rng, &[c1 + c2, o, k, k], 0.2);
            let b = var(&mut rng, &[o], 0.2);
            let what = format!("conv_transpose2d of [{c1} | {c2}]×{side}² → {o}, k{k} s{s} p{p} {act:?}");
            compare(
                &what,
                &[&x1, &x2, &w, &b],
                |t| conv_transpose2d_cat_act(&t[0], &t[1], &t[2], &t[3], s, p, act).unwrap(),
                |t| {
                    let x = Tensor::cat(&[&t[0], &t[1]], 1).unwrap();
                    conv_transpose2d_reference(&x, &t[2], &t[3], s, p, act).unwrap()
                },
            );
            // One input constant, and the kernel and bias frozen: the other input's gradient
            // alone, the same.
            for constant in [0, 1] {
                let fused = |t: &[Tensor]| {
                    let mut xs = [t[0].clone(), t[1].clone()];
                    xs[constant] = xs[constant].detach();
                    conv_transpose2d_cat_act(&xs[0], &xs[1], &t[2].detach(), &t[3].detach(), s, p, act).unwrap()
                };
                let (y1, g1) = run(&[&x1, &x2, &w, &b], 5, fused);
                let (y2, g2) = run(&[&x1, &x2, &w, &b], 5, |t| {
                    let x = Tensor::cat(&[&t[0], &t[1]], 1).unwrap();
                    conv_transpose2d_reference(&x, &t[2], &t[3], s, p, act).unwrap()
                });
                assert_close(&format!("{what}, input {constant} constant: values"), &y1, &y2, TOL);
                assert!(
                    g1[constant].is_none() && g1[2].is_none() && g1[3].is_none(),
                    "{what}: gradients of constants"
                );
                let other = 1 - constant;
                let (a, b) = (
                    g1[other].as_ref().expect("fused gradient"),
                    g2[other].as_ref().expect("reference"),
                );
                assert_close(
                    &format!("{what}, input {constant} constant: gradient of input {other}"),
                    a,
                    b,
                    TOL,
                );
            }
        }
    }
}

#[test]
fn batch_norm_act_matches_candle_values_gradients_and_running_statistics() {
    let mut rng = Rng::new(5);
    for dims in [
        vec![3, 5, 4, 4],
        vec![2, 7, 3],
        vec![5, 6],
        vec![1, 3, 3, 5],
        vec![16, 64, 14, 14],
    ] {
        for act in [Activation::Identity, Activation::Relu, Activation::LeakyRelu(0.2)] {
            let c = dims[1];
            let x = var(&mut rng, &dims, 2.0);
            let gamma = var(&mut rng, &[c], 0.5);
            let beta = var(&mut rng, &[c], 0.5);
            compare_tol(
                &format!("batch norm {dims:?} {act:?}"),
                &[&x, &gamma, &beta],
                |t| batch_norm_act_train(&t[0], &t[1], &t[2], 1e-5, act).unwrap().0,
                |t| {
                    let bn = BatchNorm::new(
                        c,
                        Tensor::zeros(c, candle_core::DType::F32, &Device::Cpu).unwrap(),
                        Tensor::ones(c, candle_core::DType::F32, &Device::Cpu).unwrap(),
                        t[1].clone(),
                        t[2].clone(),
                        1e-5,
                    )
                    .unwrap();
                    act.candle(&bn.forward_t(&t[0], true).unwrap()).unwrap()
                },
                TOL,
                1e-3,
            );
            // Running statistics: candle's BatchNorm (momentum 0.1) against ours, twice in a row.
            let start = Tensor::from_vec(rng.normal_vec(c), c, &Device::Cpu).unwrap();
            let bn = BatchNorm::new_with_momentum(
                c,
                Var::from_tensor(&start).unwrap().as_tensor().clone(),
                Var::from_tensor(&start.abs().unwrap()).unwrap().as_tensor().clone(),
                gamma.as_tensor().clone(),
                beta.as_tensor().clone(),
                1e-5,
                0.1,
            )
            .unwrap();
            let (rm, rv) = (
                Var::from_tensor(&start).unwrap(),
                Var::from_tensor(&start.abs().unwrap()).unwrap(),
            );
            for _ in 0..2 {
                bn.forward_t(x.as_tensor(), true).unwrap();
                let (_, stats) =
                    batch_norm_act_train(x.as_tensor(), gamma.as_tensor(), beta.as_tensor(), 1e-5, act).unwrap();
                update_running_stats(rm.as_tensor(), rv.as_tensor(), &stats, 0.1).unwrap();
            }
            assert_close("running mean", rm.as_tensor(), bn.running_mean(), TOL);
            assert_close("running variance", rv.as_tensor(), bn.running_var(), TOL);
        }
    }
}

#[test]
fn softplus_mean_matches_candle_values_and_gradients_even_for_huge_logits() {
    let mut rng = Rng::new(6);
    for n in [1, 7, 64, 129] {
        for sign in [1.0, -1.0] {
            let l = var(&mut rng, &[n], 5.0);
            compare(
                &format!("softplus mean n={n} sign={sign}"),
                &[&l],
                |t| softplus_mean(&t[0], sign).unwrap(),
                |t| softplus_reference(&t[0], sign).unwrap(),
            );
        }
    }
    let huge = Var::from_vec(vec![-80.0f32, 80.0, 0.0], 3, &Device::Cpu).unwrap();
    let y = softplus_mean(huge.as_tensor(), 1.0).unwrap();
    let v = y.to_scalar::<f32>().unwrap();
    assert!((v - (80.0 + std::f32::consts::LN_2) / 3.0).abs() < 1e-4, "{v}");
    let g = values(y.backward().unwrap().get(huge.as_tensor()).unwrap());
    assert!(g.iter().all(|x| x.is_finite()), "{g:?}");
}

/// PyTorch's Adam written with candle's ops (the update the trainer used before the fused kernel).
fn adam_reference(w: &Tensor, g: &Tensor, m: &Tensor, v: &Tensor, c: AdamStep) -> (Tensor, Tensor, Tensor) {
    let m = ((m * c.beta1).unwrap() + (g * (1.0 - c.beta1)).unwrap()).unwrap();
    let v = ((v * c.beta2).unwrap() + (g.sqr().unwrap() * (1.0 - c.beta2)).unwrap()).unwrap();
    let bc1 = 1.0 - c.beta1.powi(c.t);
    let bc2 = 1.0 - c.beta2.powi(c.t);
    let denom = ((v.sqrt().unwrap() / bc2.sqrt()).unwrap() + c.eps).unwrap();
    let update = ((&m / denom).unwrap() * (c.lr / bc1)).unwrap();
    ((w - update).unwrap(), m, v)
}

#[test]
fn fused_adam_and_sgd_match_the_candle_update_in_place() {
    let mut rng = Rng::new(7);
    for n in [1, 13, 100_003] {
        let w = var(&mut rng, &[n], 1.0);
        let (mut m, mut v) = (vec![0.0f32; n], vec![0.0f32; n]);
        let mut want = (
            w.as_tensor().copy().unwrap(),
            w.zeros_like().unwrap(),
            w.zeros_like().unwrap(),
        );
        for t in 1..=3 {
            let g = Tensor::from_vec(rng.normal_vec(n), n, &Device::Cpu).unwrap();
            let c = AdamStep {
                lr: 1e-2,
                beta1: 0.5,
                beta2: 0.999,
                eps: 1e-8,
                t,
            };
            adam_cpu(w.as_tensor(), &g, &mut m, &mut v, c).unwrap();
            want = adam_reference(&want.0, &g, &want.1, &want.2, c);
            assert_close(&format!("adam weights n={n} t={t}"), w.as_tensor(), &want.0, 1e-5);
            assert_close(
                &format!("adam m n={n}"),
                &Tensor::new(m.as_slice(), &Device::Cpu).unwrap(),
                &want.1,
                1e-6,
            );
            assert_close(
                &format!("adam v n={n}"),
                &Tensor::new(v.as_slice(), &Device::Cpu).unwrap(),
                &want.2,
                1e-6,
            );
        }
        let w0 = w.as_tensor().copy().unwrap();
        let mut buf = vec![0.0f32; n];
        let g1 = Tensor::from_vec(rng.normal_vec(n), n, &Device::Cpu).unwrap();
        let g2 = Tensor::from_vec(rng.normal_vec(n), n, &Device::Cpu).unwrap();
        sgd_cpu(w.as_tensor(), &g1, &mut buf, 0.1, 0.9, true).unwrap();
        sgd_cpu(w.as_tensor(), &g2, &mut buf, 0.1, 0.9, false).unwrap();
        // PyTorch: buf1 = g1, buf2 = 0.9·g1 + g2, w = w0 − 0.1·(buf1 + buf2).
        let buf2 = ((&g1 * 0.9).unwrap() + &g2).unwrap();
        let want_w = (w0 - ((&g1 + &buf2).unwrap() * 0.1).unwrap()).unwrap();
        assert_close(&format!("sgd weights n={n}"), w.as_tensor(), &want_w, 1e-5);
    }
}

#[test]
fn fused_ops_give_identical_bits_when_run_twice() {
    let mut rng = Rng::new(8);
    let x = var(&mut rng, &[9, 64, 14, 14], 1.0);
    let w = var(&mut rng, &[128, 64, 4, 4], 0.1);
    let b = var(&mut rng, &[128], 0.1);
    let once = || {
        let (y, g) = run(&[&x, &w, &b], 3, |t| {
            conv2d_act(&t[0], &t[1], &t[2], 2, 1, Activation::LeakyRelu(0.2)).unwrap()
        });
        let mut all = values(&y);
        for g in g.into_iter().flatten() {
            all.extend(values(&g));
        }
        all.into_iter().map(f32::to_bits).collect::<Vec<_>>()
    };
    assert_eq!(once(), once());
}

#[test]
fn the_u_net_matches_the_same_net_of_candles_ops_values_and_every_gradient() {
    use candle_nn::{VarBuilder, VarMap};
    use latent_lab::nets::unet::UNet;
    let vm = VarMap::new();
    let net = UNet::new(8, VarBuilder::from_varmap(&vm, candle_core::DType::F32, &Device::Cpu)).unwrap();
    let mut rng = Rng::new(41);
    for v in vm.all_vars() {
        let n = v.elem_count();
        let t = Tensor::from_vec(rng.normal_vec(n), v.shape(), &Device::Cpu).unwrap();
        v.set(&(t * 0.2).unwrap()).unwrap();
    }
    let x = var(&mut rng, &[3, 1, 28, 28], 1.0);
    let (names, weights): (Vec<String>, Vec<Var>) = sorted_vars(&vm).into_iter().unzip();
    let vars: Vec<&Var> = std::iter::once(&x).chain(&weights).collect();
    compare(
        &format!("U-Net (input 0 the image, then {names:?})"),
        &vars,
        |t| net.forward(&t[0], false).unwrap(),
        |t| net.forward_reference(&t[0]).unwrap(),
    );
}

#[test]
fn transposed_convolutions_of_an_empty_batch_give_empty_results_and_gradients() {
    let mut rng = Rng::new(3);
    let w = var(&mut rng, &[6, 2, 4, 4], 0.2);
    let b = var(&mut rng, &[2], 0.2);
    let x = Var::from_tensor(&Tensor::zeros((0, 6, 3, 3), candle_core::DType::F32, &Device::Cpu).unwrap()).unwrap();
    let (x1, x2) = (x.narrow(1, 0, 4).unwrap(), x.narrow(1, 4, 2).unwrap());
    for y in [
        conv_transpose2d_act(&x, &w, &b, 2, 1, Activation::Relu).unwrap(),
        conv_transpose2d_cat_act(&x1, &x2, &w, &b, 2, 1, Activation::Relu).unwrap(),
    ] {
        assert_eq!(y.dims(), &[0, 2, 6, 6]);
        let grads = y.sum_all().unwrap().backward().unwrap();
        let gw = grads.get(&w).expect("kernel gradient");
        assert_eq!(
            values(gw),
            vec![0.0; 6 * 2 * 16],
            "an empty batch adds nothing to the kernel"
        );
    }
}

/// A tensor in `planes` from one laid out NCHW (a channel-major tensor is `(C, B, H, W)`).
fn laid_out(x: &Tensor, planes: Planes) -> Tensor {
    match planes {
        Planes::Nchw => x.clone(),
        Planes::ChannelMajor => x.transpose(0, 1).unwrap().contiguous().unwrap(),
    }
}

/// The same, back to NCHW.
fn as_nchw(x: &Tensor, planes: Planes) -> Tensor {
    match planes {
        Planes::Nchw => x.clone(),
        Planes::ChannelMajor => x.transpose(0, 1).unwrap(),
    }
}

#[track_caller]
fn assert_same_bits(what: &str, a: &(Tensor, Vec<Option<Tensor>>), b: &(Tensor, Vec<Option<Tensor>>)) {
    assert_eq!(bits(&a.0), bits(&b.0), "{what}: values");
    for (i, (x, y)) in a.1.iter().zip(&b.1).enumerate() {
        assert_eq!(
            bits(x.as_ref().expect("gradient")),
            bits(y.as_ref().expect("gradient")),
            "{what}: gradient of input {i}"
        );
    }
}

const LAYOUTS: [Io; 4] = [
    Io {
        input: Planes::Nchw,
        output: Planes::Nchw,
    },
    Io::TO_CHANNEL_MAJOR,
    Io::FROM_CHANNEL_MAJOR,
    Io::CHANNEL_MAJOR,
];

/// Convolutions and transposed convolutions reading and writing channel-major `(C, B, H, W)`
/// activations: for every pair of layouts, on the 4×4 / stride 2 geometry (its own im2col and
/// col2im), on others and with one channel, the values and all three gradients equal candle's
/// op on the same data laid out NCHW.
#[test]
fn convolutions_in_channel_major_layouts_match_candle() {
    let mut rng = Rng::new(31);
    // (batch, channels in, side, channels out, kernel, stride, padding)
    for (batch, c, side, o, k, s, p) in [
        (3, 5, 14, 6, 4, 2, 1),
        (2, 1, 8, 9, 4, 2, 1),
        (2, 3, 9, 5, 3, 2, 0),
        (1, 4, 7, 3, 3, 2, 2),
    ] {
        for io in LAYOUTS {
            let x = var(&mut rng, &[batch, c, side, side], 1.0);
            let x_in = Var::from_tensor(&laid_out(&x, io.input)).unwrap();
            let w = var(&mut rng, &[o, c, k, k], 0.2);
            let tw = var(&mut rng, &[c, o, k, k], 0.2);
            let b = var(&mut rng, &[o], 0.2);
            let what = format!("{batch}×{c}×{side}² → {o}, k{k} s{s} p{p}, {io:?}");
            compare(
                &format!("conv2d {what}"),
                &[&x_in, &w, &b],
                |t| conv2d_act_io(&t[0], &t[1], &t[2], s, p, Activation::Relu, io).unwrap(),
                |t| {
                    let y = conv2d_reference(&as_nchw(&t[0], io.input), &t[1], &t[2], s, p, Activation::Relu);
                    laid_out(&y.unwrap(), io.output)
                },
            );
            compare(
                &format!("conv_transpose2d {what}"),
                &[&x_in, &tw, &b],
                |t| conv_transpose2d_act_io(&t[0], &t[1], &t[2], s, p, Activation::Tanh, io).unwrap(),
                |t| {
                    let y = conv_transpose2d_reference(&as_nchw(&t[0], io.input), &t[1], &t[2], s, p, Activation::Tanh);
                    laid_out(&y.unwrap(), io.output)
                },
            );
        }
    }
}

/// Two convolutions passing their activation on channel-major (the conv autoencoders'
/// encoder and decoder) give the same bits as the same two in NCHW: values and the gradients
/// of the input and of both layers' kernels and biases. So do convolutions too large to run
/// in one piece (3×3, stride 2, over 150 × 32 × 28 × 28: chunks of 139 and 11 samples), with a
/// channel-major output or input.
#[test]
fn channel_major_activations_give_the_same_bits_as_nchw_ones() {
    let mut rng = Rng::new(32);
    let x = var(&mut rng, &[5, 1, 28, 28], 1.0);
    let (w1, b1) = (var(&mut rng, &[8, 1, 4, 4], 0.3), var(&mut rng, &[8], 0.1));
    let (w2, b2) = (var(&mut rng, &[12, 8, 4, 4], 0.1), var(&mut rng, &[12], 0.1));
    let (t1, tb1) = (var(&mut rng, &[12, 8, 4, 4], 0.1), var(&mut rng, &[8], 0.1));
    let (t2, tb2) = (var(&mut rng, &[8, 1, 4, 4], 0.1), var(&mut rng, &[1], 0.1));
    let vars = [&x, &w1, &b1, &w2, &b2, &t1, &tb1, &t2, &tb2];
    let act = Activation::Relu;
    let net = |t: &[Tensor], first: Io, second: Io| {
        let h = conv2d_act_io(&t[0], &t[1], &t[2], 2, 1, act, first).unwrap();
        let h = conv2d_act_io(&h, &t[3], &t[4], 2, 1, act, second).unwrap();
        let h = conv_transpose2d_act_io(&h, &t[5], &t[6], 2, 1, act, first).unwrap();
        conv_transpose2d_act_io(&h, &t[7], &t[8], 2, 1, Activation::Identity, second).unwrap()
    };
    let nchw = run(&vars, 7, |t| net(t, Io::default(), Io::default()));
    let cm = run(&vars, 7, |t| net(t, Io::TO_CHANNEL_MAJOR, Io::FROM_CHANNEL_MAJOR));
    assert_same_bits("conv, conv, conv_transpose, conv_transpose", &cm, &nchw);

    // The decoder: a dense layer into channel-major maps, then two transposed convolutions.
    let z = var(&mut rng, &[5, 3], 1.0);
    let (fw, fb) = (var(&mut rng, &[12 * 7 * 7, 3], 0.3), var(&mut rng, &[12 * 7 * 7], 0.1));
    let vars = [&z, &fw, &fb, &t1, &tb1, &t2, &tb2];
    let decoder = |t: &[Tensor], cm: bool| {
        let (h, io) = if cm {
            let h = linear_act_channel_major(&t[0], &t[1], &t[2], act, [12, 7, 7], None).unwrap();
            (h, Io::CHANNEL_MAJOR)
        } else {
            let h = linear_act_shaped(&t[0], &t[1], &t[2], act, Some(&[12, 7, 7])).unwrap();
            (h, Io::default())
        };
        let h = conv_transpose2d_act_io(&h, &t[3], &t[4], 2, 1, act, io).unwrap();
        let second = if cm { Io::FROM_CHANNEL_MAJOR } else { Io::default() };
        conv_transpose2d_act_io(&h, &t[5], &t[6], 2, 1, Activation::Identity, second).unwrap()
    };
    let nchw = run(&vars, 8, |t| decoder(t, false));
    let cm = run(&vars, 8, |t| decoder(t, true));
    assert_same_bits("linear, conv_transpose, conv_transpose", &cm, &nchw);

    let x = var(&mut rng, &[150, 32, 28, 28], 1.0);
    let x_cm = Var::from_tensor(&laid_out(&x, Planes::ChannelMajor)).unwrap();
    let (w, b) = (var(&mut rng, &[16, 32, 3, 3], 0.1), var(&mut rng, &[16], 0.1));
    let conv = |x: &Tensor, t: &[Tensor], io: Io| conv2d_act_io(x, &t[1], &t[2], 2, 1, act, io).unwrap();
    let nchw = run(&[&x, &w, &b], 9, |t| conv(&t[0], t, Io::default()));
    let out_cm = run(&[&x, &w, &b], 9, |t| {
        as_nchw(&conv(&t[0], t, Io::TO_CHANNEL_MAJOR), Planes::ChannelMajor)
    });
    assert_same_bits("a channel-major output in chunks", &out_cm, &nchw);
    let in_cm = run(&[&x_cm, &w, &b], 9, |t| conv(&t[0], t, Io::FROM_CHANNEL_MAJOR));
    let transposed = |g: &Tensor| laid_out(g, Planes::ChannelMajor);
    let nchw_cm = (
        nchw.0.clone(),
        vec![nchw.1[0].as_ref().map(transposed), nchw.1[1].clone(), nchw.1[2].clone()],
    );
    assert_same_bits("a channel-major input in chunks", &in_cm, &nchw_cm);
}

/// A dense layer writing channel-major feature maps `(c, B, h, w)` matches candle's layer
/// reshaped and transposed, values and gradients, for each activation.
#[test]
fn a_dense_layer_into_channel_major_maps_matches_candle() {
    let mut rng = Rng::new(34);
    for (batch, k, maps) in [(3, 5, [4, 3, 2]), (1, 16, [64, 7, 7]), (6, 2, [1, 5, 5])] {
        for act in ACTS {
            let n = maps.iter().product();
            let x = var(&mut rng, &[batch, k], 1.0);
            let w = var(&mut rng, &[n, k], 0.3);
            let b = var(&mut rng, &[n], 0.3);
            compare(
                &format!("linear {batch}×{k} → {maps:?} channel-major, {act:?}"),
                &[&x, &w, &b],
                |t| linear_act_channel_major(&t[0], &t[1], &t[2], act, maps, None).unwrap(),
                |t| {
                    let y = linear_reference(&t[0], &t[1], &t[2], act).unwrap();
                    laid_out(
                        &y.reshape((batch, maps[0], maps[1], maps[2])).unwrap(),
                        Planes::ChannelMajor,
                    )
                },
            );
        }
    }
}

/// Layouts the op cannot make are refused with a message, not computed wrong: stride-1
/// convolutions (they run in tiles) take NCHW only.
#[test]
fn a_stride_one_convolution_refuses_channel_major_layouts() {
    let mut rng = Rng::new(33);
    let x = var(&mut rng, &[2, 3, 6, 6], 1.0);
    let (w, b) = (var(&mut rng, &[4, 3, 3, 3], 0.2), var(&mut rng, &[4], 0.2));
    let err = conv2d_act_io(&x, &w, &b, 1, 1, Activation::Relu, Io::TO_CHANNEL_MAJOR).unwrap_err();
    assert!(err.to_string().contains("channel-major"), "{err}");
}
