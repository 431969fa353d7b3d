//! Integration tests: the built-in digit judge and the quality figures from it. The shipped
//! judge names held-out digits right ≥ 98 % of the time; real digits score as real digits
//! (recognisable, all ten classes, the Fréchet distance of real digits), 500 copies of one
//! digit score as one class far away, and noise as nothing recognisable, far away too; the judge family trains with
//! the shared loop; `latent-lab score` prints the figures for a model and for a folder.

use std::sync::Arc;

use candle_core::Device;
use latent_lab::data::Dataset;
use latent_lab::family::{self, ModelSpec};
use latent_lab::quality::{HELD_OUT, Judge, Quality, Reference};
use latent_lab::rng::Rng;
use latent_lab::train::{TrainConfig, Trainer};

fn judge() -> (Judge, &'static Reference) {
    (
        Judge::shipped().expect("the shipped judge"),
        Reference::shipped().expect("its reference"),
    )
}

fn split() -> (Dataset, Dataset) {
    crate::train::mnist().split_off_last(HELD_OUT)
}

#[test]
fn the_shipped_judge_names_held_out_digits_right_at_least_98_percent_of_the_time() {
    let (_, reference) = judge();
    println!("held-out accuracy {:.4}", reference.accuracy);
    assert_eq!(reference.labels.len(), HELD_OUT);
    assert!(reference.accuracy >= 0.98, "held-out accuracy {}", reference.accuracy);
}

#[test]
fn real_digits_score_as_real_and_copies_and_noise_do_not() {
    let (judge, reference) = judge();
    let (train, _) = split();
    let n = 1000;
    let real = Quality::of(&judge.judge_u8(&train.pixels[..n * 784]).unwrap(), reference);
    println!("real: {}", real.summary());
    assert!(real.recognisable >= 0.95, "{}", real.summary());
    assert_eq!(real.classes, 10);
    assert!(real.entropy > 0.95, "{}", real.summary());
    // The baseline is these same digits: a perfect generator scores it.
    assert!((real.frechet - real.real_frechet).abs() < 1e-6 * real.frechet.max(1.0));

    // 500 copies of one digit: one class, far from the real digits.
    let one = train.image(3).to_vec();
    let copies: Vec<u8> = (0..500).flat_map(|_| one.clone()).collect();
    let collapsed = Quality::of(&judge.judge_u8(&copies).unwrap(), reference);
    println!("copies: {}", collapsed.summary());
    assert_eq!(collapsed.classes, 1, "{}", collapsed.summary());
    assert!(collapsed.entropy < 0.01);
    assert!(
        collapsed.frechet > 20.0 * collapsed.real_frechet,
        "{}",
        collapsed.summary()
    );

    // Noise: nothing recognised, and far from the real digits too. (Its distance is not
    // above the copies': the judge learned to map non-digits to weak features near the
    // middle of the digits' cloud, while a single digit's features sit out at its class.)
    let mut rng = Rng::new(5);
    let noise: Vec<u8> = (0..500 * 784).map(|_| rng.below(256) as u8).collect();
    let noisy = Quality::of(&judge.judge_u8(&noise).unwrap(), reference);
    println!("noise: {}", noisy.summary());
    assert!(noisy.recognisable < 0.05, "{}", noisy.summary());
    assert!(noisy.frechet > 20.0 * noisy.real_frechet, "{}", noisy.summary());
    // Blobs and stroke fragments are not digits either.
    let mut blobs = Vec::new();
    for i in 0..200 {
        let mut img = train.image(i).to_vec();
        for k in (1..784).rev() {
            img.swap(k, rng.below(k + 1));
        }
        blobs.extend(img);
    }
    let scrambled = Quality::of(&judge.judge_u8(&blobs).unwrap(), reference);
    println!("scrambled digits: {}", scrambled.summary());
    assert!(scrambled.recognisable < 0.1, "{}", scrambled.summary());
}

#[test]
fn the_judge_family_trains_with_the_shared_loop() {
    let (train, held) = split();
    let spec = ModelSpec::of("judge").unwrap();
    let f = family::find("judge").unwrap();
    assert!(
        family::ALL.iter().all(|g| g.id() != "judge"),
        "not offered as a generative model"
    );
    let mut t = Trainer::new(&spec, TrainConfig::for_family(f), Arc::new(train), &Device::Cpu).unwrap();
    let first = t.iteration().unwrap();
    for _ in 0..299 {
        t.iteration().unwrap();
    }
    let last = t.iteration().unwrap();
    assert!(
        last.values[0] < first.values[0] * 0.5,
        "{:?} → {:?}",
        first.values,
        last.values
    );
    // The trained classifier (a frozen copy through its seam) on the held-out digits.
    let classifier = t.seams().unwrap().classifier.expect("a classifier seam");
    let idx: Vec<usize> = (0..held.len()).collect();
    let (probs, features) = classifier
        .classify(&held.batch_tensor(&idx, &Device::Cpu).unwrap())
        .unwrap();
    assert_eq!(features.dims(), &[held.len(), family::judge::FEATURES]);
    let predicted = probs.argmax(1).unwrap().to_vec1::<u32>().unwrap();
    let labels = held.labels.as_ref().unwrap();
    let right = predicted
        .iter()
        .zip(labels)
        .filter(|(p, l)| **p == u32::from(**l))
        .count();
    println!("after 301 steps: held-out accuracy {right}/{}", held.len());
    assert!(right as f32 > 0.85 * held.len() as f32, "{right} of {}", held.len());

    // Unlabelled images are refused with a message that says why.
    let mut unlabelled = crate::worker::tiny_data().as_ref().clone();
    unlabelled.labels = None;
    let mut t = Trainer::new(&spec, TrainConfig::for_family(f), Arc::new(unlabelled), &Device::Cpu).unwrap();
    let err = t.iteration().unwrap_err();
    assert!(err.to_string().contains("needs labelled digits"), "{err}");
}

#[test]
fn the_collapse_event_fires_on_collapsed_samples_and_stays_silent_on_real_digits_and_noise() {
    use latent_lab::classroom::events::{ClassCollapseWatch, GameEvent};
    let (judge, reference) = judge();
    let (train, _) = split();
    let q = |pixels: &[u8]| Quality::of(&judge.judge_u8(pixels).unwrap(), reference);
    let real = q(&train.pixels[..500 * 784]);
    // Two digits only (a 1 and a 7), and all copies of one.
    let (one, seven) = (
        (0..train.len())
            .find(|&i| train.labels.as_ref().unwrap()[i] == 1)
            .unwrap(),
        (0..train.len())
            .find(|&i| train.labels.as_ref().unwrap()[i] == 7)
            .unwrap(),
    );
    let two: Vec<u8> = (0..500)
        .flat_map(|i| train.image(if i % 2 == 0 { one } else { seven }).to_vec())
        .collect();
    let two = q(&two);
    let mut rng = Rng::new(9);
    let noise = q(&(0..500 * 784).map(|_| rng.below(256) as u8).collect::<Vec<_>>());

    let mut w = ClassCollapseWatch::default();
    assert_eq!(w.observe(100, &real), None, "real digits: {}", real.summary());
    assert_eq!(
        w.observe(200, &noise),
        None,
        "noise is not a collapse: {}",
        noise.summary()
    );
    let e = w.observe(300, &two).expect("two classes: a collapse");
    assert!(
        matches!(e, GameEvent::ClassCollapse { step: 300, classes: 2, top_class, top_share, .. }
            if (top_class == 1 || top_class == 7) && (0.45..=0.55).contains(&top_share)),
        "{e:?} from {}",
        two.summary()
    );
    assert_eq!(w.observe(400, &two), None, "fires once");
    assert!(w.holds());
    assert_eq!(w.observe(500, &real), None);
    assert!(!w.holds(), "clears when the samples recover");
    assert!(w.observe(600, &two).is_some(), "and fires again");
}

/// The training screen charts the judge's figures and shows its class histogram beside the
/// samples; the explorer writes the judge's verdict (and D's score) under the decoded image.
#[test]
fn the_window_shows_the_judges_figures_and_verdicts() {
    use egui_kittest::kittest::Queryable;
    use latent_lab::ui::{ExploreSettings, Settings, Source, Tool, View};

    let mut h = crate::window::harness_with(crate::window::tiny_settings());
    let long = std::time::Duration::from_secs(60);
    assert!(crate::window::wait_for(&mut h, long, |a| a
        .status()
        .is_some_and(|s| s.ready)));
    h.run_steps(2);
    assert!(h.query_by_label("Sample quality (digit judge)").is_some());
    assert!(h.query_by_label("Judge's classes").is_some());
    h.get_by_label("Play").click();
    assert!(
        crate::window::wait_for(&mut h, long, |a| !a.quality_points().is_empty()),
        "no quality figures reached the window"
    );
    h.run_steps(2);
    assert!(
        h.query_by_label_contains(" recognisable · ").is_some(),
        "the class histogram's figures are not written"
    );
    assert!(h.query_by_label("Share of the samples in each class").is_some());

    let settings = Settings {
        view: View::Explore,
        explore: ExploreSettings {
            source: Source::Pretrained("mlp-gan".into()),
            tool: Tool::Sliders,
            ..ExploreSettings::default()
        },
        ..crate::window::tiny_settings()
    };
    let mut h = crate::window::harness_with(settings);
    assert!(crate::window::wait_for(&mut h, long, |a| a.explorer().model.is_some()));
    h.run_steps(3);
    assert!(
        h.query_by_label_contains("Judge: ").is_some(),
        "no verdict under the decoded image"
    );
    assert!(
        h.query_by_label_contains(") · D = ").is_some(),
        "the GAN's D score is missing beside the judge's verdict"
    );
}

/// An MLP GAN early in training draws noisy grey blobs: the judge must not read them as a
/// confident digit, and the collapse watch must stay silent (this once fired at step 110).
#[test]
fn early_gan_blobs_are_not_recognised_and_are_not_a_collapse() {
    use latent_lab::classroom::events::ClassCollapseWatch;
    let (judge, reference) = judge();
    let (train, _) = split();
    let spec = ModelSpec::of("mlp-gan").unwrap();
    let cfg = TrainConfig::for_family(family::find("mlp-gan").unwrap());
    let mut t = Trainer::new(&spec, cfg, Arc::new(train), &Device::Cpu).unwrap();
    let z = latent_lab::latent::random_z(500, 100, 3);
    for checkpoint in [0u64, 50, 110, 200] {
        while t.step() < checkpoint {
            t.iteration().unwrap();
        }
        let pixels = t.generate_u8(&z).unwrap().unwrap();
        let q = Quality::of(&judge.judge_u8(&pixels).unwrap(), reference);
        println!("MLP GAN at step {checkpoint}: {}", q.summary());
        assert!(q.recognisable < 0.3, "step {checkpoint}: {}", q.summary());
        assert!(!ClassCollapseWatch::collapsed(&q), "step {checkpoint}: {}", q.summary());
    }
}

/// The judge reads shapes, not pixel noise: real digits with noise of σ 0.3 (on the [-1, 1]
/// scale) stay recognisable, and its verdicts on them keep their classes.
#[test]
fn noisy_but_readable_digits_are_still_recognised() {
    let (judge, reference) = judge();
    let (train, _) = split();
    let mut rng = Rng::new(11);
    let noisy: Vec<u8> = train.pixels[..500 * 784]
        .iter()
        .map(|&p| {
            let v = f32::from(p) / 127.5 - 1.0 + 0.3 * rng.normal() as f32;
            ((v.clamp(-1.0, 1.0) + 1.0) * 127.5).round() as u8
        })
        .collect();
    let v = judge.judge_u8(&noisy).unwrap();
    let q = Quality::of(&v, reference);
    println!("σ 0.3: {}", q.summary());
    assert!(q.recognisable >= 0.9, "{}", q.summary());
    let labels = train.labels.as_ref().unwrap();
    let right = (0..500).filter(|&i| v.top(i).0 == usize::from(labels[i])).count();
    assert!(right >= 475, "{right} of 500 noisy digits named right");
}

/// The shipped unconditional GANs (the MLP GAN; the DCGAN with 256-unit fully connected
/// layers; both trained without the held-out digits) pass the quality bar: the judge
/// recognises at least 0.9 of 1,000 samples from random z, all ten classes come up, and the
/// Fréchet distance is within 3× of what 1,000 real digits score.
#[test]
fn the_shipped_gans_pass_the_judges_bar() {
    let (judge, reference) = judge();
    let bar = 3.0 * reference.real_baseline(1000);
    for id in ["mlp-gan", "dcgan"] {
        let model = latent_lab::latent::pretrained::find(id)
            .expect("a shipped GAN")
            .load(&Device::Cpu)
            .unwrap();
        if id == "dcgan" {
            assert_eq!(model.spec.config["fc_units"], 256, "{}", model.spec.config);
        }
        let z = model.random_z(1000, 7);
        let v = judge.judge_u8(&model.decode(&z).unwrap()).unwrap();
        let q = Quality::of(&v, reference);
        eprintln!("{id}: {} (bar {bar:.1})", q.summary());
        assert!(q.recognisable >= 0.9, "{id}: recognisable {}", q.recognisable);
        assert_eq!(q.classes, 10, "{id}");
        assert!(q.frechet <= bar, "{id}: Fréchet {} against {bar}", q.frechet);
    }
}
