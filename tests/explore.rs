//! Integration tests: the latent explorer. A slider change decodes the same image,
//! bit for bit, as `latent-lab sample` with the same z; a click in the grid edits
//! that sample; recipes round-trip through the window and refuse other models;
//! strips start at A and end at B; the 2-D map puts z where it was clicked; a
//! click on the training grid opens that sample in the explorer; the shipped
//! weights load and produce digits.

use std::path::Path;
use std::time::Duration;

use eframe::egui;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use latent_lab::cli::{SampleArgs, sample};
use latent_lab::latent::recipe::{Recipe, RecipeModel};
use latent_lab::latent::{Model, pretrained, random_z};
use latent_lab::ui::{App, ExploreSettings, Settings, Source, Tool, View};

use crate::worker::{tiny_model, tiny_train};

const LONG: Duration = Duration::from_secs(60);

/// Thresholds of the digit-ness check. Measured with the same check (scripts aside) on
/// the MLP GAN's grids while it trained: step 250 covers 1 class, step 1000 agrees at
/// 0.62, steps 5000–7500 at 0.75–0.83 over all 10 classes; noise and the mean digit
/// cover one class. The DCGANs draw thinner strokes than MNIST's, which pixel distance
/// penalises: the shipped DCGAN agrees at 0.71 over 9 classes, the z = 2 one at 0.70
/// over 10. Class coverage is what tells digits from junk.
const PURITY_AT_LEAST: f32 = 0.65;
const CLASSES_AT_LEAST: usize = 8;

fn explore_settings(source: &str, tool: Tool) -> Settings {
    Settings {
        model: tiny_model(),
        train: tiny_train(),
        view: View::Explore,
        explore: ExploreSettings {
            source: Source::Pretrained(source.to_string()),
            tool,
            ..ExploreSettings::default()
        },
        ..Settings::default()
    }
}

fn harness(settings: Settings) -> Harness<'static, App> {
    crate::window::harness_with(settings)
}

fn wait(h: &mut Harness<'static, App>, cond: impl Fn(&App) -> bool) -> bool {
    crate::window::wait_for(h, LONG, cond)
}

/// Presses and releases the primary button at `pos`.
fn click_at(h: &mut Harness<'static, App>, pos: egui::Pos2) {
    h.hover_at(pos);
    h.step();
    for pressed in [true, false] {
        h.event(egui::Event::PointerButton {
            pos,
            button: egui::PointerButton::Primary,
            pressed,
            modifiers: egui::Modifiers::NONE,
        });
        h.step();
    }
}

fn png_pixels(path: &Path) -> Vec<u8> {
    image::open(path).expect("a PNG").to_luma8().into_raw()
}

#[test]
fn a_slider_change_decodes_the_same_image_as_sample_does() {
    let mut h = harness(explore_settings("mlp-gan", Tool::Sliders));
    assert!(
        wait(&mut h, |a| a.explorer().image().is_some()),
        "the explorer never showed an image"
    );
    let before = h.state().explorer().image().map(<[u8]>::to_vec);
    h.get_by_role_and_label(egui::accesskit::Role::Slider, "z 3")
        .set_value_accesskit(2.25);
    h.step();
    let ex = h.state().explorer();
    assert_eq!(ex.z[3], 2.25, "the slider moved z 3");
    let shown = ex.image().expect("re-decoded within the same frame").to_vec();
    assert_ne!(Some(shown.clone()), before, "moving z 3 by a lot changes the image");

    let dir = tempfile::tempdir().unwrap();
    let recipe_path = dir.path().join("recipe.txt");
    std::fs::write(&recipe_path, ex.recipe().expect("a recipe").to_text()).unwrap();
    let out = dir.path().join("out");
    sample(&SampleArgs {
        model: Default::default(),
        count: 64,
        seed: 0,
        z: Some(recipe_path),
        class: None,
        code: String::new(),
        out: out.clone(),
    })
    .expect("sample reproduces the recipe");
    assert_eq!(
        png_pixels(&out.join("sample-0000.png")),
        shown,
        "bit-exact with the window"
    );
}

#[test]
fn a_click_in_the_grid_edits_that_sample() {
    let mut h = harness(explore_settings("mlp-gan", Tool::Sliders));
    assert!(
        wait(&mut h, |a| a.explorer().grid_images().is_some()),
        "the pick grid never came"
    );
    h.step();
    let rect = h.get_by_label("Samples to pick from").rect();
    // Row 2, column 5 of the 8×8 grid.
    let cell = rect.width() / 8.0;
    click_at(&mut h, rect.min + egui::vec2(5.5 * cell, 2.5 * cell));
    let ex = h.state().explorer();
    let l = ex.latent_dim();
    let expected = random_z(64, l, ex.settings.grid_seed)[21 * l..22 * l].to_vec();
    assert_eq!(ex.z, expected, "z is sample 21 of the grid");
    assert!(wait(&mut h, |a| a.explorer().image().is_some()));
}

#[test]
fn recipes_round_trip_through_the_window_and_refuse_other_models() {
    let mut h = harness(explore_settings("mlp-gan", Tool::Sliders));
    assert!(wait(&mut h, |a| a.explorer().image().is_some()));
    let original = h.state().explorer().recipe().unwrap();

    // A DCGAN recipe from a checkpoint cannot be shown by an MLP GAN.
    let foreign = Recipe::new(
        RecipeModel {
            kind: "dcgan".into(),
            latent_dim: 100,
        },
        "checkpoint:other.safetensors",
        10,
        None,
        vec![0.5; 100],
    );
    let e = h
        .state_mut()
        .explorer_mut()
        .apply_recipe(&foreign.to_text(), None)
        .unwrap_err();
    assert!(e.contains("DCGAN") && e.contains("MLP GAN"), "{e}");
    assert_eq!(h.state().explorer().z, original.z, "a refused recipe leaves z alone");

    // A recipe of another shipped model switches to it.
    let dcgan = Recipe::new(
        RecipeModel {
            kind: "dcgan".into(),
            latent_dim: 100,
        },
        "pretrained:dcgan",
        0,
        Some(4),
        random_z(1, 100, 4),
    );
    h.state_mut()
        .explorer_mut()
        .apply_recipe(&dcgan.to_text(), None)
        .expect("switches model");
    assert_eq!(h.state().explorer().model.as_ref().unwrap().config().family, "dcgan");

    // Pasting the first recipe into the recipe box and pressing Apply brings it back.
    // (Wait for the new model's pick grid first: when it replaces the spinner, the
    // widgets above the recipe box change and the box's focus would be lost.)
    assert!(wait(&mut h, |a| a.explorer().grid_images().is_some()));
    h.step();
    h.get_by_label("Paste a recipe:").focus();
    h.get_by_label("Paste a recipe:").type_text(&original.to_text());
    h.step();
    h.get_by_label("Apply").click();
    assert!(wait(&mut h, |a| a.explorer().image().is_some()));
    let ex = h.state().explorer();
    assert_eq!(ex.model.as_ref().unwrap().source, "pretrained:mlp-gan");
    assert_eq!(ex.z, original.z);
    assert_eq!(ex.recipe().unwrap(), original);
}

#[test]
fn interpolation_strips_start_at_a_and_end_at_b_with_scores() {
    let mut h = harness(explore_settings("mlp-gan", Tool::Interpolate));
    assert!(wait(&mut h, |a| a.explorer().model.is_some()));
    let (a, b) = (random_z(1, 100, 1), random_z(1, 100, 2));
    {
        let ex = h.state_mut().explorer_mut();
        ex.a = Some(latent_lab::ui::Pick {
            z: a.clone(),
            label: "a".into(),
            seed: Some(1),
        });
        ex.b = Some(latent_lab::ui::Pick {
            z: b.clone(),
            label: "b".into(),
            seed: Some(2),
        });
        ex.settings.frames = 7;
    }
    assert!(wait(&mut h, |app| app.explorer().strip().is_some()), "no strip");
    let model = h.state().explorer().model.clone().unwrap();
    let (img_a, img_b) = (model.decode(&a).unwrap(), model.decode(&b).unwrap());
    let strip = h.state().explorer().strip().unwrap().to_vec();
    assert_eq!(strip.len(), 2, "linear and spherical");
    for p in &strip {
        assert_eq!(p.images.len(), 7 * 784);
        assert_eq!(&p.images[..784], &img_a[..], "{:?} starts at A", p.how);
        assert_eq!(&p.images[6 * 784..], &img_b[..], "{:?} ends at B", p.how);
        let scores = p.scores.as_ref().expect("the shipped model has a discriminator");
        assert_eq!(scores.len(), 7);
        assert!(scores.iter().all(|s| (0.0..=1.0).contains(s)));
    }
    assert_ne!(
        strip[0].images, strip[1].images,
        "linear and spherical paths differ in the middle"
    );
}

#[test]
fn the_2d_map_moves_z_where_it_is_clicked() {
    let mut h = harness(explore_settings("dcgan-z2", Tool::Map));
    assert!(wait(&mut h, |a| a.explorer().latent_dim() == 2));
    assert!(
        wait(&mut h, |a| a.explorer().map_images().is_some()),
        "the map was never decoded"
    );
    h.step();
    let rect = h.get_by_label("Map of the latent plane").rect();
    // The top-left cell's centre is (−extent, +extent).
    let side = h.state().explorer().settings.map_side as f32;
    let cell = rect.width() / side;
    click_at(&mut h, rect.min + egui::vec2(cell / 2.0, cell / 2.0));
    let ex = h.state().explorer();
    let e = ex.settings.map_extent;
    assert!(
        (ex.z[0] + e).abs() < 1e-3 && (ex.z[1] - e).abs() < 1e-3,
        "z = {:?}",
        ex.z
    );
}

#[test]
fn a_click_on_the_training_grid_opens_that_sample_in_the_explorer() {
    let mut settings = explore_settings("mlp-gan", Tool::Sliders);
    settings.view = View::Train;
    let mut h = harness(settings);
    assert!(
        wait(&mut h, |a| a.sample_grids() > 0 && a.generator().is_some()),
        "no samples"
    );
    h.step();
    let rect = h.get_by_label("Generated digits").rect();
    let cell = rect.width() / 8.0;
    click_at(&mut h, rect.min + egui::vec2(1.5 * cell, 0.5 * cell));
    assert!(wait(&mut h, |a| a.settings().view == View::Explore
        && a.explorer().image().is_some()));
    let ex = h.state().explorer();
    assert_eq!(ex.settings.source, Source::Live);
    let l = tiny_model().latent_dim().expect("a GAN has a latent size");
    let expected = latent_lab::latent::grid_z(64, l, tiny_train().seed)[l..2 * l].to_vec();
    assert_eq!(ex.z, expected, "z is the training grid's sample 1");
}

/// For each image, how many of its `k` nearest real digits (squared distance)
/// share the most common label among them, as a share of `k`, and that label.
fn knn_votes(images: &[u8], pool: &[u8], labels: &[u8], k: usize) -> Vec<(f32, u8)> {
    images
        .chunks(784)
        .map(|img| {
            let mut d: Vec<(u32, u8)> = pool
                .chunks(784)
                .zip(labels)
                .map(|(r, &l)| {
                    let s: u32 = img
                        .iter()
                        .zip(r)
                        .map(|(&a, &b)| (i32::from(a) - i32::from(b)).unsigned_abs().pow(2))
                        .sum();
                    (s, l)
                })
                .collect();
            d.sort_unstable_by_key(|x| x.0);
            let mut counts = [0usize; 10];
            for &(_, l) in &d[..k] {
                counts[usize::from(l) % 10] += 1;
            }
            let (label, &n) = counts.iter().enumerate().max_by_key(|(_, n)| **n).unwrap_or((0, &0));
            (n as f32 / k as f32, label as u8)
        })
        .collect()
}

#[test]
fn the_shipped_weights_load_and_produce_digits() {
    // A digit-ness check that needs no classifier file: the 10 nearest real digits of a
    // good sample mostly agree on its class (a blob or noise sits between classes, or
    // next to one kind of stroke), and 64 samples cover most of the ten classes.
    let mnist = latent_lab::data::embedded_mnist().unwrap();
    let labels = mnist.labels.clone().expect("MNIST has labels");
    let pool: Vec<u8> = (0..3000).flat_map(|i| mnist.image(i).to_vec()).collect();
    let real: Vec<u8> = (5000..5064).flat_map(|i| mnist.image(i).to_vec()).collect();
    let yardstick = knn_votes(&real, &pool, &labels[..3000], 10);
    let real_purity = yardstick.iter().map(|v| v.0).sum::<f32>() / 64.0;
    assert!(
        real_purity > 0.8,
        "real digits agree with their neighbours ({real_purity})"
    );
    // Noise: many neighbours agree (on one stroke-like class), but only one class shows.
    let mut rng = latent_lab::rng::Rng::new(5);
    let noise: Vec<u8> = (0..64 * 784)
        .map(|_| if rng.uniform() < 0.12 { 255 } else { 0 })
        .collect();
    let noise_classes: std::collections::BTreeSet<u8> = knn_votes(&noise, &pool, &labels[..3000], 10)
        .iter()
        .map(|v| v.1)
        .collect();
    assert!(noise_classes.len() <= 2, "noise covers {noise_classes:?}");

    // Held-out digits (the shipped autoencoders and VAEs were trained without the last 1,000).
    let held_out: Vec<u8> = (9000..9064).flat_map(|i| mnist.image(i).to_vec()).collect();
    for p in &pretrained::ALL {
        let model: Model = p
            .load(&candle_core::Device::Cpu)
            .unwrap_or_else(|e| panic!("{}: {e}", p.id));
        if model.pixels.is_some() || model.translator.is_some() {
            // The autoregressive model is measured by its likelihood (tests/pixelcnn.rs), the
            // translation models by their held-out figures (tests/pix2pix.rs, tests/cyclegan.rs).
            continue;
        }
        let is_autoencoder = model.spec.family.ends_with("ae") && !model.spec.family.ends_with("vae");
        let images = if is_autoencoder {
            // An autoencoder's random z fall in the holes between its codes (that is what it
            // teaches): judge its reconstructions of unseen digits instead.
            let z = model.encode_images(&held_out).unwrap().expect("an autoencoder encodes");
            model.decode(&z).unwrap()
        } else {
            // GANs and VAEs: samples from the prior.
            model.decode(&model.random_z(64, 123)).unwrap()
        };
        assert_eq!(images.len(), 64 * 28 * 28, "{}: 64 images of 28×28", p.id);
        assert!(
            model.scorer.is_some() || model.encoder.is_some(),
            "{}: ships its discriminator or its encoder too",
            p.id
        );
        let votes = knn_votes(&images, &pool, &labels[..3000], 10);
        let purity = votes.iter().map(|v| v.0).sum::<f32>() / 64.0;
        let classes: std::collections::BTreeSet<u8> = votes.iter().map(|v| v.1).collect();
        assert!(
            purity >= PURITY_AT_LEAST && classes.len() >= CLASSES_AT_LEAST,
            "{}: neighbour agreement {purity:.2} (real digits: {real_purity:.2}) over {} classes {classes:?}",
            p.id,
            classes.len()
        );
    }
}

#[test]
fn principal_directions_are_orthonormal_and_move_the_image_more_than_random_ones() {
    use latent_lab::latent::directions::{principal_directions, sensitivity};
    let model = pretrained::find("mlp-gan")
        .unwrap()
        .load(&candle_core::Device::Cpu)
        .unwrap();
    let d = principal_directions(&model, 1000, 5, 0).unwrap();
    assert_eq!(d.dirs.len(), 5);
    for (i, a) in d.dirs.iter().enumerate() {
        for (j, b) in d.dirs.iter().enumerate() {
            let dot: f32 = a.iter().zip(b).map(|(x, y)| x * y).sum();
            let want = if i == j { 1.0 } else { 0.0 };
            assert!((dot - want).abs() < 1e-4, "dirs {i}·{j} = {dot}");
        }
    }
    assert!(
        d.explained.windows(2).all(|w| w[0] >= w[1]),
        "strongest first: {:?}",
        d.explained
    );
    assert!(d.explained.iter().sum::<f32>() < 1.0);

    // Moving 2 units along the strongest direction changes the image more than
    // moving 2 units along random unit directions, on average over several z.
    let l = model.latent_dim();
    let change = |z: &[f32], dir: &[f32]| -> f64 {
        let moved: Vec<f32> = z.iter().zip(dir).map(|(a, b)| a + 2.0 * b).collect();
        let (x, y) = (model.decode(z).unwrap(), model.decode(&moved).unwrap());
        rms(&x, &y)
    };
    let mut rng = latent_lab::rng::Rng::new(9);
    let (mut along, mut random) = (0.0, 0.0);
    for s in 0..8 {
        let z = random_z(1, l, 100 + s);
        let r = rng.normal_vec(l);
        let n = r.iter().map(|v| v * v).sum::<f32>().sqrt();
        let r: Vec<f32> = r.iter().map(|v| v / n).collect();
        along += change(&z, &d.dirs[0]);
        random += change(&z, &r);
    }
    assert!(
        along > 1.5 * random,
        "strongest direction {along:.3} vs random {random:.3}"
    );

    // The coordinates along the directions set and read back.
    let mut z = random_z(1, l, 3);
    d.set_coordinate(&mut z, 1, 2.5);
    assert!((d.coordinates(&z)[1] - 2.5).abs() < 1e-4);

    // Sensitivity: finite, positive, and the bar of a dimension matches a direct difference.
    let z = random_z(1, l, 4);
    let s = sensitivity(&model, &z, 0.25).unwrap();
    assert_eq!(s.len(), l);
    assert!(s.iter().all(|v| v.is_finite() && *v > 0.0));
    let (mut plus, mut minus) = (z.clone(), z.clone());
    plus[7] += 0.25;
    minus[7] -= 0.25;
    let a = model.decode_f32(&plus).unwrap();
    let b = model.decode_f32(&minus).unwrap();
    let direct = (a
        .iter()
        .zip(&b)
        .map(|(x, y)| ((x - y) / 2.0 / 0.5).powi(2))
        .sum::<f32>()
        / 784.0)
        .sqrt();
    assert!((s[7] - direct).abs() < 1e-4, "{} vs {direct}", s[7]);
}

/// Root-mean-square difference of two 8-bit images, in [0, 1] pixel units.
fn rms(a: &[u8], b: &[u8]) -> f64 {
    let s: f64 = a
        .iter()
        .zip(b)
        .map(|(&x, &y)| ((f64::from(x) - f64::from(y)) / 255.0).powi(2))
        .sum();
    (s / a.len() as f64).sqrt()
}

#[test]
fn you_are_the_discriminator_scores_you_and_d_on_the_same_pairs() {
    use latent_lab::classroom::judge::{Judge, Side, Tally};
    let mut h = harness(explore_settings("mlp-gan", Tool::Judge));
    assert!(wait(&mut h, |a| a.explorer().judge.game.pair.is_some()), "no pair came");
    let pair = h.state().explorer().judge.game.pair.clone().unwrap();

    // The fake is the shipped generator's image of the pair's z, the real one an MNIST
    // digit, and D scored both.
    let model = pretrained::find("mlp-gan")
        .unwrap()
        .load(&candle_core::Device::Cpu)
        .unwrap();
    let mnist = latent_lab::data::embedded_mnist_static().unwrap();
    assert_eq!(pair.fake, model.decode(&pair.z).unwrap());
    assert_eq!(pair.real, mnist.image(pair.real_index));
    let (d_real, d_fake) = (pair.d_real.unwrap(), pair.d_fake.unwrap());
    assert!((0.0..=1.0).contains(&d_real) && (0.0..=1.0).contains(&d_fake));
    // The same seed and round always give the same pair.
    assert_eq!(Judge::make_pair(&model, mnist, 0, 0).unwrap(), pair);

    // Call the real digit fake: the student is wrong, D is scored on the same pair.
    let real_button = if pair.fake_side == Side::Left { 1 } else { 0 };
    h.get_all_by_label("This one is fake").nth(real_button).unwrap().click();
    h.step();
    h.step();
    let game = &h.state().explorer().judge.game;
    assert_eq!(game.student, Tally { right: 0, total: 1 });
    assert_eq!(
        game.d,
        Tally {
            right: u32::from(d_fake < d_real),
            total: 1
        }
    );
    h.get_by_label("generated (fake)");
    h.get_by_label_contains("Fooled: that one was real.");

    // The arrow key answers the next pair; answers count once.
    h.get_by_label("Next pair").click();
    h.step();
    h.step();
    let second = h.state().explorer().judge.game.pair.clone().unwrap();
    assert_eq!(second.round, 1);
    assert_ne!(second.fake, pair.fake);
    h.key_press(egui::Key::ArrowLeft);
    h.step();
    h.key_press(egui::Key::ArrowRight);
    h.step();
    let game = &h.state().explorer().judge.game;
    assert_eq!(game.student.total, 2);
    assert_eq!(game.student.right, u32::from(second.fake_side == Side::Left));
}

/// Interpolate and Arithmetic open ready to use: A and B (and C) start as samples of the
/// grid, so the strip and the result show without a click; and the sample grid's
/// "Click one to …" hint shows only with the tools a click goes to.
#[test]
fn interpolate_and_arithmetic_open_with_picks_and_the_grid_hint_only_where_it_applies() {
    let mut h = harness(explore_settings("mlp-gan", Tool::Interpolate));
    assert!(wait(&mut h, |a| a.explorer().grid_images().is_some()));
    assert!(
        wait(&mut h, |a| a.explorer().strip().is_some()),
        "the interpolation never drew a strip on its own"
    );
    let ex = h.state().explorer();
    let (a, b) = (ex.a.clone().expect("A"), ex.b.clone().expect("B"));
    assert_eq!(Some(a.z), ex.grid_pick(0).map(|p| p.z));
    assert_eq!(Some(b.z), ex.grid_pick(1).map(|p| p.z));
    h.run_steps(2);
    assert!(
        h.query_by_label_contains("Click one to make it").is_some(),
        "the hint for A/B"
    );

    h.state_mut().explorer_mut().settings.tool = Tool::Arithmetic;
    assert!(
        wait(&mut h, |a| a.explorer().operands.iter().all(Option::is_some)),
        "A, B and C start chosen"
    );
    h.state_mut().explorer_mut().settings.tool = Tool::Map;
    h.run_steps(3);
    assert!(
        h.query_by_label_contains("Click one to").is_none(),
        "no pick hint where a click in the grid goes nowhere"
    );
}
