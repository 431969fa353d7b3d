//! Integration tests: checkpoints round-trip, resume exactly, and refuse bad files clearly.

use candle_core::{DType, Device, Tensor};
use latent_lab::rng::Rng;
use latent_lab::train::checkpoint::{self, Checkpoint, CheckpointError, SaveOptions};

use crate::train::{GANS, mnist, trainer};

fn z(n: usize, l: usize) -> Tensor {
    Tensor::from_vec(Rng::new(42).normal_vec(n * l), (n, l), &Device::Cpu).unwrap()
}

fn to_vec(t: &Tensor) -> Vec<f32> {
    t.flatten_all().unwrap().to_vec1().unwrap()
}

#[test]
fn save_then_load_gives_identical_generator_output() {
    let dir = tempfile::tempdir().unwrap();
    for kind in GANS {
        let mut t = trainer(kind, 10, 8, 3);
        t.iteration().unwrap();
        let path = dir.path().join(format!("{kind}.safetensors"));
        checkpoint::save(&t, &path, SaveOptions::default()).unwrap();
        let ck = Checkpoint::load(&path).unwrap();
        assert_eq!(ck.meta.step, 1);
        assert_eq!(ck.meta.model, t.spec());
        let g = ck
            .seams(Some(kind), &Device::Cpu)
            .unwrap()
            .decoder
            .expect("a GAN has a decoder");
        let before = to_vec(&t.model().decode(&z(5, 10)).expect("a GAN decodes").unwrap());
        let after = to_vec(&g.decode(&z(5, 10)).unwrap());
        assert_eq!(before, after, "{kind}: generator output differs after a round trip");
    }
}

#[test]
fn resume_reproduces_the_next_steps_of_an_uninterrupted_run() {
    let dir = tempfile::tempdir().unwrap();
    for kind in GANS {
        let steps_before = if kind == "dcgan" { 2 } else { 5 };
        let mut a = trainer(kind, 12, 8, 11);
        for _ in 0..steps_before {
            a.iteration().unwrap();
        }
        let path = dir.path().join("run.safetensors");
        checkpoint::save(&a, &path, SaveOptions::default()).unwrap();
        let next_a: Vec<_> = (0..2)
            .map(|_| {
                let m = a.iteration().unwrap();
                (a.step(), m)
            })
            .collect();
        let mut b = Checkpoint::load(&path)
            .unwrap()
            .into_trainer(Some(kind), mnist(), &Device::Cpu)
            .unwrap();
        assert_eq!(b.step(), steps_before);
        let next_b: Vec<_> = (0..2)
            .map(|_| {
                let m = b.iteration().unwrap();
                (b.step(), m)
            })
            .collect();
        assert_eq!(
            next_a, next_b,
            "{kind}: a resumed run diverged from the uninterrupted one"
        );
    }
}

#[test]
fn a_dcgan_checkpoint_loaded_as_mlp_gan_is_refused_clearly() {
    let dir = tempfile::tempdir().unwrap();
    let t = trainer("dcgan", 10, 4, 0);
    let path = dir.path().join("dcgan.safetensors");
    checkpoint::save(&t, &path, SaveOptions::default()).unwrap();
    let e = Checkpoint::load(&path)
        .unwrap()
        .build_model(Some("mlp-gan"), &Device::Cpu)
        .err()
        .expect("a DCGAN checkpoint is refused as an MLP GAN");
    assert!(matches!(e, CheckpointError::WrongModel { .. }), "{e}");
    let msg = e.to_string();
    assert!(
        msg.contains("dcgan.safetensors") && msg.contains("dcgan") && msg.contains("mlp-gan"),
        "{msg}"
    );
}

#[test]
fn a_checkpoint_whose_tensors_do_not_fit_its_model_names_the_tensor() {
    // Write a file whose metadata says "MLP GAN, latent 10" but whose weights have latent 20.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("mixed.safetensors");
    let t = trainer("mlp-gan", 20, 4, 0);
    checkpoint::save(&t, &path, SaveOptions::default()).unwrap();
    let bytes = std::fs::read(&path).unwrap();
    let text = String::from_utf8_lossy(&bytes[..2000.min(bytes.len())]).to_string();
    assert!(
        text.contains("\\\"latent_dim\\\":20"),
        "metadata layout changed: {text}"
    );
    let patched: Vec<u8> = {
        let needle = b"\\\"latent_dim\\\":20";
        let pos = bytes.windows(needle.len()).position(|w| w == needle).unwrap();
        let mut b = bytes.clone();
        b[pos + needle.len() - 2..pos + needle.len()].copy_from_slice(b"10");
        b
    };
    std::fs::write(&path, patched).unwrap();
    let e = Checkpoint::load(&path)
        .unwrap()
        .build_model(None, &Device::Cpu)
        .err()
        .expect("weights of latent 20 do not fit a model of latent 10");
    assert!(matches!(e, CheckpointError::Tensor { .. }), "{e}");
    let msg = e.to_string();
    assert!(
        msg.contains("g.fc1.weight") && msg.contains("[256, 20]") && msg.contains("[256, 10]"),
        "{msg}"
    );
}

#[test]
fn a_truncated_checkpoint_is_refused_clearly() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cut.safetensors");
    checkpoint::save(&trainer("mlp-gan", 10, 4, 0), &path, SaveOptions::default()).unwrap();
    let bytes = std::fs::read(&path).unwrap();
    for keep in [bytes.len() - 1000, 100, 7, 0] {
        std::fs::write(&path, &bytes[..keep]).unwrap();
        let e = Checkpoint::load(&path).unwrap_err();
        assert!(matches!(e, CheckpointError::Corrupt { .. }), "{keep} bytes: {e}");
        assert!(e.to_string().contains("cut.safetensors"), "{e}");
    }
}

#[test]
fn a_foreign_safetensors_file_is_refused_clearly() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("other.safetensors");
    let t = Tensor::zeros((2, 2), DType::F32, &Device::Cpu).unwrap();
    candle_core::safetensors::save(&std::collections::HashMap::from([("w".to_string(), t)]), &path).unwrap();
    let e = Checkpoint::load(&path).unwrap_err();
    assert!(matches!(e, CheckpointError::NotLatentLab { .. }), "{e}");
    assert!(e.to_string().contains("not a Latent Lab checkpoint"), "{e}");
    let e = Checkpoint::load(&dir.path().join("missing.safetensors")).unwrap_err();
    assert!(matches!(e, CheckpointError::Io { .. }), "{e}");
}

#[test]
fn saving_is_atomic_and_leaves_no_temporary_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("a.safetensors");
    let t = trainer("mlp-gan", 10, 4, 0);
    checkpoint::save(&t, &path, SaveOptions::default()).unwrap();
    checkpoint::save(&t, &path, SaveOptions::default()).unwrap();
    let names: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, vec![std::ffi::OsString::from("a.safetensors")]);
    // A save into a folder that does not exist fails with the path and leaves nothing behind.
    let bad = dir.path().join("no-such-dir").join("b.safetensors");
    let e = checkpoint::save(&t, &bad, SaveOptions::default()).unwrap_err();
    assert!(e.to_string().contains("no-such-dir"), "{e}");
}

#[test]
fn f16_weights_only_files_are_small_load_close_and_refuse_resuming() {
    let dir = tempfile::tempdir().unwrap();
    let full = dir.path().join("full.safetensors");
    let half = dir.path().join("half.safetensors");
    let t = trainer("mlp-gan", 10, 4, 0);
    checkpoint::save(&t, &full, SaveOptions::default()).unwrap();
    let opts = SaveOptions {
        dtype: DType::F16,
        include_optimizer: false,
        ..SaveOptions::default()
    };
    checkpoint::save(&t, &half, opts).unwrap();
    let (full_len, half_len) = (
        std::fs::metadata(&full).unwrap().len(),
        std::fs::metadata(&half).unwrap().len(),
    );
    // Two bytes a weight (every network: G, D and G's average) plus the header, against
    // four a weight and four per optimizer moment.
    let model = t.model();
    let weights: u64 = model
        .networks()
        .iter()
        .flat_map(|(_, vars)| vars.all_vars())
        .map(|v| v.elem_count() as u64)
        .sum();
    let moments: u64 = t
        .optimizers()
        .iter()
        .flat_map(|o| o.state_tensors())
        .map(|(_, x)| x.elem_count() as u64)
        .sum();
    assert!(moments > 0, "the full file keeps Adam's moments");
    assert!(
        half_len < 2 * weights + 64 * 1024,
        "f16 weights-only: {half_len} B for {weights} weights"
    );
    assert!(
        full_len >= 4 * (weights + moments),
        "full: {full_len} B for {weights} weights and {moments} moments"
    );
    assert!(
        half_len * 4 < full_len,
        "f16 weights-only {half_len} B vs full {full_len} B"
    );
    let ck = Checkpoint::load(&half).unwrap();
    let a = to_vec(&t.model().decode(&z(3, 10)).expect("a GAN decodes").unwrap());
    let g = ck
        .seams(None, &Device::Cpu)
        .unwrap()
        .decoder
        .expect("a GAN has a decoder");
    let b = to_vec(&g.decode(&z(3, 10)).unwrap());
    let max_diff = a.iter().zip(&b).map(|(x, y)| (x - y).abs()).fold(0.0, f32::max);
    assert!(max_diff < 0.02, "f16 weights change the output by {max_diff}");
    let e = ck.into_trainer(None, mnist(), &Device::Cpu).unwrap_err();
    assert!(matches!(e, CheckpointError::NoOptimizerState { .. }), "{e}");
}

/// Temporary files that interrupted saves left behind (a process killed mid-save) are
/// removed by the next save of the same checkpoint: only this program's pattern, only for
/// processes that are gone, and never another file's or a live process's.
#[test]
fn the_next_save_removes_temporary_files_of_interrupted_saves() {
    let dir = tempfile::tempdir().unwrap();
    let ck = dir.path().join("run.safetensors");
    // A pid that cannot be alive (above Linux's pid_max) and one that is: a sleeping child.
    let dead = dir.path().join(".run.safetensors.4194999.tmp");
    let mut child = std::process::Command::new("sleep").arg("30").spawn().unwrap();
    let live = dir.path().join(format!(".run.safetensors.{}.tmp", child.id()));
    let other = dir.path().join(".other.safetensors.4194999.tmp");
    let mine = dir.path().join("notes.4194999.tmp");
    for f in [&dead, &live, &other, &mine] {
        std::fs::write(f, vec![0u8; 1000]).unwrap();
    }
    let t = trainer("mlp-gan", 8, 4, 0);
    checkpoint::save(&t, &ck, SaveOptions::default()).unwrap();
    let _ = child.kill();
    let _ = child.wait();
    assert!(Checkpoint::load(&ck).is_ok());
    assert!(!dead.exists(), "a dead save's temporary file is still there");
    if std::path::Path::new("/proc/self").exists() {
        assert!(live.exists(), "a live process's temporary file was removed");
    }
    assert!(other.exists() && mine.exists(), "files of other names were touched");
}
