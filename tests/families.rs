//! The family interface and the autoencoder and VAE families: the VAE's closed-form KL
//! and reparametrisation, learning on the embedded digits, checkpoints of every family.

use std::sync::Arc;

use candle_core::{Device, Tensor, Var};
use latent_lab::data::Dataset;
use latent_lab::family::vae::{kl_elementwise, reparametrize};
use latent_lab::family::{self, ModelSpec};
use latent_lab::rng::Rng;
use latent_lab::train::checkpoint::{self, Checkpoint, CheckpointError, SaveOptions};
use latent_lab::train::{TrainConfig, Trainer};

/// Digits held out of every training split here: the last 1,000 embedded ones.
const HELD_OUT: usize = 1000;

fn split() -> (Arc<Dataset>, Arc<Dataset>) {
    static SPLIT: std::sync::OnceLock<(Arc<Dataset>, Arc<Dataset>)> = std::sync::OnceLock::new();
    SPLIT
        .get_or_init(|| {
            let all = crate::train::mnist();
            let (train, held) = all.split_off_last(HELD_OUT);
            (Arc::new(train), Arc::new(held))
        })
        .clone()
}

fn trainer(id: &str, config: serde_json::Value, seed: u64) -> Trainer {
    let mut spec = ModelSpec::of(id).expect("family");
    if let (Some(obj), Some(over)) = (spec.config.as_object_mut(), config.as_object()) {
        for (k, v) in over {
            obj.insert(k.clone(), v.clone());
        }
    }
    let cfg = TrainConfig {
        seed,
        ..TrainConfig::for_family(spec.family().expect("registered"))
    };
    Trainer::new(&spec, cfg, split().0, &Device::Cpu).expect("trainer builds")
}

#[test]
fn the_closed_form_kl_matches_a_monte_carlo_estimate() {
    // KL(N(μ, σ²) ‖ N(0, 1)) = E_q[log q(z) − log p(z)], estimated from 200,000 draws.
    let mut rng = Rng::new(3);
    for (mu, logvar) in [(0.0f32, 0.0f32), (1.5, -1.0), (-0.7, 0.8), (0.3, -3.0)] {
        let t = |v: f32| Tensor::new(&[v], &Device::Cpu).unwrap();
        let closed = kl_elementwise(&t(mu), &t(logvar)).unwrap().to_vec1::<f32>().unwrap()[0];
        let sigma = (0.5 * logvar).exp() as f64;
        let n = 200_000;
        let mc: f64 = (0..n)
            .map(|_| {
                let e = rng.normal();
                let z = mu as f64 + sigma * e;
                // log q − log p, the 2π terms cancel.
                (-0.5 * e * e - sigma.ln()) - (-0.5 * z * z)
            })
            .sum::<f64>()
            / n as f64;
        assert!(
            (closed as f64 - mc).abs() < 0.02 + 0.01 * mc.abs(),
            "μ {mu}, log σ² {logvar}: closed form {closed}, Monte Carlo {mc}"
        );
        assert!(closed >= 0.0);
    }
}

#[test]
fn the_reparametrisation_gradient_matches_finite_differences() {
    // f(μ, log σ²) = Σ z², z = μ + exp(½ log σ²)·ε with ε fixed.
    let dev = Device::Cpu;
    let mu0 = [0.4f32, -1.2, 0.9];
    let lv0 = [-0.5f32, 0.3, -1.7];
    let eps = Tensor::new(&[0.8f32, -0.3, 1.6], &dev).unwrap();
    let f = |mu: &Tensor, lv: &Tensor| reparametrize(mu, lv, &eps).unwrap().sqr().unwrap().sum_all().unwrap();
    let mu = Var::new(&mu0, &dev).unwrap();
    let lv = Var::new(&lv0, &dev).unwrap();
    let grads = f(mu.as_tensor(), lv.as_tensor()).backward().unwrap();
    let g_mu = grads.get(mu.as_tensor()).unwrap().to_vec1::<f32>().unwrap();
    let g_lv = grads.get(lv.as_tensor()).unwrap().to_vec1::<f32>().unwrap();
    let value = |m: &[f32], l: &[f32]| {
        f(&Tensor::new(m, &dev).unwrap(), &Tensor::new(l, &dev).unwrap())
            .to_scalar::<f32>()
            .unwrap() as f64
    };
    let h = 1e-3f32;
    for i in 0..3 {
        let (mut up, mut down) = (mu0, mu0);
        up[i] += h;
        down[i] -= h;
        let fd = (value(&up, &lv0) - value(&down, &lv0)) / (2.0 * h as f64);
        assert!(
            (fd - g_mu[i] as f64).abs() < 1e-2,
            "∂/∂μ{i}: autograd {}, finite differences {fd}",
            g_mu[i]
        );
        let (mut up, mut down) = (lv0, lv0);
        up[i] += h;
        down[i] -= h;
        let fd = (value(&mu0, &up) - value(&mu0, &down)) / (2.0 * h as f64);
        assert!(
            (fd - g_lv[i] as f64).abs() < 1e-2,
            "∂/∂log σ²{i}: autograd {}, finite differences {fd}",
            g_lv[i]
        );
    }
}

fn mean(xs: &[f32]) -> f32 {
    xs.iter().sum::<f32>() / xs.len() as f32
}

#[test]
fn the_vae_elbo_improves_over_300_steps() {
    let mut t = trainer("vae", serde_json::json!({"latent_dim": 8}), 0);
    let neg_elbo: Vec<f32> = (0..300).map(|_| t.iteration().expect("step").values[0]).collect();
    let (first, last) = (neg_elbo[0], mean(&neg_elbo[280..]));
    // A fresh VAE draws every pixel grey: −ELBO ≈ 784·ln 2 ≈ 543 nats; 300 steps take it
    // well under 200.
    assert!(first > 450.0, "first step's −ELBO {first}");
    assert!(
        last < 200.0 && last < first - 250.0,
        "−ELBO went from {first} to {last} ({:?})",
        &neg_elbo[..5]
    );
    // The KL per dimension is reported, one value per latent dimension, non-negative.
    let out = t.iteration().expect("step");
    assert_eq!(out.vectors[0].len(), 8);
    assert!(out.vectors[0].iter().all(|&k| k >= 0.0));
}

/// Mean squared error per pixel (0–1 scale) of the model's reconstructions of `data`.
fn reconstruction_mse(t: &Trainer, data: &Dataset) -> f32 {
    let seams = t.seams().expect("seams");
    let (enc, dec) = (seams.encoder.expect("an encoder"), seams.decoder.expect("a decoder"));
    let idx: Vec<usize> = (0..data.len()).collect();
    let x = data.batch_tensor(&idx, &Device::Cpu).unwrap();
    let back = dec.decode(&enc.encode(&x).unwrap()).unwrap();
    let diff = ((back - &x).unwrap() * 0.5).unwrap();
    diff.sqr().unwrap().mean_all().unwrap().to_scalar::<f32>().unwrap()
}

#[test]
fn the_autoencoder_reconstructs_held_out_digits() {
    let (_, held) = split();
    let mut t = trainer("ae", serde_json::json!({"latent_dim": 16}), 0);
    let before = reconstruction_mse(&t, &held);
    for _ in 0..400 {
        t.iteration().expect("step");
    }
    let after = reconstruction_mse(&t, &held);
    // Per pixel on the 0–1 scale: an untrained decoder draws grey (≈ 0.2); predicting the
    // mean digit gives ≈ 0.067; 400 steps of the MLP autoencoder reach about 0.025.
    assert!(before > 0.1, "untrained error {before}");
    assert!(after < 0.04, "held-out reconstruction error {after} after 400 steps");
}

#[test]
fn a_two_dimensional_vae_puts_the_classes_apart() {
    let (_, held) = split();
    let mut t = trainer("vae", serde_json::json!({"latent_dim": 2}), 0);
    for _ in 0..600 {
        t.iteration().expect("step");
    }
    let enc = t.seams().expect("seams").encoder.expect("an encoder");
    let idx: Vec<usize> = (0..held.len()).collect();
    let z = enc
        .encode(&held.batch_tensor(&idx, &Device::Cpu).unwrap())
        .unwrap()
        .to_vec2::<f32>()
        .unwrap();
    let labels = held.labels.as_ref().expect("labels");
    // Class means from the first half, nearest-mean accuracy on the second half.
    let half = z.len() / 2;
    let mut sums = [[0.0f64; 3]; 10];
    for (c, l) in z[..half].iter().zip(labels) {
        let s = &mut sums[*l as usize];
        s[0] += f64::from(c[0]);
        s[1] += f64::from(c[1]);
        s[2] += 1.0;
    }
    let means: Vec<(f64, f64)> = sums
        .iter()
        .map(|s| (s[0] / s[2].max(1.0), s[1] / s[2].max(1.0)))
        .collect();
    let correct = z[half..]
        .iter()
        .zip(&labels[half..])
        .filter(|(c, l)| {
            let d = |m: &(f64, f64)| (f64::from(c[0]) - m.0).powi(2) + (f64::from(c[1]) - m.1).powi(2);
            let best = (0..10).min_by(|&a, &b| d(&means[a]).total_cmp(&d(&means[b]))).unwrap();
            best == **l as usize
        })
        .count();
    let acc = correct as f64 / (z.len() - half) as f64;
    assert!(
        acc > 0.4,
        "nearest-class-mean accuracy of the 2-D codes {acc} (chance 0.1)"
    );
}

#[test]
fn every_family_round_trips_bit_exact_and_resumes_exactly() {
    let dir = tempfile::tempdir().unwrap();
    for f in family::ALL {
        let spec = ModelSpec::of(f.id()).unwrap().with_latent_dim(4);
        let cfg = TrainConfig {
            batch_size: 8,
            seed: 5,
            ..TrainConfig::for_family(*f)
        };
        let mut a = Trainer::new(&spec, cfg, split().0, &Device::Cpu).expect("builds");
        for _ in 0..3 {
            a.iteration().expect("step");
        }
        let path = dir.path().join(format!("{}.safetensors", f.id()));
        checkpoint::save(&a, &path, SaveOptions::default()).expect("saves");
        let ck = Checkpoint::load(&path).expect("loads");
        assert_eq!(ck.meta.model, a.spec());
        assert_eq!(ck.meta.step, 3);
        let mut b = ck.into_trainer(Some(f.id()), split().0, &Device::Cpu).expect("resumes");
        // Same weights, bit for bit.
        for ((na, va), (nb, vb)) in a.model().networks().iter().zip(b.model().networks().iter()) {
            assert_eq!(na, nb);
            for ((ka, ta), (kb, tb)) in latent_lab::nets::sorted_vars(va)
                .iter()
                .zip(latent_lab::nets::sorted_vars(vb).iter())
            {
                assert_eq!(ka, kb);
                let bits = |t: &Var| {
                    t.flatten_all()
                        .unwrap()
                        .to_vec1::<f32>()
                        .unwrap()
                        .iter()
                        .map(|x| x.to_bits())
                        .collect::<Vec<_>>()
                };
                assert_eq!(bits(ta), bits(tb), "{}: {na}.{ka} differs after loading", f.id());
            }
        }
        // And the next steps are the same.
        for _ in 0..2 {
            let (x, y) = (a.iteration().unwrap(), b.iteration().unwrap());
            let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
            assert_eq!(bits(&x.values), bits(&y.values), "{}: resumed run diverged", f.id());
        }
        assert_eq!(a.updates(), b.updates());
    }
}

#[test]
fn a_checkpoint_of_one_family_offered_as_another_is_refused_clearly() {
    let dir = tempfile::tempdir().unwrap();
    let t = trainer("ae", serde_json::json!({"latent_dim": 3}), 1);
    let path = dir.path().join("ae.safetensors");
    checkpoint::save(&t, &path, SaveOptions::default()).unwrap();
    let err = Checkpoint::load(&path)
        .unwrap()
        .into_trainer(Some("vae"), split().0, &Device::Cpu)
        .unwrap_err();
    assert!(matches!(err, CheckpointError::WrongModel { .. }), "{err}");
    let msg = err.to_string();
    assert!(
        msg.contains("ae.safetensors") && msg.contains("ae (latent 3)") && msg.contains("vae"),
        "{msg}"
    );
}

#[test]
fn a_checkpoint_declaring_an_absurd_latent_size_is_refused_before_allocating() {
    let dir = tempfile::tempdir().unwrap();
    let t = trainer("vae", serde_json::json!({"latent_dim": 2}), 1);
    let path = dir.path().join("vae.safetensors");
    checkpoint::save(&t, &path, SaveOptions::default()).unwrap();
    let mut ck = Checkpoint::load(&path).unwrap();
    ck.meta.model.config["latent_dim"] = serde_json::json!(1_000_000_000u64);
    let err = match ck.build_model(None, &Device::Cpu) {
        Ok(_) => panic!("an absurd latent size was accepted"),
        Err(e) => e,
    };
    assert!(matches!(err, CheckpointError::BadModel { .. }), "{err}");
    assert!(err.to_string().contains("too large"), "{err}");
}

#[test]
fn the_registry_drives_every_family_through_the_same_loop() {
    for f in family::ALL {
        // Every declaration is consistent: an iteration step, metrics in declared charts.
        assert!(
            f.step_kind(family::ITERATION).is_some_and(|(_, k)| k.iteration),
            "{}",
            f.id()
        );
        for m in f.metrics() {
            assert!(
                f.charts().iter().any(|c| c.id == m.chart),
                "{}: {} has no chart",
                f.id(),
                m.key
            );
        }
        let spec = f.default_spec();
        assert_eq!(
            f.normalize(&spec.config).unwrap(),
            spec.config,
            "{}: defaults normalise to themselves",
            f.id()
        );
        let cfg = TrainConfig {
            batch_size: 4,
            ..TrainConfig::for_family(*f)
        };
        let mut t = Trainer::new(&spec.with_latent_dim(3), cfg, split().0, &Device::Cpu).unwrap();
        let out = t.iteration().unwrap();
        assert_eq!(out.values.len(), f.metrics().len(), "{}", f.id());
        assert_eq!(out.vectors.len(), f.vectors().len(), "{}", f.id());
        assert!(out.values.iter().all(|v| v.is_finite()), "{}: {:?}", f.id(), out.values);
        assert_eq!(t.step(), 1);
        if f.showcase_caption().is_some() {
            // A translation model has no z: its grid is held-out digits, four images each.
            assert!(t.model().latent_dim().is_none(), "{}", f.id());
            let grid = t.showcase_u8().unwrap().expect("a showcase grid");
            assert_eq!(grid.len(), 64 * 784, "{}", f.id());
            continue;
        }
        // z of 3, and for a conditional family the class after it.
        let l = t.model().latent_dim().unwrap();
        if f.latent_is_noise() {
            // One sampling uniform per pixel, whatever latent size was asked for.
            assert_eq!(l, 784, "{}", f.id());
        } else {
            assert_eq!(l, 3 + f.conditioning().width(), "{}", f.id());
        }
        let images = t
            .generate_u8(&vec![0.0; 2 * l])
            .unwrap()
            .expect("every family here decodes");
        assert_eq!(images.len(), 2 * 784);
    }
}

/// The shipped autoencoders' and VAEs' own figures on the 1,000 held-out digits (they were
/// trained without them): reconstruction loss (nats per image) and −ELBO. Bounds are about
/// 10 % above what the shipped files measured (models/README.md), so a worse retrained
/// model fails here.
#[test]
fn the_shipped_autoencoders_and_vaes_do_well_on_held_out_digits() {
    let (train, held) = split();
    let bounds = [
        ("ae", SHIPPED_BOUNDS[0]),
        ("ae-z2", SHIPPED_BOUNDS[1]),
        ("vae", SHIPPED_BOUNDS[2]),
        ("vae-z2", SHIPPED_BOUNDS[3]),
    ];
    for (id, bound) in bounds {
        let p = latent_lab::latent::pretrained::find(id).expect("shipped");
        let model = p.checkpoint().unwrap().build_model(None, &Device::Cpu).unwrap();
        let figure = |data: &Dataset| {
            let idx: Vec<usize> = (0..data.len().min(1000)).collect();
            let x = data.batch_tensor(&idx, &Device::Cpu).unwrap();
            let out = model.evaluate(&x, &mut Rng::new(7)).expect("a figure").unwrap();
            out.values[0]
        };
        let (on_train, on_held) = (figure(&train), figure(&held));
        println!("{id}: held-out {on_held:.2}, first 1,000 training digits {on_train:.2}");
        assert!(on_held < bound, "{id}: held-out figure {on_held} (bound {bound})");
        // No gross overfitting: unseen digits score within 25 % of seen ones.
        assert!(
            on_held < on_train * 1.25,
            "{id}: held-out {on_held} against training {on_train}"
        );
    }
}

/// Held-out bounds for `ae`, `ae-z2` (reconstruction BCE, nats per image) and `vae`,
/// `vae-z2` (−ELBO, nats per image).
/// Measured when they shipped: 70.6, 138.3, 102.7 and 145.7.
const SHIPPED_BOUNDS: [f32; 4] = [78.0, 152.0, 113.0, 160.0];

#[test]
fn gan_inversion_finds_a_z_whose_image_matches_the_digit() {
    use latent_lab::latent::invert::{PATH_POINTS, STEPS, invert};
    let model = latent_lab::latent::pretrained::find("mlp-gan")
        .unwrap()
        .load(&Device::Cpu)
        .unwrap();
    // A digit the generator can draw exactly: its own image of a known z.
    let z_true = latent_lab::latent::random_z(1, 100, 11);
    let target = model.decode(&z_true).unwrap();
    let start = latent_lab::latent::random_z(1, 100, 12);
    let inv = invert(&model, &target, &start).unwrap();
    assert_eq!(inv.loss.len(), STEPS + 1);
    assert_eq!(inv.path.len(), PATH_POINTS);
    assert_eq!(inv.path.first().map(|p| p.0), Some(0));
    assert_eq!(inv.path.last().map(|p| p.0), Some(STEPS));
    let (first, last) = (inv.loss[0], inv.loss[STEPS]);
    assert!(last < 0.3 * first, "the distance fell only from {first} to {last}");
    // The z found draws that distance: decoding it again gives the path's last image.
    assert_eq!(model.decode(&inv.z).unwrap(), inv.path.last().unwrap().2);
    // A real digit (held out): the search gets much closer than where it started too.
    let (_, held) = split();
    let inv = invert(&model, held.image(5), &start).unwrap();
    assert!(
        inv.loss[STEPS] < 0.6 * inv.loss[0],
        "real digit: {} → {}",
        inv.loss[0],
        inv.loss[STEPS]
    );
}

#[test]
fn the_compare_job_puts_one_digit_through_an_autoencoder_a_vae_and_an_inverted_gan() {
    use latent_lab::latent::jobs::{Job, JobOutput, run_job};
    let load = |id: &str| {
        latent_lab::latent::pretrained::find(id)
            .unwrap()
            .load(&Device::Cpu)
            .unwrap()
    };
    let (_, held) = split();
    let target = held.image(3).to_vec();
    let job = Job::Compare {
        models: Box::new([load("ae"), load("vae"), load("mlp-gan")]),
        target: target.clone(),
        start: latent_lab::latent::random_z(1, 100, 1),
    };
    let Ok(JobOutput::Compare(ae, vae, inv)) = run_job(job) else {
        panic!("the compare job failed");
    };
    let mse = |px: &[u8]| {
        px.iter()
            .zip(&target)
            .map(|(&a, &b)| (f32::from(a) - f32::from(b)).powi(2) / (255.0 * 255.0))
            .sum::<f32>()
            / 784.0
    };
    // Both autoencoders redraw an unseen digit closely; the GAN's search gets closer than it began.
    assert!(mse(&ae) < 0.03 && mse(&vae) < 0.04, "AE {} VAE {}", mse(&ae), mse(&vae));
    assert!(inv.loss.last().unwrap() < &inv.loss[0]);
}
