//! Integration tests: the headless command line, run as the real binary.

use std::process::Command;

use latent_lab::latent::recipe::RecipeModel;
use latent_lab::train::checkpoint::{self, SaveOptions};

use crate::train::trainer;

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_latent-lab"))
}

#[test]
fn sample_writes_n_pngs_of_28x28_and_a_grid() {
    let dir = tempfile::tempdir().unwrap();
    let ck = dir.path().join("g.safetensors");
    let mut t = trainer("mlp-gan", 100, 8, 0);
    t.iteration().unwrap();
    checkpoint::save(&t, &ck, SaveOptions::default()).unwrap();
    let out = dir.path().join("samples");
    let status = bin()
        .args(["sample", "--checkpoint"])
        .arg(&ck)
        .args(["--count", "5", "--seed", "3", "--out"])
        .arg(&out)
        .status()
        .unwrap();
    assert!(status.success());
    let mut pngs: Vec<_> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.file_name().unwrap() != "grid.png")
        .collect();
    pngs.sort();
    assert_eq!(pngs.len(), 5);
    let first = image::open(&pngs[0]).unwrap();
    assert_eq!((first.width(), first.height()), (28, 28));
    assert_eq!(first.color(), image::ColorType::L8);
    let grid = image::open(out.join("grid.png")).unwrap();
    assert!(grid.width() >= 3 * 28 && grid.height() >= 2 * 28);
    // Same seed, same images; the sample PNGs hold the generator's output.
    let again = dir.path().join("again");
    assert!(
        bin()
            .args(["sample", "--count", "5", "--seed", "3", "--checkpoint"])
            .arg(&ck)
            .arg("--out")
            .arg(&again)
            .status()
            .unwrap()
            .success()
    );
    assert_eq!(
        std::fs::read(&pngs[4]).unwrap(),
        std::fs::read(again.join("sample-0004.png")).unwrap()
    );
}

#[test]
fn sample_from_a_bad_checkpoint_fails_with_the_file_name() {
    let dir = tempfile::tempdir().unwrap();
    let ck = dir.path().join("broken.safetensors");
    std::fs::write(&ck, b"not a checkpoint at all").unwrap();
    let out = bin()
        .args(["sample", "--checkpoint"])
        .arg(&ck)
        .args(["--out"])
        .arg(dir.path().join("x"))
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("broken.safetensors") && err.contains("corrupt"), "{err}");
}

#[test]
fn train_runs_headless_saves_and_resumes() {
    let dir = tempfile::tempdir().unwrap();
    let ck = dir.path().join("run.safetensors");
    let grid = dir.path().join("grid.png");
    let out = bin()
        .args([
            "train", "--model", "mlp-gan", "--steps", "3", "--batch", "8", "--seed", "5", "--out",
        ])
        .arg(&ck)
        .arg("--grid")
        .arg(&grid)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let meta = latent_lab::train::Checkpoint::load(&ck).unwrap().meta;
    assert_eq!(meta.step, 3);
    assert_eq!(meta.train.seed, 5);
    assert!(image::open(&grid).is_ok());
    let out = bin()
        .args(["train", "--steps", "5", "--resume"])
        .arg(&ck)
        .arg("--out")
        .arg(&ck)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(latent_lab::train::Checkpoint::load(&ck).unwrap().meta.step, 5);
    // Resuming as another model is refused and names the file.
    let out = bin()
        .args(["train", "--model", "dcgan", "--steps", "6", "--resume"])
        .arg(&ck)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("run.safetensors") && err.contains("not a dcgan"), "{err}");
}

#[test]
fn train_on_a_missing_folder_fails_clearly() {
    let out = bin()
        .args(["train", "--steps", "1", "--data", "/definitely/not/here"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("/definitely/not/here"), "{err}");
}

#[test]
fn ctrl_c_saves_a_checkpoint_then_exits() {
    let dir = tempfile::tempdir().unwrap();
    let ck = dir.path().join("interrupted.safetensors");
    let child = bin()
        .args(["train", "--steps", "1000000", "--batch", "8", "--out"])
        .arg(&ck)
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Let it start training, then send SIGINT as a terminal's Ctrl-C would.
    std::thread::sleep(std::time::Duration::from_secs(3));
    assert!(!ck.exists(), "no checkpoint is written before the interrupt");
    let killed = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "an interrupted run exits non-zero");
    assert!(err.contains("interrupted"), "{err}");
    let meta = latent_lab::train::Checkpoint::load(&ck).unwrap().meta;
    assert!(meta.step > 0 && meta.step < 1_000_000, "step {}", meta.step);
}

#[test]
fn sample_decodes_a_z_file_of_plain_numbers_with_a_shipped_model() {
    let dir = tempfile::tempdir().unwrap();
    let z_file = dir.path().join("z.txt");
    std::fs::write(&z_file, "# two points of the 2-D latent plane\n0.5 -1.25\n-2, 2\n").unwrap();
    let out = dir.path().join("out");
    let o = bin()
        .args(["sample", "--pretrained", "dcgan-z2", "--z"])
        .arg(&z_file)
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let model = latent_lab::latent::pretrained::find("dcgan-z2")
        .unwrap()
        .load(&candle_core::Device::Cpu)
        .unwrap();
    let expected = model.decode(&[0.5, -1.25, -2.0, 2.0]).unwrap();
    for (i, want) in expected.chunks(784).enumerate() {
        let got = image::open(out.join(format!("sample-{i:04}.png")))
            .unwrap()
            .to_luma8()
            .into_raw();
        assert_eq!(got, want, "sample {i}");
    }
    assert!(!out.join("sample-0002.png").exists(), "one PNG per line of z");
}

#[test]
fn sample_refuses_z_of_the_wrong_size_or_for_another_model() {
    let dir = tempfile::tempdir().unwrap();
    let z_file = dir.path().join("z.txt");
    std::fs::write(&z_file, "1 2 3\n").unwrap();
    let o = bin()
        .args(["sample", "--pretrained", "dcgan-z2", "--out"])
        .arg(dir.path().join("a"))
        .arg("--z")
        .arg(&z_file)
        .output()
        .unwrap();
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("z.txt") && err.contains("latent size is 2"), "{err}");

    let recipe = latent_lab::latent::recipe::Recipe::new(
        RecipeModel {
            kind: "dcgan".into(),
            latent_dim: 100,
        },
        "pretrained:dcgan",
        0,
        None,
        vec![0.0; 100],
    );
    std::fs::write(&z_file, recipe.to_text()).unwrap();
    let o = bin()
        .args(["sample", "--pretrained", "mlp-gan", "--out"])
        .arg(dir.path().join("b"))
        .arg("--z")
        .arg(&z_file)
        .output()
        .unwrap();
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("z.txt") && err.contains("DCGAN") && err.contains("MLP GAN"),
        "{err}"
    );
}

/// Every recipe line of a z file is checked against the model, not only the first: a
/// DCGAN recipe after an MLP GAN one (both of latent size 100) is refused, naming the line.
#[test]
fn sample_checks_every_recipe_line_of_a_z_file() {
    let dir = tempfile::tempdir().unwrap();
    let z_file = dir.path().join("z.txt");
    let recipe = |kind: &str| {
        latent_lab::latent::recipe::Recipe::new(
            RecipeModel {
                kind: kind.into(),
                latent_dim: 100,
            },
            format!("pretrained:{kind}"),
            0,
            None,
            vec![0.0; 100],
        )
        .to_text()
    };
    std::fs::write(&z_file, format!("{}\n{}\n", recipe("mlp-gan"), recipe("dcgan"))).unwrap();
    let out = dir.path().join("out");
    let o = bin()
        .args(["sample", "--pretrained", "mlp-gan", "--out"])
        .arg(&out)
        .arg("--z")
        .arg(&z_file)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success(), "decoded a DCGAN recipe with the MLP GAN");
    assert!(
        err.contains("z.txt") && err.contains("line 2") && err.contains("DCGAN"),
        "{err}"
    );
    assert!(!out.join("sample-0000.png").exists(), "nothing written");
}

#[test]
fn interpolate_writes_strips_and_there_and_back_animations() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("walk");
    let o = bin()
        .args([
            "interpolate",
            "--pretrained",
            "mlp-gan",
            "--from",
            "3",
            "--to",
            "4",
            "--frames",
            "6",
            "--out",
        ])
        .arg(&out)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let strips = image::open(out.join("interpolation.png")).unwrap();
    // Two rows of six 28×28 frames, 2 px apart, enlarged 4×.
    assert_eq!(
        (strips.width(), strips.height()),
        (4 * (6 * 28 + 7 * 2), 4 * (2 * 28 + 3 * 2))
    );
    for name in ["linear.gif", "spherical.gif"] {
        let file = std::io::BufReader::new(std::fs::File::open(out.join(name)).unwrap());
        let decoder = image::codecs::gif::GifDecoder::new(file).unwrap();
        let frames = image::AnimationDecoder::into_frames(decoder).collect_frames().unwrap();
        assert_eq!(frames.len(), 10, "{name}: 6 frames there and 4 back");
    }
    let err = bin()
        .args(["interpolate", "--pretrained", "nope", "--out"])
        .arg(&out)
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&err.stderr).contains(
        "no shipped model 'nope' (there are: mlp-gan, dcgan, dcgan-z2, ae, ae-z2, vae, vae-z2, cgan, infogan, pixelcnn, pix2pix-inpaint, pix2pix-superres, pix2pix-inpaint-gan, pix2pix-inpaint-l1, cyclegan-thin-thick)"
    ));
}

#[test]
fn resuming_keeps_the_runs_model_and_hyperparameters_unless_told_otherwise() {
    let dir = tempfile::tempdir().unwrap();
    let ck = dir.path().join("run.safetensors");
    let run = |args: &[&str]| {
        let o = bin().arg("train").args(args).arg("--out").arg(&ck).output().unwrap();
        (o.status.success(), String::from_utf8_lossy(&o.stderr).into_owned())
    };
    let meta = || latent_lab::train::Checkpoint::load(&ck).unwrap().meta;
    let (ok, err) = run(&[
        "--model", "dcgan", "--latent", "3", "--batch", "4", "--lr-d", "5e-5", "--steps", "1", "--seed", "9",
    ]);
    assert!(ok, "{err}");
    // No --model, no --lr-d: the checkpoint's DCGAN and its D learning rate carry on.
    let path = ck.to_str().unwrap();
    let (ok, err) = run(&["--resume", path, "--steps", "2"]);
    assert!(ok, "{err}");
    let m = meta();
    assert_eq!(
        (m.step, m.model.family.as_str(), m.model.latent_dim()),
        (2, "dcgan", Some(3))
    );
    assert_eq!(
        (m.train.optimizers["d"].lr, m.train.batch_size, m.train.seed),
        (5e-5, 4, 9)
    );
    // A new learning rate given on resume takes over.
    let (ok, err) = run(&["--resume", path, "--steps", "3", "--lr-g", "1e-3"]);
    assert!(ok, "{err}");
    let train = meta().train;
    assert_eq!((train.optimizers["g"].lr, train.optimizers["d"].lr), (1e-3, 5e-5));
    // Contradicting the checkpoint's architecture or seed is refused, naming the file.
    let (ok, err) = run(&["--resume", path, "--steps", "4", "--latent", "5"]);
    assert!(
        !ok && err.contains("run.safetensors") && err.contains("latent size is 3"),
        "{err}"
    );
    let (ok, err) = run(&["--resume", path, "--steps", "4", "--seed", "1"]);
    assert!(!ok && err.contains("seed 9"), "{err}");
    let (ok, err) = run(&["--resume", path, "--steps", "4", "--model", "mlp-gan"]);
    assert!(!ok && err.contains("dcgan") && err.contains("mlp-gan"), "{err}");
    assert_eq!(meta().step, 3, "refused runs leave the checkpoint alone");
}

#[test]
fn encode_prints_each_images_code_as_a_recipe_that_sample_decodes() {
    let dir = tempfile::tempdir().unwrap();
    let mnist = crate::train::mnist();
    let png = dir.path().join("digit.png");
    latent_lab::export::save_png(&latent_lab::export::to_image(mnist.image(9500), 28), &png).unwrap();
    let out = bin()
        .args(["encode", "--pretrained", "vae", "--image"])
        .arg(&png)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let line = String::from_utf8(out.stdout).unwrap();
    let recipe = latent_lab::latent::recipe::Recipe::parse(line.trim()).expect("a recipe");
    assert_eq!(recipe.model.kind, "conv-vae");
    assert_eq!(recipe.z.len(), 16);
    assert_eq!(recipe.source, "pretrained:vae");
    // The same z as the library's encoder gives for the same pixels.
    let model = latent_lab::latent::pretrained::find("vae")
        .unwrap()
        .load(&candle_core::Device::Cpu)
        .unwrap();
    assert_eq!(model.encode_images(mnist.image(9500)).unwrap().unwrap(), recipe.z);
    // `sample --z` decodes it (a recipe of a shipped model needs no model option).
    let zfile = dir.path().join("z.txt");
    std::fs::write(&zfile, &line).unwrap();
    let samples = dir.path().join("s");
    let status = bin()
        .args(["sample", "--z"])
        .arg(&zfile)
        .arg("--out")
        .arg(&samples)
        .status()
        .unwrap();
    assert!(status.success());
    assert!(samples.join("sample-0000.png").is_file());
    // A GAN has no encoder: a clear refusal.
    let out = bin()
        .args(["encode", "--pretrained", "mlp-gan", "--image"])
        .arg(&png)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("the MLP GAN has no encoder"), "{err}");
}

#[test]
fn train_refuses_options_that_do_not_apply_to_the_model() {
    let dir = tempfile::tempdir().unwrap();
    let out = bin()
        .args(["train", "--model", "vae", "--k", "2", "--steps", "1", "--out"])
        .arg(dir.path().join("x.safetensors"))
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("--k does not apply to the VAE (its model options: --latent, --beta, --kl-warmup)"),
        "{err}"
    );
    assert!(
        !dir.path().join("x.safetensors").exists(),
        "nothing is written for a refused run"
    );
    // And one that applies trains: a VAE with a KL warm-up, headless.
    let ck = dir.path().join("vae.safetensors");
    let status = bin()
        .args([
            "train",
            "--model",
            "vae",
            "--latent",
            "3",
            "--kl-warmup",
            "50",
            "--batch",
            "8",
            "--steps",
            "3",
            "--out",
        ])
        .arg(&ck)
        .status()
        .unwrap();
    assert!(status.success());
    let meta = checkpoint::Checkpoint::load(&ck).unwrap().meta;
    assert_eq!(meta.model.family, "vae");
    assert_eq!(meta.model.config["kl_warmup"], 50);
    assert_eq!(meta.step, 3);
}

#[test]
fn score_judges_a_shipped_model_and_a_folder_of_images() {
    let out = bin()
        .args(["score", "--pretrained", "mlp-gan", "--count", "300", "--json"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(json["judge_held_out_accuracy"].as_f64().unwrap() >= 0.98);
    let q = &json["rows"][0]["quality"];
    assert_eq!(json["rows"][0]["source"], "pretrained:mlp-gan");
    assert_eq!(q["count"], 300);
    assert!(q["recognisable"].as_f64().unwrap() > 0.5, "{q}");
    assert!(q["classes"].as_u64().unwrap() >= 8, "{q}");
    assert!(
        q["frechet"].as_f64().unwrap() > q["real_frechet"].as_f64().unwrap(),
        "{q}"
    );

    // A folder of real digits as PNGs scores as real digits.
    let dir = tempfile::tempdir().unwrap();
    let data = crate::train::mnist();
    for i in 0..40 {
        let img = image::GrayImage::from_raw(28, 28, data.image(i).to_vec()).unwrap();
        img.save(dir.path().join(format!("{i:03}.png"))).unwrap();
    }
    let out = bin().arg("score").arg(dir.path()).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("n 40"), "{text}");
    let recognisable: f32 = text
        .split("recognisable ")
        .nth(1)
        .and_then(|s| s.split_whitespace().next())
        .and_then(|s| s.parse().ok())
        .unwrap_or(0.0);
    assert!(recognisable >= 0.9, "{text}");

    // Too few samples: refused before any work.
    let out = bin()
        .args(["score", "--pretrained", "mlp-gan", "--count", "1"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--count 1 is out of range"));
}

/// Where `train` will write is checked before the first step (a missing folder is made; one
/// that cannot be made or written fails at once), and an existing checkpoint that is not
/// the one being resumed is never replaced without `--force`.
#[test]
fn train_checks_where_it_writes_before_training_and_never_overwrites_unasked() {
    let dir = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| {
        let o = bin().arg("train").args(["--batch", "8"]).args(args).output().unwrap();
        (o.status.success(), String::from_utf8_lossy(&o.stderr).into_owned())
    };
    // A "folder" that is a file: refused before training (a million steps would take minutes).
    let blocker = dir.path().join("not-a-folder");
    std::fs::write(&blocker, b"x").unwrap();
    let bad = blocker.join("run.safetensors");
    let started = std::time::Instant::now();
    let (ok, err) = run(&["--steps", "1000000", "--out", bad.to_str().unwrap()]);
    assert!(!ok, "{err}");
    assert!(started.elapsed().as_secs() < 30, "it trained before failing");
    assert!(
        err.contains("not-a-folder") && err.contains("nothing was trained"),
        "{err}"
    );
    // A folder that does not exist yet is made.
    let out = dir.path().join("new").join("deeper").join("run.safetensors");
    let path = out.to_str().unwrap();
    let (ok, err) = run(&["--steps", "2", "--out", path]);
    assert!(ok, "{err}");
    let before = std::fs::read(&out).unwrap();
    // Training afresh over it is refused, the file untouched.
    let (ok, err) = run(&["--steps", "3", "--out", path]);
    assert!(
        !ok && err.contains("already exists") && err.contains("--force"),
        "{err}"
    );
    assert_eq!(std::fs::read(&out).unwrap(), before, "the checkpoint was replaced");
    // Resuming it in place needs no --force; --force replaces.
    let (ok, err) = run(&["--resume", path, "--steps", "3", "--out", path]);
    assert!(ok, "{err}");
    assert_eq!(latent_lab::train::Checkpoint::load(&out).unwrap().meta.step, 3);
    let (ok, err) = run(&["--steps", "1", "--out", path, "--force"]);
    assert!(ok, "{err}");
    assert_eq!(latent_lab::train::Checkpoint::load(&out).unwrap().meta.step, 1);
    // The same holds for the sample grid.
    let grid = dir.path().join("grid.png");
    std::fs::write(&grid, b"keep").unwrap();
    let other = dir.path().join("other.safetensors");
    let (ok, err) = run(&[
        "--steps",
        "1",
        "--out",
        other.to_str().unwrap(),
        "--grid",
        grid.to_str().unwrap(),
    ]);
    assert!(!ok && err.contains("grid.png") && err.contains("--force"), "{err}");
    assert!(!other.exists(), "nothing is written when a check fails");
}

/// A fault is named once: no cause repeated after itself.
#[test]
fn errors_say_each_cause_once() {
    let missing = std::env::temp_dir().join("latent-lab-no-such-folder-31337");
    for args in [
        vec!["score".to_string(), missing.display().to_string()],
        vec![
            "train".to_string(),
            "--data".to_string(),
            missing.display().to_string(),
            "--steps".to_string(),
            "1".to_string(),
        ],
    ] {
        let o = bin().args(&args).output().unwrap();
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(!o.status.success());
        assert!(err.contains("latent-lab-no-such-folder-31337"), "{err}");
        assert_eq!(err.matches("os error 2").count(), 1, "{args:?}: {err}");
    }
}

/// `--resume` without `--data` trains on the run's own data (a folder it recorded, and the
/// same held-out split), says so, and does not fall back to the embedded digits.
#[test]
fn resuming_keeps_the_runs_data_and_its_held_out_split() {
    let dir = tempfile::tempdir().unwrap();
    // A folder of 40 PNG digits in two class folders.
    let data = dir.path().join("my digits");
    let mnist = crate::train::mnist();
    for class in ["a", "b"] {
        std::fs::create_dir_all(data.join(class)).unwrap();
    }
    for i in 0..40 {
        let img = image::GrayImage::from_raw(28, 28, mnist.image(i).to_vec()).unwrap();
        img.save(
            data.join(if i % 2 == 0 { "a" } else { "b" })
                .join(format!("{i:02}.png")),
        )
        .unwrap();
    }
    let ck = dir.path().join("run.safetensors");
    let path = ck.to_str().unwrap();
    let run = |args: &[&str]| {
        let o = bin().arg("train").args(["--batch", "4"]).args(args).output().unwrap();
        (o.status.success(), String::from_utf8_lossy(&o.stderr).into_owned())
    };
    let (ok, err) = run(&[
        "--data",
        data.to_str().unwrap(),
        "--hold-out",
        "10",
        "--steps",
        "1",
        "--out",
        path,
    ]);
    assert!(ok, "{err}");
    let first = latent_lab::train::Checkpoint::load(&ck).unwrap().meta;
    assert_eq!(first.hold_out, 10);
    let (ok, err) = run(&["--resume", path, "--steps", "2", "--out", path]);
    assert!(ok, "{err}");
    assert!(err.contains("my digits") && err.contains("30 images"), "{err}");
    let m = latent_lab::train::Checkpoint::load(&ck).unwrap().meta;
    assert_eq!(
        (m.step, m.dataset.as_str(), m.hold_out),
        (2, first.dataset.as_str(), 10)
    );
    assert!(!m.dataset.contains("embedded"), "{}", m.dataset);
    // The folder gone: refused, naming it, not silently the embedded digits.
    std::fs::rename(&data, dir.path().join("moved")).unwrap();
    let (ok, err) = run(&["--resume", path, "--steps", "3", "--out", path]);
    assert!(!ok && err.contains("my digits") && err.contains("--data"), "{err}");
}

/// A run that runs away (Adam at learning rate 10: the G loss reaches ~1e11 with finite
/// values, never NaN) is warned about, fails, and saves the last good state — not the
/// diverged weights, and not as a success.
#[test]
fn a_run_that_runs_away_saves_its_last_good_state_and_fails() {
    let dir = tempfile::tempdir().unwrap();
    let ck = dir.path().join("run.safetensors");
    let o = bin()
        .args(["train", "--batch", "16", "--lr", "10", "--steps", "300", "--out"])
        .arg(&ck)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success(), "a run-away run must not end as a success: {err}");
    assert!(err.contains("running away"), "no warning while it ran away: {err}");
    assert!(err.contains("saved the last good state"), "{err}");
    let ck = latent_lab::train::Checkpoint::load(&ck).unwrap();
    assert!(ck.meta.step < 300, "the saved state is from before it ran away");
    let model = ck.build_model(None, &candle_core::Device::Cpu).unwrap();
    for (net, map) in model.networks() {
        for (name, v) in latent_lab::nets::sorted_vars(map) {
            let w = v.as_tensor().flatten_all().unwrap().to_vec1::<f32>().unwrap();
            let max = w.iter().fold(0.0f32, |m, x| m.max(x.abs()));
            assert!(max.is_finite() && max < 100.0, "{net}.{name}: max |w| {max}");
        }
    }
}

/// `bench` trains and decodes every family, the conditional ones with their class and codes
/// after z (it once decoded z alone and failed on the cGAN's 110 inputs).
#[test]
fn bench_runs_every_family_and_decodes_its_samples() {
    let o = bin()
        .args(["bench", "--seconds", "0.05", "--batch", "4", "--threads", "1"])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let report: serde_json::Value = serde_json::from_slice(&o.stdout).expect("one JSON object");
    let results = report["results"].as_array().expect("results");
    for f in latent_lab::family::ALL {
        let r = results
            .iter()
            .find(|r| r["model"] == f.id())
            .unwrap_or_else(|| panic!("no result for {}", f.id()));
        assert!(r["steps_per_s"].as_f64().unwrap() > 0.0, "{}", f.id());
        assert!(r["decode_64_ms"].as_f64().is_some(), "{}: no decode timing", f.id());
    }
}

/// `bench --set` times the step of the settings asked for (the paper's MLP GAN step, to
/// compare with the PyTorch reference), says them in its report, and refuses bad ones.
#[test]
fn bench_times_the_settings_it_is_given() {
    let run = |set: &[&str]| {
        let mut args = vec![
            "bench",
            "--seconds",
            "0.05",
            "--batch",
            "4",
            "--threads",
            "1",
            "--no-decode",
        ];
        args.extend(["--model", "mlp-gan"]);
        for s in set {
            args.extend(["--set", s]);
        }
        bin().args(&args).output().unwrap()
    };
    let o = run(&["reuse_fakes=false", "ema=0"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let report: serde_json::Value = serde_json::from_slice(&o.stdout).expect("one JSON object");
    let settings = &report["results"][0]["settings"];
    assert_eq!(settings["reuse_fakes"], serde_json::json!(false), "{report}");
    assert_eq!(settings["ema"].as_f64(), Some(0.0), "{report}");
    let o = run(&[]);
    let report: serde_json::Value = serde_json::from_slice(&o.stdout).expect("one JSON object");
    assert_eq!(report["results"][0]["settings"]["reuse_fakes"], serde_json::json!(true));
    let o = run(&["ema=2"]);
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("ema = 2 is out of range"), "{err}");
}

/// kill -9 at random moments of a run that saves after every step (so most kills land in
/// a save): after each kill the checkpoint on disk still loads, and after the next start
/// completes no temporary file of an interrupted save is left beside it.
#[test]
fn kill_9_during_saves_leaves_a_loadable_checkpoint_and_no_temp_files() {
    let dir = tempfile::tempdir().unwrap();
    let ck = dir.path().join("run.safetensors");
    let mut rng = latent_lab::rng::Rng::new(7);
    let mut kills = 0;
    for round in 0..6 {
        let mut cmd = bin();
        cmd.args([
            "train",
            "--steps",
            "100000",
            "--save-every",
            "1",
            "--threads",
            "1",
            "--out",
        ])
        .arg(&ck)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null());
        if ck.exists() {
            cmd.arg("--resume").arg(&ck);
        }
        let mut child = cmd.spawn().unwrap();
        // Wait for the first save of this round, then a random moment more.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
        while !ck.exists() && std::time::Instant::now() < deadline {
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        std::thread::sleep(std::time::Duration::from_millis(200 + (rng.uniform() * 600.0) as u64));
        let killed = Command::new("kill")
            .args(["-9", &child.id().to_string()])
            .status()
            .unwrap();
        assert!(killed.success());
        let _ = child.wait();
        kills += 1;
        let meta = latent_lab::train::Checkpoint::load(&ck)
            .unwrap_or_else(|e| panic!("round {round}: the checkpoint does not load after kill -9: {e}"))
            .meta;
        assert!(meta.step > 0, "round {round}");
    }
    let temps_of = |d: &std::path::Path| -> Vec<String> {
        std::fs::read_dir(d)
            .unwrap()
            .filter_map(|e| e.ok())
            .map(|e| e.file_name().to_string_lossy().to_string())
            .filter(|n| n.ends_with(".tmp"))
            .collect()
    };
    // (Each start removes what earlier kills left, so at most the last kill's is here.)
    eprintln!("after {kills} kills: {:?}", temps_of(dir.path()));
    // A run that completes cleans up what the killed ones left.
    let step = latent_lab::train::Checkpoint::load(&ck).unwrap().meta.step;
    let o = bin()
        .args(["train", "--threads", "1", "--steps"])
        .arg((step + 3).to_string())
        .arg("--resume")
        .arg(&ck)
        .arg("--out")
        .arg(&ck)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let temps = temps_of(dir.path());
    assert!(temps.is_empty(), "left after {kills} kills: {temps:?}");
    assert_eq!(latent_lab::train::Checkpoint::load(&ck).unwrap().meta.step, step + 3);
}

/// `train` keeps the charts' history in its checkpoint (so the window opens a command-line
/// run with its charts), goes on from it on `--resume`, and leaves it out of weights-only
/// `--f16` files.
#[test]
fn train_keeps_the_charts_history_and_resume_goes_on_from_it() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("h.safetensors");
    let train = |extra: &[&str], out: &std::path::Path| {
        let o = bin()
            .args(["train", "--model", "ae", "--batch", "8", "--out"])
            .arg(out)
            .args(extra)
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        checkpoint::Checkpoint::load(out).unwrap()
    };
    let ck = train(&["--steps", "12"], &out);
    let h = ck.meta.history.expect("a history");
    let family = latent_lab::family::find("ae").unwrap();
    let keys: Vec<&str> = family.metrics().iter().map(|m| m.key).collect();
    let points = h.points_for(&keys, 12).expect("the history fits the run");
    assert_eq!(
        points.iter().map(|p| p.0).collect::<Vec<_>>(),
        (1..=12).collect::<Vec<_>>()
    );
    assert!(points.iter().all(|p| p.1[0].is_finite()), "every step has its loss");
    let ck = train(&["--resume", out.to_str().unwrap(), "--steps", "20", "--force"], &out);
    let points = ck.meta.history.unwrap().points_for(&keys, 20).unwrap();
    assert_eq!(points.len(), 20);
    assert_eq!(points[11].0, 12);
    let f16 = dir.path().join("w.safetensors");
    let ck = train(&["--resume", out.to_str().unwrap(), "--steps", "20", "--f16"], &f16);
    assert!(ck.meta.history.is_none(), "a weights-only file keeps a history");
}

/// Past its limit the history merges neighbours: fewer points, the latest step kept, and a
/// metric measured every 25 steps keeps every one of its values.
#[test]
fn a_long_history_is_thinned_without_losing_sparse_metrics() {
    use latent_lab::train::checkpoint::{ChartHistory, TRAIN_HISTORY_POINTS};
    let family = latent_lab::family::find("pixelcnn").unwrap();
    let mut h = ChartHistory::of(family);
    let n = family.metrics().len();
    let steps = 3 * TRAIN_HISTORY_POINTS as u64;
    let mut sparse = 0;
    for s in 1..=steps {
        let mut v = vec![s as f32; n];
        if s % 25 != 0 {
            v[n - 1] = f32::NAN;
        } else {
            sparse += 1;
        }
        h.push(s, &v);
    }
    assert!(h.points.len() <= TRAIN_HISTORY_POINTS && h.points.len() > TRAIN_HISTORY_POINTS / 4);
    assert_eq!(h.points.last().unwrap().0, steps);
    let kept = h.points.iter().filter(|p| p.1[n - 1].is_some()).count();
    // Fewer than 25 steps merged into any one point, so at most one of them measured: none lost.
    assert_eq!(kept, sparse, "sparse values kept");
    h.truncate_after(100);
    assert!(h.points.iter().all(|p| p.0 <= 100) && !h.points.is_empty());
}

/// `train --log` writes the run's metrics, one line a step, exactly as the checkpoint's charts
/// keep them; an existing log is refused before training unless `--force` is given.
#[test]
fn train_log_writes_each_steps_metrics_as_csv() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("l.safetensors");
    let log = dir.path().join("steps.csv");
    let o = bin()
        .args(["train", "--model", "mlp-gan", "--batch", "8", "--steps", "7", "--out"])
        .arg(&out)
        .arg("--log")
        .arg(&log)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let family = latent_lab::family::find("mlp-gan").unwrap();
    let keys: Vec<&str> = family.metrics().iter().map(|m| m.key).collect();
    let text = std::fs::read_to_string(&log).unwrap();
    let mut lines = text.lines();
    assert_eq!(lines.next().unwrap(), format!("step,{}", keys.join(",")));
    let rows: Vec<Vec<&str>> = lines.map(|l| l.split(',').collect()).collect();
    assert_eq!(rows.len(), 7);
    let history = checkpoint::Checkpoint::load(&out).unwrap().meta.history.unwrap();
    let points = history.points_for(&keys, 7).unwrap();
    for (row, (step, values)) in rows.iter().zip(&points) {
        assert_eq!(row.len(), keys.len() + 1);
        assert_eq!(row[0], step.to_string());
        for (cell, v) in row[1..].iter().zip(values) {
            if v.is_nan() {
                assert_eq!(*cell, "", "step {step}: an unmeasured metric is empty");
            } else {
                assert_eq!(cell.parse::<f32>().unwrap().to_bits(), v.to_bits(), "step {step}");
            }
        }
    }
    assert!(
        rows.iter().all(|r| r[1].parse::<f32>().is_ok()),
        "every step has D's loss"
    );
    // An existing log is not overwritten unasked, and nothing is trained.
    let again = dir.path().join("again.safetensors");
    let o = bin()
        .args(["train", "--model", "mlp-gan", "--batch", "8", "--steps", "2", "--out"])
        .arg(&again)
        .arg("--log")
        .arg(&log)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        !o.status.success() && err.contains("--log") && err.contains("already exists"),
        "{err}"
    );
    assert!(!again.exists());
    assert_eq!(std::fs::read_to_string(&log).unwrap(), text);
}

/// `--device` (and LATENT_LAB_DEVICE): the CPU always runs; a GPU this build lacks, or an
/// unknown name, is refused with one line that says what is missing, before anything is written.
#[test]
fn device_choice_runs_on_the_cpu_and_names_what_a_build_lacks() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("d.safetensors");
    let train = |device: &[&str], env: Option<&str>| {
        let mut c = bin();
        c.args(device)
            .args([
                "train", "--model", "ae", "--batch", "8", "--steps", "2", "--force", "--out",
            ])
            .arg(&out)
            .env_remove("LATENT_LAB_DEVICE");
        if let Some(v) = env {
            c.env("LATENT_LAB_DEVICE", v);
        }
        c.output().unwrap()
    };
    let o = train(&["--device", "cpu"], None);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(String::from_utf8_lossy(&o.stderr).contains("with CPU"));
    std::fs::remove_file(&out).unwrap();
    if !cfg!(feature = "cuda") {
        let o = train(&["--device", "cuda"], None);
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(!o.status.success(), "{err}");
        assert!(
            err.contains("--device cuda: this build has no CUDA support") && err.contains("scripts/build_cuda.sh"),
            "{err}"
        );
        assert_eq!(err.trim().lines().count(), 1, "{err}");
        assert!(!out.exists(), "nothing is trained on a refused device");
        // The global option goes after the subcommand too.
        let o = bin()
            .args([
                "bench",
                "--model",
                "ae",
                "--batch",
                "8",
                "--seconds",
                "0.1",
                "--device",
                "cuda",
            ])
            .output()
            .unwrap();
        assert!(!o.status.success());
        assert!(String::from_utf8_lossy(&o.stderr).contains("no CUDA support"));
    }
    if !cfg!(feature = "metal") {
        let o = train(&[], Some("metal"));
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(
            !o.status.success() && err.contains("LATENT_LAB_DEVICE metal: this build has no Metal support"),
            "{err}"
        );
        assert!(!out.exists());
    }
    let o = train(&["--device", "tpu"], None);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success() && err.contains("unknown device 'tpu'"), "{err}");
    let o = train(&[], Some("gpu"));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        !o.status.success() && err.contains("LATENT_LAB_DEVICE: unknown device 'gpu'"),
        "{err}"
    );
    assert!(!out.exists());
    // The variable is read when no option is given; the option wins over it.
    let o = train(&["--device", "cpu"], Some("cuda"));
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
}

#[test]
fn gan_options_are_refused_for_other_models_and_read_for_gans() {
    let dir = tempfile::tempdir().unwrap();
    let out = bin()
        .args(["train", "--model", "ae", "--real-label", "0.9", "--steps", "1", "--out"])
        .arg(dir.path().join("x.safetensors"))
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("--real-label does not apply to the"), "{err}");
    // On a GAN they land in the checkpoint's settings.
    let ck = dir.path().join("gan.safetensors");
    let status = bin()
        .args([
            "train",
            "--model",
            "mlp-gan",
            "--latent",
            "8",
            "--batch",
            "4",
            "--real-label",
            "0.9",
            "--reuse-fakes",
            "true",
            "--steps",
            "2",
            "--out",
        ])
        .arg(&ck)
        .status()
        .unwrap();
    assert!(status.success());
    let c = checkpoint::Checkpoint::load(&ck).unwrap();
    let settings = &c.meta.model.config;
    assert_eq!(settings["reuse_fakes"], serde_json::json!(true), "{settings}");
    assert!(
        (settings["real_label"].as_f64().unwrap() - 0.9).abs() < 1e-6,
        "{settings}"
    );
    // The DCGAN's fully connected layers: the DCGAN's option alone.
    let out = bin()
        .args(["train", "--model", "mlp-gan", "--fc", "256", "--steps", "1", "--out"])
        .arg(dir.path().join("y.safetensors"))
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success() && err.contains("--fc does not apply to the MLP GAN"),
        "{err}"
    );
    let ck = dir.path().join("dcgan.safetensors");
    let status = bin()
        .args([
            "train", "--model", "dcgan", "--fc", "16", "--latent", "4", "--batch", "4", "--steps", "1", "--out",
        ])
        .arg(&ck)
        .status()
        .unwrap();
    assert!(status.success());
    let c = checkpoint::Checkpoint::load(&ck).unwrap();
    assert_eq!(
        c.meta.model.config["fc_units"],
        serde_json::json!(16),
        "{}",
        c.meta.model.config
    );
}

#[test]
fn time_to_digits_judges_on_schedule_and_refuses_unknown_settings() {
    let out = bin()
        .args([
            "bench",
            "--time-to-digits",
            "--model",
            "mlp-gan",
            "--limit",
            "1.5",
            "--judge-every",
            "0.5",
            "--to-limit",
            "--threads",
            "1",
        ])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let report = &json["time_to_digits"][0]["report"];
    assert_eq!(report["model"], "mlp-gan");
    let points = report["points"].as_array().unwrap();
    assert_eq!(points.len(), 3, "judged at 0.5, 1.0 and 1.5 s: {report}");
    let seconds: Vec<f64> = points.iter().map(|p| p["seconds"].as_f64().unwrap()).collect();
    assert!(
        seconds.windows(2).all(|w| w[0] < w[1]) && seconds[0] >= 0.5,
        "{seconds:?}"
    );
    // A second and a half of training is far from digits: the line says so.
    assert!(report["reached"].is_null(), "{report}");
    assert!(err.contains("mlp-gan (batch 64): not 0.8 within"), "{err}");
    let out = bin()
        .args([
            "bench",
            "--time-to-digits",
            "--model",
            "dcgan",
            "--set",
            "smoothing=0.9",
        ])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("the dcgan has no setting 'smoothing'"), "{err}");
}
