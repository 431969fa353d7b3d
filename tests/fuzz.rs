//! Integration tests: bounded fuzzing of the parsers of files a user can hand the app —
//! IDX images and labels (raw and gzip), checkpoints (safetensors with Latent Lab metadata)
//! and recipes. Each starts from a valid input and applies random mutations (byte flips,
//! truncation, overwritten size fields, huge declared values), seeded so a failure is
//! reproducible. Every parse must return a value or an error — never panic — and what an
//! IDX parse returns must be justified by the input's size.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::Path;

use latent_lab::data::idx::{encode_idx_images, encode_idx_labels, gzip_bytes, parse_idx_images, parse_idx_labels};
use latent_lab::latent::recipe::{Recipe, RecipeModel, parse_z_text};
use latent_lab::rng::Rng;
use latent_lab::train::Checkpoint;
use latent_lab::train::checkpoint::{self, SaveOptions};

/// Mutations per parser (a few seconds in the dev profile).
const ROUNDS: usize = 600;

/// A random mutation of `input`.
fn mutate(input: &[u8], rng: &mut Rng) -> Vec<u8> {
    let mut b = input.to_vec();
    match rng.below(6) {
        // A few random bytes.
        0 => {
            for _ in 0..1 + rng.below(8) {
                if !b.is_empty() {
                    let i = rng.below(b.len());
                    b[i] = rng.below(256) as u8;
                }
            }
        }
        // Cut short.
        1 => b.truncate(rng.below(b.len().max(1))),
        // A header field (the first 16 bytes hold IDX dims, the first 8 the safetensors
        // header length) set to a random or an extreme big-endian / little-endian value.
        2 => {
            if b.len() >= 16 {
                let at = 4 * rng.below(4);
                let v: u32 = [u32::MAX, 1 << 31, 0, rng.below(1 << 20) as u32][rng.below(4)];
                b[at..at + 4].copy_from_slice(&v.to_be_bytes());
            }
        }
        3 => {
            if b.len() >= 8 {
                let v: u64 = [u64::MAX, 1 << 40, 0, rng.below(1 << 24) as u64][rng.below(4)];
                b[..8].copy_from_slice(&v.to_le_bytes());
            }
        }
        // Junk appended.
        4 => b.extend((0..rng.below(64)).map(|_| rng.below(256) as u8)),
        // A byte range duplicated in place (shifts everything after it).
        _ => {
            if b.len() > 2 {
                let i = rng.below(b.len() - 1);
                let n = 1 + rng.below((b.len() - i).min(32));
                let chunk = b[i..i + n].to_vec();
                b.splice(i..i, chunk);
            }
        }
    }
    b
}

fn no_panic<T>(what: &str, round: usize, f: impl FnOnce() -> T) -> T {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(v) => v,
        Err(_) => panic!("{what}: round {round} panicked (seed-reproducible)"),
    }
}

#[test]
fn idx_parsers_never_panic_and_never_return_more_than_the_input_holds() {
    let pixels: Vec<u8> = (0..8 * 28 * 28).map(|i| (i % 251) as u8).collect();
    let images = encode_idx_images(28, 28, &pixels).unwrap();
    let labels = encode_idx_labels(&[0, 1, 2, 3, 4, 5, 6, 7]).unwrap();
    let name = Path::new("fuzz.idx");
    let mut rng = Rng::new(11);
    let (mut ok, mut refused) = (0, 0);
    for round in 0..ROUNDS {
        let raw = mutate(&images, &mut rng);
        match no_panic("IDX images", round, || parse_idx_images(&raw, name)) {
            Ok(img) => {
                ok += 1;
                assert!(img.pixels.len() <= raw.len(), "round {round}: more pixels than bytes");
                assert_eq!(img.pixels.len(), img.count * img.width * img.height);
            }
            Err(e) => {
                refused += 1;
                assert!(e.to_string().contains("fuzz.idx"), "the error names the file: {e}");
            }
        }
        let gz = mutate(&gzip_bytes(&images), &mut rng);
        let _ = no_panic("gzip IDX images", round, || parse_idx_images(&gz, name));
        let l = mutate(&labels, &mut rng);
        if let Ok(v) = no_panic("IDX labels", round, || parse_idx_labels(&l, name)) {
            assert!(v.len() <= l.len());
        }
    }
    assert!(
        ok > 0 && refused > 0,
        "the mutations hit both sides: {ok} parsed, {refused} refused"
    );
}

#[test]
fn checkpoint_parser_never_panics() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ck.safetensors");
    let t = crate::train::trainer("mlp-gan", 4, 8, 0);
    checkpoint::save(&t, &path, SaveOptions::default()).unwrap();
    let bytes = std::fs::read(&path).unwrap();
    Checkpoint::from_bytes(&bytes, &path).expect("the unmutated file loads");
    let mut rng = Rng::new(12);
    let mut refused = 0;
    for round in 0..ROUNDS {
        let mut b = mutate(&bytes, &mut rng);
        // Aim most mutations at the header (length and JSON), where the declarations are.
        if rng.below(2) == 0 && b.len() > 64 {
            let header_end = 8 + u64::from_le_bytes(bytes[..8].try_into().unwrap()) as usize;
            let i = 8 + rng.below(header_end.min(b.len()) - 8);
            b[i] = b"0123456789{}[]\",:-e9"[rng.below(20)];
        }
        match no_panic("checkpoint", round, || Checkpoint::from_bytes(&b, &path)) {
            Ok(c) => {
                // What parses must still be checked when it is used.
                let _ = no_panic("checkpoint into a trainer", round, || {
                    c.into_trainer(None, crate::train::mnist(), &candle_core::Device::Cpu)
                });
            }
            Err(e) => {
                refused += 1;
                assert!(
                    e.to_string().contains("ck.safetensors"),
                    "the error names the file: {e}"
                );
            }
        }
    }
    assert!(refused > ROUNDS / 4, "most mutations are refused ({refused})");
}

#[test]
fn recipe_and_z_parsers_never_panic() {
    let recipe = Recipe::new(
        RecipeModel {
            kind: "mlp-gan".into(),
            latent_dim: 4,
        },
        "pretrained:mlp-gan",
        12,
        Some(3),
        vec![0.5, -1.0, 2.0, 0.25],
    )
    .to_text();
    let huge = [
        recipe.replace("\"latent_dim\":4", "\"latent_dim\":18446744073709551615"),
        recipe.replace("0.5", "1e999"),
        format!("{}{}", recipe, "9".repeat(10_000)),
    ];
    let mut rng = Rng::new(13);
    for round in 0..ROUNDS {
        let text = String::from_utf8_lossy(&mutate(recipe.as_bytes(), &mut rng)).to_string();
        let _ = no_panic("recipe", round, || Recipe::parse(&text));
        let _ = no_panic("z text", round, || parse_z_text(&text, 4));
        let numbers = String::from_utf8_lossy(&mutate(b"0.5 -1 2 0.25\n1,2,3,4\n", &mut rng)).to_string();
        let _ = no_panic("z numbers", round, || parse_z_text(&numbers, 4));
    }
    for (i, text) in huge.iter().enumerate() {
        let r = no_panic("extreme recipe", i, || Recipe::parse(text));
        if let Ok(r) = r {
            assert_eq!(r.z.len(), 4, "{i}");
        }
        let _ = no_panic("extreme z", i, || parse_z_text(text, 4));
    }
}
