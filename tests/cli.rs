//! Integration tests: the headless command line, run as the real binary.

use std::process::Command;

use latent_lab::nets::ModelKind;
use latent_lab::train::checkpoint::{self, SaveOptions};

use crate::train::trainer;

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_latent-lab"))
}

#[test]
fn sample_writes_n_pngs_of_28x28_and_a_grid() {
    let dir = tempfile::tempdir().unwrap();
    let ck = dir.path().join("g.safetensors");
    let mut t = trainer(ModelKind::MlpGan, 100, 8, 0);
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
