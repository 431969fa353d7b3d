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
