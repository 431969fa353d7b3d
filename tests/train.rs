//! Integration tests: the trainer learns, is deterministic, and takes changes between steps.

use std::sync::Arc;

use candle_core::Device;
use latent_lab::data::{Dataset, embedded_mnist};
use latent_lab::family::gan::GanSettings;
use latent_lab::family::{self, ModelSpec, StepOutput};
use latent_lab::train::{GeneratorLoss, OptimizerKind, TrainConfig, TrainError, Trainer};

pub fn mnist() -> Arc<Dataset> {
    static DATA: std::sync::OnceLock<Arc<Dataset>> = std::sync::OnceLock::new();
    DATA.get_or_init(|| Arc::new(embedded_mnist().expect("embedded MNIST parses")))
        .clone()
}

/// The two GAN families.
pub const GANS: [&str; 2] = ["mlp-gan", "dcgan"];

/// The default spec of family `kind` with latent size `latent_dim`.
pub fn spec(kind: &str, latent_dim: usize) -> ModelSpec {
    ModelSpec::of(kind)
        .expect("a registered family")
        .with_latent_dim(latent_dim)
}

pub fn trainer(kind: &str, latent_dim: usize, batch_size: usize, seed: u64) -> Trainer {
    let cfg = TrainConfig {
        batch_size,
        seed,
        ..TrainConfig::for_family(family::find(kind).expect("a registered family"))
    };
    Trainer::new(&spec(kind, latent_dim), cfg, mnist(), &Device::Cpu).expect("trainer builds")
}

/// A GAN trainer with the paper's recipe (a fresh z for each update, hard labels, Adam
/// 2e-4), whatever the family's fresh run starts with.
pub fn paper_trainer(kind: &str, latent_dim: usize, batch_size: usize, seed: u64) -> Trainer {
    let mut cfg = TrainConfig {
        batch_size,
        seed,
        ..TrainConfig::for_family(family::find(kind).expect("a registered family"))
    };
    cfg.set_all_lr(latent_lab::family::gan::PAPER_LR);
    let mut spec = spec(kind, latent_dim);
    spec.config = serde_json::to_value(GanSettings {
        latent_dim,
        ..GanSettings::default()
    })
    .expect("settings as JSON");
    Trainer::new(&spec, cfg, mnist(), &Device::Cpu).expect("trainer builds")
}

/// What a GAN's step reports, by name.
#[derive(Debug, Clone, PartialEq)]
pub struct GanStep {
    pub d_loss: f32,
    pub g_loss: f32,
    pub d_real_mean: f32,
    pub d_fake_mean: f32,
    /// D's probability "real" for each image of the real batch.
    pub d_real: Vec<f32>,
    /// D's probability "real" for each image of the fake batch.
    pub d_fake: Vec<f32>,
}

/// A GAN step's output by name: its values are [d_loss, g_loss, d_real_mean, d_fake_mean]
/// and its vectors [d_real, d_fake], in the family's declaration order.
pub fn gan_step(out: StepOutput) -> GanStep {
    let gan = family::find("mlp-gan").expect("the MLP GAN is registered");
    let keys: Vec<&str> = gan.metrics().iter().map(|m| m.key).collect();
    assert_eq!(keys, ["d_loss", "g_loss", "d_real_mean", "d_fake_mean"]);
    let keys: Vec<&str> = gan.vectors().iter().map(|v| v.key).collect();
    assert_eq!(keys, ["d_real", "d_fake"]);
    let &[d_loss, g_loss, d_real_mean, d_fake_mean] = out.values.as_slice() else {
        panic!("a GAN step reports four values, got {:?}", out.values);
    };
    assert_eq!(out.vectors.len(), 2, "a GAN step reports two vectors");
    let mut vectors = out.vectors.into_iter();
    let d_real = vectors.next().unwrap_or_default();
    let d_fake = vectors.next().unwrap_or_default();
    GanStep {
        d_loss,
        g_loss,
        d_real_mean,
        d_fake_mean,
        d_real,
        d_fake,
    }
}

/// The GAN settings (latent size, k, generator loss) of a trainer's model.
pub fn gan_settings(t: &Trainer) -> GanSettings {
    serde_json::from_value(t.spec().config).expect("GAN settings")
}

/// Changes a GAN trainer's settings between steps.
pub fn set_gan_settings(t: &mut Trainer, settings: GanSettings) -> Result<(), TrainError> {
    t.set_model_config(&serde_json::to_value(settings).expect("settings as JSON"))
}

#[test]
fn mlp_gan_discriminator_separates_then_generator_closes_the_gap() {
    // The paper's recipe (Adam 2e-4, β1 0.5, batch 64, hard labels, a fresh z for each
    // update) on the embedded MNIST.
    let mut t = paper_trainer("mlp-gan", 100, 64, 0);
    let mut gaps = Vec::new();
    for _ in 0..400 {
        let m = gan_step(t.iteration().expect("step"));
        assert!(m.d_loss.is_finite() && m.g_loss.is_finite(), "step {}: {m:?}", t.step());
        assert_eq!(m.d_real.len(), 64);
        assert!(m.d_real.iter().chain(&m.d_fake).all(|p| (0.0..=1.0).contains(p)));
        gaps.push(m.d_real_mean - m.d_fake_mean);
    }
    // Smooth over 20 steps: the gap between mean D(x) and mean D(G(z)).
    let smooth: Vec<f32> = gaps.windows(20).map(|w| w.iter().sum::<f32>() / 20.0).collect();
    let (peak_at, peak) = smooth
        .iter()
        .copied()
        .enumerate()
        .fold((0, f32::MIN), |a, (i, g)| if g > a.1 { (i, g) } else { a });
    assert!(peak > 0.3, "D never separated real from fake: peak smoothed gap {peak}");
    // The gap then oscillates as G catches up: it must come down by 0.1 somewhere after its
    // peak. (Not "at step 400" exactly: with Adam, rounding-level changes such as another
    // summation order in a fused kernel move the trajectory chaotically, so only its shape
    // is a property of the algorithm; same seed still gives the same bits.)
    let (low_at, low) = smooth[peak_at..]
        .iter()
        .copied()
        .enumerate()
        .fold((0, f32::MAX), |a, (i, g)| if g < a.1 { (peak_at + i, g) } else { a });
    assert!(
        low < peak - 0.1,
        "the gap did not shrink after its peak {peak} at step {peak_at}: lowest {low} at step {low_at}"
    );
}

#[test]
fn same_seed_gives_identical_losses_other_seed_does_not() {
    let run = |seed| {
        let mut t = trainer("mlp-gan", 16, 16, seed);
        (0..15)
            .map(|_| {
                let m = gan_step(t.iteration().unwrap());
                (m.d_loss.to_bits(), m.g_loss.to_bits())
            })
            .collect::<Vec<_>>()
    };
    let a = run(7);
    assert_eq!(a, run(7));
    assert_ne!(a, run(8));
}

#[test]
fn dcgan_trains_a_few_steps_with_finite_losses_and_latent_size_2() {
    let mut t = trainer("dcgan", 2, 8, 1);
    for _ in 0..3 {
        let m = gan_step(t.iteration().unwrap());
        assert!(m.d_loss.is_finite() && m.g_loss.is_finite());
    }
    let images = t
        .generate_u8(&[0.5, -1.0, 0.0, 2.0])
        .unwrap()
        .expect("a GAN has a decoder");
    assert_eq!(images.len(), 2 * 28 * 28);
}

#[test]
fn mlp_gan_works_with_latent_size_2() {
    let mut t = trainer("mlp-gan", 2, 16, 1);
    let first = gan_step(t.iteration().unwrap());
    for _ in 0..20 {
        t.iteration().unwrap();
    }
    assert!(first.d_loss.is_finite());
    assert_eq!(
        t.generate_u8(&[0.1, 0.2]).unwrap().expect("a GAN has a decoder").len(),
        784
    );
}

#[test]
fn k_discriminator_steps_per_generator_step() {
    let mut t = trainer("mlp-gan", 8, 8, 0);
    let mut settings = gan_settings(&t);
    settings.k = 3;
    set_gan_settings(&mut t, settings).unwrap();
    t.iteration().unwrap();
    t.iteration().unwrap();
    assert_eq!((t.updates_of("d"), t.updates_of("g")), (6, 2));
    assert_eq!(t.step(), 2);
}

#[test]
fn step_buttons_change_only_their_network() {
    let mut t = trainer("mlp-gan", 8, 8, 0);
    let snapshot = |t: &Trainer, net: &str| -> Vec<Vec<f32>> {
        let networks = t.model().networks();
        let (_, vars) = networks
            .iter()
            .find(|(name, _)| *name == net)
            .unwrap_or_else(|| panic!("a GAN has a network {net}"));
        latent_lab::nets::sorted_vars(vars)
            .iter()
            .map(|(_, v)| v.as_tensor().flatten_all().unwrap().to_vec1().unwrap())
            .collect()
    };
    let (g0, d0) = (snapshot(&t, "g"), snapshot(&t, "d"));
    t.step_kind("d").unwrap();
    let (g1, d1) = (snapshot(&t, "g"), snapshot(&t, "d"));
    assert_eq!(g0, g1, "a D step changed G");
    assert_ne!(d0, d1, "a D step left D unchanged");
    t.step_kind("g").unwrap();
    let (g2, d2) = (snapshot(&t, "g"), snapshot(&t, "d"));
    assert_ne!(g1, g2, "a G step left G unchanged");
    assert_eq!(d1, d2, "a G step changed D");
}

#[test]
fn hyperparameters_change_between_steps_without_reset() {
    let mut t = trainer("mlp-gan", 8, 8, 0);
    t.iteration().unwrap();
    let mut cfg = t.config().clone();
    cfg.batch_size = 24;
    cfg.optimizers.get_mut("g").expect("G's optimizer").lr = 1e-3;
    let opt_d = cfg.optimizers.get_mut("d").expect("D's optimizer");
    opt_d.kind = OptimizerKind::Sgd;
    opt_d.lr = 0.01;
    t.set_config(cfg).unwrap();
    let mut settings = gan_settings(&t);
    settings.g_loss = GeneratorLoss::Minimax;
    set_gan_settings(&mut t, settings).unwrap();
    let m = gan_step(t.iteration().unwrap());
    assert_eq!(t.step(), 2, "the step counter kept going");
    assert_eq!(m.d_real.len(), 24, "the new batch size is used");
    assert!(
        m.g_loss < 0.0,
        "minimax G loss log(1 - D(G(z))) is negative, got {}",
        m.g_loss
    );
    assert_eq!(
        t.optimizers()[0].config().lr,
        1e-3,
        "G's optimizer (group 0) has the new rate"
    );
    assert_eq!(
        t.optimizers()[1].config().kind,
        OptimizerKind::Sgd,
        "D's optimizer (group 1) is SGD"
    );
}

#[test]
fn bad_hyperparameters_are_refused_with_a_message() {
    // The MLP GAN takes a batch of one (no batch norm); the DCGAN needs two.
    let mut t = trainer("mlp-gan", 8, 8, 0);
    let mut cfg = t.config().clone();
    cfg.batch_size = 0;
    let e = t.set_config(cfg).unwrap_err();
    assert!(matches!(e, TrainError::Config(_)), "{e}");
    assert!(e.to_string().contains("batch size 0"), "{e}");
    let mut dcgan = trainer("dcgan", 8, 8, 0);
    let mut cfg = dcgan.config().clone();
    cfg.batch_size = 1;
    let e = dcgan.set_config(cfg).unwrap_err();
    assert!(matches!(e, TrainError::Config(_)), "{e}");
    assert!(e.to_string().contains("batch size 1"), "{e}");
    let mut cfg = t.config().clone();
    cfg.optimizers.get_mut("d").expect("D's optimizer").lr = f64::NAN;
    assert!(matches!(t.set_config(cfg), Err(TrainError::Config(_))));
}

#[test]
fn exploding_learning_rate_gives_a_nonfinite_error_not_a_panic() {
    let mut t = trainer("mlp-gan", 8, 8, 0);
    let mut cfg = t.config().clone();
    for group in ["g", "d"] {
        let opt = cfg.optimizers.get_mut(group).expect("a GAN's optimizer");
        opt.kind = OptimizerKind::Sgd;
        opt.lr = 1e30;
    }
    t.set_config(cfg).unwrap();
    let mut err = None;
    for _ in 0..50 {
        if let Err(e) = t.iteration() {
            err = Some(e);
            break;
        }
    }
    let e = err.expect("a learning rate of 1e30 must blow a loss up");
    assert!(matches!(e, TrainError::NonFinite { .. }), "{e}");
    assert!(e.to_string().contains("was not applied"), "{e}");
}

#[test]
fn data_of_the_wrong_size_is_refused() {
    let mut t = trainer("mlp-gan", 8, 8, 0);
    let small = Dataset {
        name: "tiny".into(),
        source: "tiny-folder".into(),
        width: 16,
        height: 16,
        pixels: vec![0; 3 * 256],
        labels: None,
        class_names: vec![],
    };
    let e = t.set_data(Arc::new(small)).unwrap_err();
    assert!(e.to_string().contains("16×16"), "{e}");
    assert!(e.to_string().contains("tiny-folder"), "{e}");
    t.iteration().expect("training goes on with the old data");
}

#[test]
fn optimizer_state_holds_no_computation_graph() {
    // Adam's moments outlive the step; if they referenced the step's graph, every
    // step's activations would stay alive (DCGAN training grew ~40 MB per step).
    for kind in GANS {
        let mut t = trainer(kind, 8, 4, 0);
        for _ in 0..3 {
            t.iteration().unwrap();
        }
        assert_eq!(t.optimizers().len(), 2, "{kind}: one optimizer for G, one for D");
        let groups = t.family().optimizer_groups();
        for (who, opt) in groups.iter().map(|g| g.short).zip(t.optimizers()) {
            for (name, x) in opt.state_tensors() {
                assert!(
                    !x.track_op(),
                    "{kind} {who} optimizer state {name} keeps a computation graph"
                );
            }
        }
    }
}

/// An MLP GAN whose D effectively stands still (SGD at 1e-12), so that D's verdicts in the
/// D step and in the G step that follows can be compared.
fn gan_with_still_d(reuse_fakes: bool) -> Trainer {
    let mut t = trainer("mlp-gan", 100, 8, 3);
    let mut cfg = t.config().clone();
    let opt_d = cfg.optimizers.get_mut("d").expect("D's optimizer");
    opt_d.kind = OptimizerKind::Sgd;
    opt_d.lr = 1e-12;
    t.set_config(cfg).unwrap();
    let mut settings = gan_settings(&t);
    settings.reuse_fakes = reuse_fakes;
    set_gan_settings(&mut t, settings).unwrap();
    t
}

#[test]
fn reusing_fakes_gives_the_g_step_the_d_steps_batch_and_fresh_z_does_not() {
    // Non-saturating G loss = mean −ln D(G(z)) over the G step's fakes. With the D step's
    // fakes reused (and D unchanged between the two), it is the mean of −ln of the D-step
    // verdicts the iteration reports; with a fresh z it is another batch's.
    let gap = |reuse: bool| -> f32 {
        let mut t = gan_with_still_d(reuse);
        let mut worst = 0.0f32;
        for _ in 0..5 {
            let m = gan_step(t.iteration().unwrap());
            let from_d_step = m.d_fake.iter().map(|p| -p.ln()).sum::<f32>() / m.d_fake.len() as f32;
            worst = worst.max((m.g_loss - from_d_step).abs());
        }
        worst
    };
    let reused = gap(true);
    let fresh = gap(false);
    assert!(
        reused < 1e-4,
        "reused fakes: G's loss is not the D step's batch: off by {reused}"
    );
    assert!(
        fresh > 1e-3,
        "fresh z: G's loss matches the D step's batch ({fresh}), so z was not fresh"
    );
}

#[test]
fn reusing_fakes_applies_only_with_k_1() {
    // k = 2 with reuse on: the two D steps and the G step each draw their own z, exactly
    // as with reuse off.
    let run = |reuse: bool| -> Vec<f32> {
        let mut t = trainer("mlp-gan", 8, 8, 0);
        let mut settings = gan_settings(&t);
        settings.k = 2;
        settings.reuse_fakes = reuse;
        set_gan_settings(&mut t, settings).unwrap();
        (0..3).flat_map(|_| t.iteration().unwrap().values).collect()
    };
    assert_eq!(run(true), run(false));
}

#[test]
fn gan_settings_of_older_files_read_as_the_paper() {
    // A checkpoint written before label smoothing and reused fakes existed: D's target 1
    // and a fresh z, whatever the defaults of new runs are.
    let old: GanSettings =
        serde_json::from_value(serde_json::json!({"latent_dim": 100, "k": 1, "g_loss": "non-saturating"})).unwrap();
    assert_eq!(old.real_label, 1.0);
    assert!(!old.reuse_fakes);
    assert_eq!(old.ema, 0.0, "an older file samples from G itself");
    assert_eq!(old.fc_units, 0, "an older DCGAN is all convolutional");
}

/// The named network `net` of a trainer's model, as `(variable, values)` sorted by name.
fn weights_of(t: &Trainer, net: &str) -> Vec<(String, Vec<f32>)> {
    let model = t.model();
    let nets = model.networks();
    let (_, vars) = nets
        .iter()
        .find(|(n, _)| *n == net)
        .unwrap_or_else(|| panic!("no network {net}"));
    latent_lab::nets::sorted_vars(vars)
        .into_iter()
        .map(|(name, v)| (name, v.as_tensor().flatten_all().unwrap().to_vec1().unwrap()))
        .collect()
}

#[test]
fn gs_average_follows_g_by_its_decay_and_never_feeds_back() {
    // The same run with and without the average: G and D train bit for bit alike (the average
    // only decodes), and the samples differ.
    let run = |ema: f64, steps: usize| {
        let mut t = trainer("mlp-gan", 8, 8, 5);
        let mut s = gan_settings(&t);
        s.ema = ema;
        set_gan_settings(&mut t, s).unwrap();
        let losses: Vec<Vec<u32>> = (0..steps)
            .map(|_| t.iteration().unwrap().values.iter().map(|v| v.to_bits()).collect())
            .collect();
        (t, losses)
    };
    let (plain, plain_losses) = run(0.0, 30);
    let (averaged, averaged_losses) = run(0.999, 30);
    assert_eq!(plain_losses, averaged_losses, "the average changed the training");
    assert_eq!(weights_of(&plain, "g"), weights_of(&averaged, "g"));
    assert!(
        plain.model().networks().iter().all(|(n, _)| *n != "g_ema"),
        "no average is kept (or saved) when it is off"
    );
    let z =
        candle_core::Tensor::from_vec(latent_lab::rng::Rng::new(1).normal_vec(4 * 8), (4, 8), &Device::Cpu).unwrap();
    let decode = |t: &Trainer| -> Vec<f32> {
        t.model()
            .decode(&z)
            .expect("a GAN decodes")
            .unwrap()
            .flatten_all()
            .unwrap()
            .to_vec1()
            .unwrap()
    };
    assert_ne!(
        decode(&plain),
        decode(&averaged),
        "samples do not come from the average"
    );

    // One G update from the start: avg = d·G₀ + (1 − d)·G₁ with the warm-up decay
    // d = min(0.999, (1 + 1)/(10 + 1)).
    let (start, _) = run(0.999, 0);
    let g0 = weights_of(&start, "g");
    assert_eq!(weights_of(&start, "g_ema"), g0, "the average starts at G");
    let (one, _) = run(0.999, 1);
    let g1 = weights_of(&one, "g");
    let d = latent_lab::family::gan::ema_decay(0.999, 1);
    assert!((d - 2.0 / 11.0).abs() < 1e-12, "warm-up decay {d}");
    for (((name, a), (_, w0)), (_, w1)) in weights_of(&one, "g_ema").iter().zip(&g0).zip(&g1) {
        assert_ne!(w0, w1, "{name}: G did not move");
        for ((a, w0), w1) in a.iter().zip(w0).zip(w1) {
            let want = d as f32 * w0 + (1.0 - d) as f32 * w1;
            assert!(
                (a - want).abs() <= 1e-6 * (1.0 + want.abs()),
                "{name}: {a} against {want}"
            );
        }
    }
    assert_eq!(latent_lab::family::gan::ema_decay(0.999, 1_000_000), 0.999);
}

#[test]
fn average_decays_out_of_range_are_refused() {
    let mut t = trainer("mlp-gan", 8, 8, 0);
    for bad in [1.0, 1.5, -0.1] {
        let mut settings = gan_settings(&t);
        settings.ema = bad;
        let e = set_gan_settings(&mut t, settings).unwrap_err();
        assert!(e.to_string().contains("ema"), "{bad}: {e}");
    }
    // NaN has no JSON form: refused on the way in.
    let mut settings = gan_settings(&t);
    settings.ema = f64::NAN;
    assert!(set_gan_settings(&mut t, settings).is_err());
    assert!(gan_step(t.iteration().unwrap()).d_loss.is_finite());
}

#[test]
fn the_moving_average_kernel_matches_its_formula_on_large_and_small_tensors() {
    // Above 32K elements the fused kernel splits the work across threads.
    use candle_core::{DType, Tensor};
    use candle_nn::VarMap;
    for n in [7usize, 100_003] {
        let (avg, from) = (VarMap::new(), VarMap::new());
        let a0: Vec<f32> = (0..n).map(|i| (i % 97) as f32 * 0.01).collect();
        let w: Vec<f32> = (0..n).map(|i| 1.0 - (i % 13) as f32 * 0.1).collect();
        for (map, v) in [(&avg, &a0), (&from, &w)] {
            let var = map
                .get(n, "x", candle_nn::Init::Const(0.0), DType::F32, &Device::Cpu)
                .unwrap();
            let _ = var;
            map.data()
                .lock()
                .unwrap()
                .get("x")
                .unwrap()
                .set(&Tensor::from_vec(v.clone(), n, &Device::Cpu).unwrap())
                .unwrap();
        }
        latent_lab::nets::average_vars(&avg, &from, 0.75).unwrap();
        let got: Vec<f32> = avg.data().lock().unwrap()["x"].as_tensor().to_vec1().unwrap();
        for i in 0..n {
            let want = 0.75 * a0[i] + 0.25 * w[i];
            assert!(
                (got[i] - want).abs() < 1e-6,
                "n {n}, element {i}: {} against {want}",
                got[i]
            );
        }
    }
}

#[test]
fn real_labels_out_of_range_are_refused() {
    let mut t = trainer("mlp-gan", 8, 8, 0);
    for bad in [0.5, 0.2, 1.01] {
        let mut settings = gan_settings(&t);
        settings.real_label = bad;
        let e = set_gan_settings(&mut t, settings).unwrap_err();
        assert!(e.to_string().contains("real label"), "{bad}: {e}");
    }
    let mut settings = gan_settings(&t);
    settings.real_label = 0.9;
    set_gan_settings(&mut t, settings).unwrap();
    assert!(gan_step(t.iteration().unwrap()).d_loss.is_finite());
}

#[test]
fn label_smoothing_is_bce_against_the_real_label() {
    use candle_core::Tensor;
    use latent_lab::train::loss::{discriminator_loss, discriminator_loss_smoothed};
    let real = [2.0f32, -0.5, 0.3, 4.0];
    let fake = [-1.0f32, 0.7, -3.0, 0.0];
    let t = |v: &[f32]| Tensor::new(v, &Device::Cpu).unwrap();
    let value = |l: Tensor| l.to_scalar::<f32>().unwrap();
    let softplus = |x: f32| (1.0 + x.exp()).ln();
    let a = 0.9f32;
    let want = real
        .iter()
        .map(|&l| a * softplus(-l) + (1.0 - a) * softplus(l))
        .sum::<f32>()
        / 4.0
        + fake.iter().map(|&l| softplus(l)).sum::<f32>() / 4.0;
    let got = value(discriminator_loss_smoothed(&t(&real), &t(&fake), a).unwrap());
    assert!((got - want).abs() < 1e-5, "{got} against {want}");
    // At 1 it is the paper's loss, bit for bit; and smoothing changes it.
    let paper = value(discriminator_loss(&t(&real), &t(&fake)).unwrap());
    assert_eq!(
        value(discriminator_loss_smoothed(&t(&real), &t(&fake), 1.0).unwrap()),
        paper
    );
    assert!((got - paper).abs() > 1e-3);
}

/// The DCGAN's fully connected layers (`fc_units`): the layers are there and train, a file
/// that names none reads as the paper's all-convolutional DCGAN (and writes no key, so the
/// paper's DCGAN saves as before), they are fixed for a run, and the MLP GAN refuses them.
#[test]
fn the_dcgans_fully_connected_layers_train_and_only_where_asked_for() {
    let mut spec = spec("dcgan", 16);
    spec.config["fc_units"] = 32.into();
    let cfg = TrainConfig {
        batch_size: 8,
        ..TrainConfig::for_family(spec.family().unwrap())
    };
    let mut t = Trainer::new(&spec, cfg.clone(), mnist(), &Device::Cpu).expect("a DCGAN with fc layers builds");
    let shape = |t: &Trainer, net: &str, name: &str| {
        let vars = weights_of(t, net);
        vars.iter().find(|(n, _)| n == name).map(|(_, v)| v.len())
    };
    assert_eq!(shape(&t, "g", "hidden.weight"), Some(32 * 16), "G starts with z → 32");
    assert_eq!(
        shape(&t, "g", "fc.weight"),
        Some(32 * 128 * 7 * 7),
        "G's projection reads the 32 units"
    );
    assert_eq!(
        shape(&t, "d", "body_fc.weight"),
        Some(128 * 7 * 7 * 32),
        "D's body ends in 6,272 → 32"
    );
    assert_eq!(shape(&t, "d", "fc.weight"), Some(32), "D's logit reads the 32 units");
    let (g0, d0) = (weights_of(&t, "g"), weights_of(&t, "d"));
    for _ in 0..2 {
        t.iteration().expect("an iteration");
    }
    let moved = |before: &[(String, Vec<f32>)], after: &[(String, Vec<f32>)], name: &str| {
        let find = |v: &[(String, Vec<f32>)]| v.iter().find(|(n, _)| n == name).map(|(_, w)| w.clone());
        find(before) != find(after)
    };
    assert!(moved(&g0, &weights_of(&t, "g"), "hidden.weight"), "G's fc layer trains");
    assert!(
        moved(&d0, &weights_of(&t, "d"), "body_fc.weight"),
        "D's fc layer trains"
    );

    // Fixed for a run.
    let mut other = t.model().config();
    other["fc_units"] = 64.into();
    let err = t.set_model_config(&other).unwrap_err().to_string();
    assert!(err.contains("fixed for a run"), "{err}");

    // The paper's DCGAN: no such layers, and no key in its file.
    let paper = Trainer::new(&self::spec("dcgan", 16), cfg, mnist(), &Device::Cpu).unwrap();
    assert_eq!(shape(&paper, "g", "hidden.weight"), None);
    assert_eq!(shape(&paper, "d", "body_fc.weight"), None);
    assert!(
        paper.model().config().get("fc_units").is_none(),
        "{}",
        paper.model().config()
    );

    // The MLP GAN has no convolutional body to add them to.
    let mut mlp = self::spec("mlp-gan", 16);
    mlp.config["fc_units"] = 32.into();
    let cfg = TrainConfig::for_family(mlp.family().unwrap());
    let Err(err) = Trainer::new(&mlp, cfg, mnist(), &Device::Cpu) else {
        panic!("an MLP GAN with fc layers was built");
    };
    let err = err.to_string();
    assert!(err.contains("fc units apply to the DCGAN"), "{err}");
}
