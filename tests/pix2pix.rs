//! pix2pix: the paired tasks make the inputs they claim (holes, blocks, thin strokes, noise),
//! the PatchGAN's logits read the windows the docs state, a short run learns (held-out L1
//! well below the input's own), settings are checked, checkpoints round-trip bit for bit,
//! and `translate` on the command line gives the seam's translation of the same file.

use std::process::Command;

use candle_core::{DType, Device, Tensor};
use candle_nn::{VarBuilder, VarMap};
use egui_kittest::kittest::Queryable;
use latent_lab::data::paired::{self, HOLE, MAX_HOLE, PIXELS, PairTask, SIDE};
use latent_lab::family::ModelSpec;
use latent_lab::nets::init::{InitScheme, init_vars};
use latent_lab::nets::unet::{PATCH_FIELD, PATCH_SIDE, PatchGan, patch_window};
use latent_lab::rng::Rng;
use latent_lab::train::checkpoint::{self, Checkpoint, SaveOptions};
use latent_lab::train::{TrainConfig, Trainer};

use crate::train::mnist;

fn digits(n: usize) -> Vec<u8> {
    mnist().pixels[..n * PIXELS].to_vec()
}

#[test]
fn inpainting_blanks_one_rectangle_of_at_most_12_by_12_and_keeps_the_rest() {
    let data = digits(200);
    let mut rng = Rng::new(5);
    let mut centred = 0;
    for d in data.chunks(PIXELS) {
        let hole = paired::random_hole(&mut rng.clone());
        let input = PairTask::Inpaint.input(d, 4, &mut rng);
        let (top, left, h, w) = hole;
        assert!((4..=MAX_HOLE).contains(&h) && (4..=MAX_HOLE).contains(&w), "{hole:?}");
        assert!(top + h <= SIDE && left + w <= SIDE, "{hole:?} leaves the image");
        if h == w && top == (SIDE - h) / 2 && left == top {
            centred += 1;
        }
        for (i, (&x, &t)) in input.iter().zip(d).enumerate() {
            let (y, c) = (i / SIDE, i % SIDE);
            let inside = (top..top + h).contains(&y) && (left..left + w).contains(&c);
            assert_eq!(x, if inside { HOLE } else { t }, "pixel {i} of hole {hole:?}");
        }
    }
    assert!(
        (60..=140).contains(&centred),
        "{centred} of 200 holes are centre squares"
    );
}

#[test]
fn super_resolution_inputs_are_flat_blocks_of_the_digits_mean() {
    let data = digits(20);
    for factor in [2, 4] {
        for d in data.chunks(PIXELS) {
            let input = PairTask::Superres.input(d, factor, &mut Rng::new(0));
            for by in (0..SIDE).step_by(factor) {
                for bx in (0..SIDE).step_by(factor) {
                    let block: Vec<usize> = (by..by + factor)
                        .flat_map(|y| (bx..bx + factor).map(move |x| y * SIDE + x))
                        .collect();
                    let mean = block.iter().map(|&i| f64::from(d[i])).sum::<f64>() / block.len() as f64;
                    for &i in &block {
                        assert_eq!(input[i], input[block[0]], "block ({by}, {bx}) is not flat");
                    }
                    assert!((f64::from(input[block[0]]) - mean).abs() <= 0.5 + 1e-9);
                }
            }
        }
    }
}

#[test]
fn sketches_are_thin_strokes_inside_the_digits_ink() {
    let data = digits(50);
    let (mut strokes, mut inked) = (0, 0);
    for (k, d) in data.chunks(PIXELS).enumerate() {
        let s = PairTask::Sketch.input(d, 4, &mut Rng::new(0));
        let on = s.iter().filter(|&&p| p == 255).count();
        let ink = d.iter().filter(|&&p| p >= 128).count();
        assert!(s.iter().all(|&p| p == 0 || p == 255));
        assert!(on > 0 && on < ink, "digit {k}: {on} sketch pixels of {ink} ink pixels");
        strokes += on;
        inked += ink;
        for i in 0..PIXELS {
            if s[i] == 255 {
                assert!(d[i] >= 128, "digit {k}: stroke at {i} outside the ink");
            }
        }
        // Thin: at most two 2×2 blocks fully on (Zhang–Suen keeps a rare one at a junction).
        let blocks = (0..SIDE - 1)
            .flat_map(|y| (0..SIDE - 1).map(move |x| (y, x)))
            .filter(|&(y, x)| {
                [(0, 0), (0, 1), (1, 0), (1, 1)]
                    .iter()
                    .all(|(dy, dx)| s[(y + dy) * SIDE + x + dx] == 255)
            })
            .count();
        assert!(blocks <= 2, "digit {k}: {blocks} 2×2 blocks of strokes");
    }
    assert!(strokes * 2 < inked, "{strokes} stroke pixels of {inked} ink pixels");
}

#[test]
fn denoising_inputs_are_noisy_and_a_seed_gives_the_same_inputs() {
    let data = digits(20);
    let a = PairTask::Denoise.inputs(&data, 4, &mut Rng::new(1));
    let b = PairTask::Denoise.inputs(&data, 4, &mut Rng::new(1));
    let c = PairTask::Denoise.inputs(&data, 4, &mut Rng::new(2));
    assert_eq!(a, b);
    assert_ne!(a, c);
    let changed = a.iter().zip(&data).filter(|(x, y)| x != y).count();
    assert!(changed > data.len() / 2, "{changed} of {} pixels changed", data.len());
    let l1 = paired::l1(&a, &data);
    assert!((0.15..0.4).contains(&l1), "noise L1 {l1}");
    assert_eq!(paired::psnr(&data, &data), 100.0);
    assert!(
        PairTask::parse("colour")
            .unwrap_err()
            .contains("inpaint, superres, sketch, denoise")
    );
}

/// Each logit of the 7×7 map changes when a pixel inside its stated window changes, and
/// only then (for pixels of either input channel).
#[test]
fn each_patch_logit_reads_exactly_its_stated_window() {
    let vars = VarMap::new();
    let d = PatchGan::new(8, VarBuilder::from_varmap(&vars, DType::F32, &Device::Cpu)).unwrap();
    init_vars(&vars, InitScheme::Torch, &mut Rng::new(3)).unwrap();
    let mut rng = Rng::new(4);
    let base: Vec<f32> = rng.uniform_vec(PIXELS, -1.0, 1.0);
    let logits = |x: &[f32]| -> Vec<f32> {
        let t = Tensor::from_slice(x, (1, 1, 28, 28), &Device::Cpu).unwrap();
        let y = Tensor::zeros((1, 1, 28, 28), DType::F32, &Device::Cpu).unwrap();
        d.forward(&t, &y, true)
            .unwrap()
            .flatten_all()
            .unwrap()
            .to_vec1()
            .unwrap()
    };
    let before = logits(&base);
    assert_eq!(before.len(), PATCH_SIDE * PATCH_SIDE);
    for pixel in [0, 27, 5 * 28 + 13, 14 * 28 + 14, 783] {
        let mut x = base.clone();
        x[pixel] += 3.0;
        let after = logits(&x);
        for p in 0..PATCH_SIDE * PATCH_SIDE {
            let (top, left, h, w) = patch_window(p / PATCH_SIDE, p % PATCH_SIDE);
            assert!(h <= PATCH_FIELD && w <= PATCH_FIELD);
            let (y, c) = (pixel / 28, pixel % 28);
            let inside = (top..top + h).contains(&y) && (left..left + w).contains(&c);
            let moved = (after[p] - before[p]).abs() > 1e-6;
            assert_eq!(
                moved,
                inside,
                "pixel {pixel}, patch {p}: window {:?}",
                (top, left, h, w)
            );
        }
    }
}

fn pix_trainer(config: serde_json::Value, batch: usize, seed: u64) -> Trainer {
    let mut spec = ModelSpec::of("pix2pix").unwrap();
    for (k, v) in config.as_object().unwrap() {
        spec.config[k] = v.clone();
    }
    let cfg = TrainConfig {
        seed,
        batch_size: batch,
        ..TrainConfig::for_family(spec.family().unwrap())
    };
    let data = std::sync::Arc::new(mnist().split_off_last(1000).0);
    Trainer::new(&spec, cfg, data, &Device::Cpu).unwrap()
}

/// 400 steps of denoising at batch 16 with 16 channels (seed 0). The held-out digits' noisy
/// inputs are 0.18 from the digits (L1 per pixel, 0–1: the noise is clipped at black, so the
/// background keeps half of it); untrained, G's outputs are 0.49 from them (mid grey
/// everywhere). After the run the held-out and the training L1 are under half the input's,
/// and the held-out PSNR is above 12 dB (the inputs': 10 dB). A tanh output layer failed this
/// (all-black outputs, L1 0.14).
#[test]
fn a_short_denoising_run_brings_held_out_l1_well_below_the_inputs() {
    let family = latent_lab::family::find("pix2pix").unwrap();
    let mut t = pix_trainer(serde_json::json!({"task": "denoise", "channels": 16}), 16, 0);
    let first = t.iteration().unwrap();
    let input_l1 = first
        .value(family, "l1_input")
        .expect("step 0 measures the held-out digits");
    let held0 = first.value(family, "l1_held_out").unwrap();
    assert!(held0 > input_l1, "untrained: output L1 {held0}, input {input_l1}");
    let mut last = first;
    let mut held = held0;
    let mut psnr = f32::NAN;
    for _ in 0..400 {
        last = t.iteration().unwrap();
        if let Some(h) = last.value(family, "l1_held_out") {
            held = h;
            psnr = last.value(family, "psnr_held_out").unwrap();
        }
    }
    assert!(
        held < 0.5 * input_l1,
        "held-out L1 {held0} → {held}, input's {input_l1}"
    );
    let train_l1 = last.value(family, "l1").unwrap();
    assert!(train_l1 < 0.5 * input_l1, "training L1 {train_l1}");
    assert!(psnr > 12.0, "held-out PSNR {psnr}");
}

#[test]
fn settings_out_of_range_are_refused_and_lambda_changes_live() {
    let family = latent_lab::family::find("pix2pix").unwrap();
    for bad in [
        serde_json::json!({"factor": 3}),
        serde_json::json!({"lambda_l1": -1.0}),
        serde_json::json!({"channels": 0}),
        serde_json::json!({"task": "colour"}),
    ] {
        let mut spec = ModelSpec::of("pix2pix").unwrap();
        for (k, v) in bad.as_object().unwrap() {
            spec.config[k] = v.clone();
        }
        assert!(family.normalize(&spec.config).is_err(), "{bad} accepted");
    }
    let mut t = pix_trainer(serde_json::json!({"channels": 8}), 4, 0);
    let mut c = t.model().config();
    c["lambda_l1"] = 10.0.into();
    c["loss"] = "l1".into();
    t.set_model_config(&c).expect("λ and the loss change between steps");
    assert_eq!(t.model().config()["lambda_l1"], 10.0);
    c["task"] = "sketch".into();
    let e = t.set_model_config(&c).unwrap_err().to_string();
    assert!(e.contains("start a new run"), "{e}");
}

/// The window's sample grid: 16 held-out digits, each as input, output, target and D's map;
/// the targets are the family's held-out digits and the inputs their task's inputs.
#[test]
fn the_sample_grid_shows_held_out_digits_as_input_output_target_and_patch_map() {
    let t = pix_trainer(serde_json::json!({"task": "superres", "channels": 8}), 4, 0);
    let grid = t.showcase_u8().unwrap().expect("pix2pix shows held-out digits");
    assert_eq!(grid.len(), 64 * PIXELS);
    let data = mnist().split_off_last(1000).0;
    let n = data.len();
    let held = latent_lab::family::pixelcnn::held_out_count(n);
    for k in 0..16 {
        let cell = |j: usize| &grid[(4 * k + j) * PIXELS..(4 * k + j + 1) * PIXELS];
        let target = data.image(n - held + k * held / 16);
        assert_eq!(cell(2), target, "digit {k}'s target");
        assert_eq!(cell(0), &paired::downsample(target, 4)[..], "digit {k}'s input");
        // D's map: flat 4×4 blocks.
        let map = cell(3);
        assert_eq!(map[0], map[3 * 28 + 3]);
    }
}

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_latent-lab"))
}

/// A checkpoint's translator gives the run's translation bit for bit, and `translate` on a PNG
/// writes what the seam gives for the same file's pixels.
#[test]
fn checkpoints_round_trip_and_translate_on_a_file_equals_the_seam() {
    let mut t = pix_trainer(serde_json::json!({"task": "inpaint", "channels": 8}), 4, 0);
    for _ in 0..3 {
        t.iteration().unwrap();
    }
    let dir = tempfile::tempdir().unwrap();
    let ck = dir.path().join("p.safetensors");
    checkpoint::save(&t, &ck, SaveOptions::default()).unwrap();
    let live = t.seams().unwrap().translator.expect("pix2pix translates");
    let loaded = Checkpoint::load(&ck)
        .unwrap()
        .seams(None, &Device::Cpu)
        .unwrap()
        .translator
        .expect("the checkpoint translates");
    let inputs = PairTask::Inpaint.inputs(&digits(8), 4, &mut Rng::new(9));
    assert_eq!(
        live.translate_u8(&inputs).unwrap(),
        loaded.translate_u8(&inputs).unwrap()
    );

    // A digit with a hole, as a PNG file.
    let input_dir = dir.path().join("in");
    std::fs::create_dir_all(&input_dir).unwrap();
    let png = input_dir.join("holey.png");
    image::GrayImage::from_raw(28, 28, inputs[..PIXELS].to_vec())
        .unwrap()
        .save(&png)
        .unwrap();
    let out = dir.path().join("out");
    let run = |extra: &[&str]| {
        bin()
            .args(["translate", "--checkpoint"])
            .arg(&ck)
            .arg("--input")
            .arg(&input_dir)
            .arg("--out")
            .arg(&out)
            .args(extra)
            .output()
            .unwrap()
    };
    let o = run(&[]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let written = image::open(out.join("holey.png")).unwrap().to_luma8().into_raw();
    let file_pixels = latent_lab::data::image_folder::load_image(&png).unwrap().pixels;
    assert_eq!(written, loaded.translate_u8(&file_pixels).unwrap());
    // Never overwritten without asking.
    let again = run(&[]);
    assert!(!again.status.success());
    let e = String::from_utf8_lossy(&again.stderr);
    assert!(e.contains("already exists") && e.contains("--force"), "{e}");
    assert!(run(&["--force"]).status.success());
}

#[test]
fn translate_refuses_a_model_that_does_not_translate() {
    let o = bin()
        .args(["translate", "--pretrained", "mlp-gan", "--held-out"])
        .output()
        .unwrap();
    assert!(!o.status.success());
    let e = String::from_utf8_lossy(&o.stderr);
    assert!(e.contains("does not translate images"), "{e}");
}

/// The shipped inpainting model: held-out figures (the last 1,000 embedded digits, which it
/// never trained on) beat the inputs' own by the margins `models/README.md` states.
#[test]
fn the_shipped_translators_beat_their_inputs_on_held_out_digits() {
    for (id, l1_at_most, kept_at_least) in [("pix2pix-inpaint", 0.9, 0.9), ("pix2pix-superres", 0.5, 0.9)] {
        let t = shipped_translator(id);
        let r = latent_lab::quality::translation::held_out_report(t.as_ref(), 1000).unwrap();
        assert!(
            r.l1_output < l1_at_most * r.l1_input,
            "{id}: L1 {} against the input's {}",
            r.l1_output,
            r.l1_input
        );
        assert!(
            r.psnr_output > r.psnr_input,
            "{id}: PSNR {} vs {}",
            r.psnr_output,
            r.psnr_input
        );
        assert!(
            r.judge_output >= kept_at_least && r.judge_output > r.judge_input,
            "{id}: judged {} (inputs {})",
            r.judge_output,
            r.judge_input
        );
    }
}

/// The explorer with a shipped pix2pix: only the Translate tool, the first held-out digit made
/// into the model's input and translated (bit for bit what the seam gives), the next digit on
/// a click, and the hole brush chosen from its button; in Korean too.
#[test]
fn the_explorer_translates_held_out_digits_with_a_shipped_pix2pix() {
    use latent_lab::ui::Tool;
    use latent_lab::ui::i18n::Lang;
    for lang in [Lang::En, Lang::Ko] {
        let mut h = crate::window::explorer_on("pix2pix-inpaint", Tool::Sliders, lang);
        assert!(
            crate::window::wait_for(&mut h, std::time::Duration::from_secs(60), |a| a
                .explorer()
                .translate
                .result
                .is_some()),
            "the explorer never translated"
        );
        assert_eq!(h.state().explorer().settings.tool, Tool::Translate);
        assert!(h.query_by_label(Tool::Translate.label()).is_some(), "no Translate tab");
        assert!(
            h.query_by_label(Tool::Sliders.label()).is_none(),
            "a sliders tab for a model without z"
        );
        let ex = h.state().explorer();
        let t = ex.model.as_ref().unwrap().translator.clone().unwrap();
        let panel = &ex.translate;
        let (k, target) = panel.target.clone().expect("a held-out digit to start from");
        assert_eq!(k, 0);
        let held = latent_lab::quality::likelihood::held_out_digits(1).unwrap();
        assert_eq!(target, held);
        let result = panel.result.clone().unwrap();
        assert_eq!(result.output, t.translate_u8(&panel.input.ink).unwrap());
        assert_eq!(result.patches.len(), 49);
        let holes = panel.input.ink.iter().filter(|&&p| p == paired::HOLE).count();
        assert!(holes >= 16, "the input has {holes} hole pixels");
        if lang == Lang::Ko {
            continue;
        }
        h.get_by_label("Next held-out digit").click();
        h.run_steps(2);
        let ex = h.state().explorer();
        assert_eq!(ex.translate.target.as_ref().map(|t| t.0), Some(1));
        assert_ne!(ex.translate.result.as_ref().unwrap().output, result.output);
        h.get_by_label("Hole (grey)").click();
        h.run_steps(2);
        assert_eq!(h.state().explorer().translate.input.paint, Some(paired::HOLE));
    }
}

/// The worker publishes pix2pix's sample grid (each digit as input, output, target, D's map)
/// and a model frame with its translator, as it does a GAN's samples and generator.
#[test]
fn the_worker_shows_pix2pix_digits_and_hands_the_explorer_its_translator() {
    use latent_lab::worker::{WorkerHandle, WorkerOptions};
    let mut spec = ModelSpec::of("pix2pix").unwrap();
    spec.config["channels"] = 8.into();
    spec.config["task"] = "superres".into();
    let data = crate::worker::tiny_data();
    let options = WorkerOptions {
        train: TrainConfig {
            batch_size: 4,
            ..TrainConfig::for_family(spec.family().unwrap())
        },
        model: spec,
        preloaded: Some(data.clone()),
        start_running: true,
        ..WorkerOptions::default()
    };
    let handle = WorkerHandle::spawn(options, Box::new(|| {})).unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    let (mut grid, mut frame) = (None, None);
    while (grid.is_none() || frame.is_none()) && std::time::Instant::now() < deadline {
        while handle.try_recv().is_some() {}
        grid = grid.or(handle.take_samples());
        frame = frame.or(handle.take_model());
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    let grid = grid.expect("a sample grid");
    assert_eq!(grid.pixels.len(), 64 * PIXELS);
    // Too few digits to hold 16 out: the grid spreads over all 64.
    for k in 0..16 {
        let target = &grid.pixels[(4 * k + 2) * PIXELS..(4 * k + 3) * PIXELS];
        assert_eq!(target, data.image(k * 64 / 16), "digit {k}");
        let input = &grid.pixels[4 * k * PIXELS..(4 * k + 1) * PIXELS];
        assert_eq!(input, &paired::downsample(target, 4)[..]);
    }
    let frame = frame.expect("a model frame");
    assert!(frame.seams.translator.is_some() && frame.seams.decoder.is_none());
}

/// `sample` and `interpolate` refuse a translation model with one clear line, before making
/// their output folder (sample once divided by its latent size of 0 and panicked).
#[test]
fn sample_and_interpolate_refuse_a_translation_model_before_writing() {
    let dir = tempfile::tempdir().unwrap();
    for cmd in ["sample", "interpolate"] {
        let out = dir.path().join(cmd);
        let o = bin()
            .args([cmd, "--pretrained", "pix2pix-inpaint", "--out"])
            .arg(&out)
            .output()
            .unwrap();
        assert!(!o.status.success(), "{cmd}");
        let e = String::from_utf8_lossy(&o.stderr);
        assert!(!e.contains("panicked"), "{cmd}: {e}");
        assert!(e.contains("no latent space") && e.contains("translate"), "{cmd}: {e}");
        assert!(!out.exists(), "{cmd} made its folder");
    }
}

/// The shipped inpainting models of the paper's ablation, in the Translate tool's order.
const ABLATION: [&str; 3] = ["pix2pix-inpaint", "pix2pix-inpaint-gan", "pix2pix-inpaint-l1"];

fn shipped_translator(id: &str) -> std::sync::Arc<dyn latent_lab::family::Translator> {
    latent_lab::latent::pretrained::find(id)
        .expect("shipped")
        .checkpoint()
        .unwrap()
        .seams(None, &Device::Cpu)
        .unwrap()
        .translator
        .expect("a translator")
}

/// pix2pix's ablation in the Translate tool: offered for an inpainting model and not for
/// super-resolution; ticked, the input and the strip of held-out digits go through the three
/// shipped inpainting models (GAN + L1, GAN alone, L1 alone), each output the seam's bit for
/// bit under its loss's title; unticked, the model's own output and D's map come back.
#[test]
fn the_translate_tool_sets_the_three_losses_side_by_side_for_inpainting() {
    use latent_lab::ui::Tool;
    use latent_lab::ui::i18n::Lang;
    use std::time::Duration;
    let translated = |a: &latent_lab::ui::App| a.explorer().translate.result.is_some();
    let mut h = crate::window::explorer_on("pix2pix-superres", Tool::Translate, Lang::En);
    assert!(crate::window::wait_for(&mut h, Duration::from_secs(60), translated));
    assert_eq!(
        h.query_all_by_label("Compare G's losses").count(),
        0,
        "the ablation offered for super-resolution"
    );

    let mut h = crate::window::explorer_on("pix2pix-inpaint", Tool::Translate, Lang::En);
    assert!(crate::window::wait_for(&mut h, Duration::from_secs(60), translated));
    assert_eq!(
        h.query_all_by_label("GAN alone").count(),
        0,
        "shown before it was asked for"
    );
    h.get_by_label("Compare G's losses").click();
    assert!(
        crate::window::wait_for(&mut h, Duration::from_secs(60), |a| a
            .explorer()
            .translate
            .ablation
            .result
            .is_some()),
        "the three models never translated"
    );
    h.run_steps(2);
    let ex = h.state().explorer();
    let panel = &ex.translate;
    let result = panel.ablation.result.clone().unwrap();
    assert_eq!(result.version, panel.input.version);
    let strip_inputs = &panel.strip.as_ref().expect("a strip").1[0];
    let strip = &panel.ablation.strip.as_ref().expect("the strip through each model").1;
    for (k, id) in ABLATION.iter().enumerate() {
        let t = shipped_translator(id);
        assert_eq!(result.outputs[k], t.translate_u8(&panel.input.ink).unwrap(), "{id}");
        assert_eq!(strip[k], t.translate_u8(strip_inputs).unwrap(), "{id}: the strip");
    }
    assert_ne!(result.outputs[1], result.outputs[2], "GAN alone and L1 alone agree");
    for title in ["GAN + λ·L1", "GAN alone", "L1 alone"] {
        assert!(h.query_all_by_label(title).count() >= 2, "{title}: no titled output");
    }
    assert_eq!(h.query_all_by_label("D's verdict per patch").count(), 0);

    h.get_by_label("Compare G's losses").click();
    h.run_steps(2);
    assert_eq!(
        h.query_all_by_label("GAN alone").count(),
        0,
        "still shown once unticked"
    );
    assert!(h.query_all_by_label("D's verdict per patch").count() >= 1);
}

/// The share of the pixels under the holes (where `inputs` are [`HOLE`]) that are mid-grey in
/// `images` (between a quarter and three quarters of full ink): blur, where a digit is strokes
/// on black.
fn grey_share(images: &[u8], inputs: &[u8]) -> f64 {
    let under: Vec<u8> = images
        .iter()
        .zip(inputs)
        .filter(|p| *p.1 == HOLE)
        .map(|p| *p.0)
        .collect();
    under.iter().filter(|&&v| (64..192).contains(&v)).count() as f64 / under.len().max(1) as f64
}

/// Stray ink per image: output pixels of at least a quarter of full ink with no ink of the
/// real digit within two pixels (specks on the background).
fn stray_ink(images: &[u8], digits: &[u8]) -> f64 {
    let near_ink = |d: &[u8], x: usize, y: usize| {
        (y.saturating_sub(2)..(y + 3).min(SIDE))
            .any(|yy| (x.saturating_sub(2)..(x + 3).min(SIDE)).any(|xx| d[yy * SIDE + xx] >= 64))
    };
    let mut stray = 0usize;
    for (out, d) in images.chunks(PIXELS).zip(digits.chunks(PIXELS)) {
        stray += (0..PIXELS)
            .filter(|&i| out[i] >= 64 && !near_ink(d, i % SIDE, i / SIDE))
            .count();
    }
    stray as f64 / (images.len() / PIXELS).max(1) as f64
}

/// What the ablation's models show matches what the window says of them (the Translate tool's
/// comparison, the *G minimises* hover text), on the 1,000 held-out digits made into inpainting
/// inputs (`translate --held-out`'s inputs): the GAN term alone is the least faithful (the
/// highest L1 to the real digit, the fewest digits the judge names right) and leaves specks
/// (ink far from the digit's strokes); L1 alone fills the holes with more grey than GAN + L1.
/// The figures are in `models/README.md`.
#[test]
fn the_shipped_ablation_models_show_what_each_loss_does() {
    use latent_lab::quality::translation::{INPUT_SEED, held_out_report};
    let data = latent_lab::data::embedded_mnist_static().unwrap();
    let held = data.split_off_last(latent_lab::quality::HELD_OUT).1;
    let digits = &held.pixels[..];
    let mut figures = Vec::new();
    for id in ABLATION {
        let t = shipped_translator(id);
        let mut rng = Rng::derive(INPUT_SEED, "translation.held-out");
        let inputs: Vec<u8> = digits.chunks(PIXELS).flat_map(|d| t.prepare(d, &mut rng)).collect();
        let outputs = t.translate_u8(&inputs).unwrap();
        let r = held_out_report(t.as_ref(), 1000).unwrap();
        assert_eq!(
            r.l1_output,
            paired::l1(&outputs, digits),
            "{id}: not the report's inputs"
        );
        println!(
            "{id}: L1 {:.4}, judged right {:.3}, mid-grey under the holes {:.4} (real digits {:.4}), stray ink {:.2} per digit",
            r.l1_output,
            r.judge_output,
            grey_share(&outputs, &inputs),
            grey_share(digits, &inputs),
            stray_ink(&outputs, digits)
        );
        figures.push((
            r.l1_output,
            r.judge_output,
            grey_share(&outputs, &inputs),
            stray_ink(&outputs, digits),
        ));
    }
    let [both, gan, l1] = figures[..] else {
        unreachable!("three models")
    };
    assert!(
        gan.0 > both.0 && gan.0 > l1.0,
        "GAN alone is not the least faithful: {figures:?}"
    );
    assert!(
        gan.1 < both.1 && gan.1 < l1.1,
        "GAN alone is not judged right least: {figures:?}"
    );
    assert!(
        gan.3 > 5.0 * both.3.max(l1.3),
        "GAN alone leaves no more specks: {figures:?}"
    );
    assert!(
        l1.2 > 1.2 * both.2,
        "L1 alone is no greyer under the holes: {figures:?}"
    );
}
