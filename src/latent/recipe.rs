//! Recipes: a short, copyable text that reproduces one image — which model (kind,
//! latent size, where it came from, at which step), the seed if z came from one,
//! and z itself.
//!
//! A recipe is one line of JSON. z is written as a string of `f32` decimals in
//! their shortest round-trip form, so parsing gives back exactly the same bits
//! (JSON numbers would pass through `f64`). `latent-lab sample --z FILE` reads the
//! same text, so an image seen in the window can be reproduced headless.

use serde::{Deserialize, Serialize};

use crate::family::ModelSpec;

/// The value of `format` in every recipe.
pub const FORMAT: &str = "latent-lab-recipe";
/// The current recipe version.
pub const VERSION: u32 = 1;

/// The model a recipe names: the family id and the latent size (the fields, `kind` and
/// `latent_dim`, are those of the first recipes, so old recipes still read).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecipeModel {
    /// The family id ("mlp-gan", "vae", …).
    pub kind: String,
    /// The size of z.
    pub latent_dim: usize,
}

impl RecipeModel {
    /// The recipe model of a spec.
    pub fn of(spec: &ModelSpec) -> Self {
        Self {
            kind: spec.family.clone(),
            latent_dim: spec.input_dim().unwrap_or(0),
        }
    }

    /// The family's label for people, or its id.
    pub fn label(&self) -> &str {
        crate::family::find(&self.kind).map_or(self.kind.as_str(), |f| f.label())
    }
}

/// Everything needed to reproduce one image.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Recipe {
    /// Always [`FORMAT`].
    pub format: String,
    /// [`VERSION`] when written.
    pub version: u32,
    /// The family and latent size.
    pub model: RecipeModel,
    /// Where the weights came from ("pretrained:mlp-gan", "live run", a checkpoint's file name).
    pub source: String,
    /// Iterations of training behind the weights.
    pub step: u64,
    /// The seed z was drawn from, if it was.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seed: Option<u64>,
    /// The latent vector, as `f32` decimals separated by spaces.
    #[serde(with = "z_text")]
    pub z: Vec<f32>,
}

/// Why a text is not a usable recipe.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum RecipeError {
    /// Not JSON, or not the recipe's fields.
    #[error("not a Latent Lab recipe: {0}")]
    Parse(String),
    /// A newer version than this program reads.
    #[error("recipe version {0} is newer than this program understands ({VERSION}); update Latent Lab")]
    Version(u32),
    /// z does not have the model's latent size.
    #[error("the recipe's z has {found} values but its model's latent size is {expected}")]
    Length {
        /// Values in z.
        found: usize,
        /// The latent size the recipe names.
        expected: usize,
    },
    /// The recipe is for another architecture than the model at hand.
    #[error(
        "this recipe is for a {} with latent size {}, but the model shown is a {} with latent size {}; \
         switch to a matching model to reproduce it",
        recipe.label(), recipe.latent_dim, current.label(), current.latent_dim
    )]
    WrongModel {
        /// What the recipe needs.
        recipe: RecipeModel,
        /// What is loaded.
        current: RecipeModel,
    },
}

impl Recipe {
    /// A recipe for `z` decoded by a `model` from `source` at `step`.
    pub fn new(model: RecipeModel, source: impl Into<String>, step: u64, seed: Option<u64>, z: Vec<f32>) -> Self {
        Self {
            format: FORMAT.to_string(),
            version: VERSION,
            model,
            source: source.into(),
            step,
            seed,
            z,
        }
    }

    /// The recipe as one line of JSON.
    pub fn to_text(&self) -> String {
        // Serialising plain data with string keys cannot fail.
        serde_json::to_string(self).unwrap_or_default()
    }

    /// Parses and checks a recipe (surrounding whitespace is ignored).
    pub fn parse(text: &str) -> Result<Self, RecipeError> {
        let r: Recipe = serde_json::from_str(text.trim()).map_err(|e| RecipeError::Parse(e.to_string()))?;
        if r.format != FORMAT {
            return Err(RecipeError::Parse(format!(
                "format is '{}', expected '{FORMAT}'",
                r.format
            )));
        }
        if r.version > VERSION {
            return Err(RecipeError::Version(r.version));
        }
        if r.z.len() != r.model.latent_dim {
            return Err(RecipeError::Length {
                found: r.z.len(),
                expected: r.model.latent_dim,
            });
        }
        Ok(r)
    }

    /// Refuses the recipe if `current` is another architecture than the recipe's.
    pub fn check_model(&self, current: &ModelSpec) -> Result<(), RecipeError> {
        let current = RecipeModel::of(current);
        if self.model != current {
            return Err(RecipeError::WrongModel {
                recipe: self.model.clone(),
                current,
            });
        }
        Ok(())
    }
}

/// Parses latent vectors from text: one or more recipes (one JSON object per line),
/// or plain numbers (one vector per line, separated by spaces or commas).
/// Returns the vectors, flat; every one must have `latent_dim` values.
pub fn parse_z_text(text: &str, latent_dim: usize) -> Result<Vec<f32>, String> {
    parse_z_text_for(text, latent_dim, None)
}

/// [`parse_z_text`], checking every recipe line against `model` (not only the first: a
/// recipe of another model of the same latent size would decode as noise).
pub fn parse_z_text_for(text: &str, latent_dim: usize, model: Option<&ModelSpec>) -> Result<Vec<f32>, String> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let z = if line.starts_with('{') {
            let r = Recipe::parse(line).map_err(|e| format!("line {}: {e}", i + 1))?;
            if let Some(m) = model {
                r.check_model(m).map_err(|e| format!("line {}: {e}", i + 1))?;
            }
            r.z
        } else {
            line.split(|c: char| c == ',' || c.is_whitespace())
                .filter(|s| !s.is_empty())
                .map(|s| {
                    s.parse::<f32>()
                        .map_err(|_| format!("line {}: '{s}' is not a number", i + 1))
                })
                .collect::<Result<Vec<f32>, String>>()?
        };
        if z.len() != latent_dim {
            return Err(format!(
                "line {}: {} values, but the model's latent size is {latent_dim}",
                i + 1,
                z.len()
            ));
        }
        if let Some(bad) = z.iter().find(|v| !v.is_finite()) {
            return Err(format!("line {}: {bad} is not a finite number", i + 1));
        }
        out.extend(z);
    }
    if out.is_empty() {
        return Err("no latent vector found".to_string());
    }
    Ok(out)
}

/// z as a string of shortest round-trip `f32` decimals.
mod z_text {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(z: &[f32], s: S) -> Result<S::Ok, S::Error> {
        let text: Vec<String> = z.iter().map(|v| v.to_string()).collect();
        s.serialize_str(&text.join(" "))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<f32>, D::Error> {
        let text = String::deserialize(d)?;
        text.split_whitespace()
            .map(|s| match s.parse::<f32>() {
                Ok(v) if v.is_finite() => Ok(v),
                _ => Err(serde::de::Error::custom(format!("'{s}' in z is not a finite number"))),
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::rng::Rng;

    fn config(kind: &str, latent_dim: usize) -> RecipeModel {
        RecipeModel {
            kind: kind.into(),
            latent_dim,
        }
    }

    fn spec(kind: &str, latent_dim: usize) -> ModelSpec {
        ModelSpec::of(kind).unwrap().with_latent_dim(latent_dim)
    }

    #[test]
    fn recipes_round_trip_bit_exact() {
        let mut rng = Rng::new(11);
        for _ in 0..200 {
            let mut z = rng.normal_vec(100);
            z[0] = f32::MIN_POSITIVE;
            z[1] = -3.4028235e38;
            z[2] = 1.0e-45;
            let r = Recipe::new(config("dcgan", 100), "pretrained:dcgan", 1234, Some(7), z.clone());
            let back = Recipe::parse(&r.to_text()).expect("parses");
            assert_eq!(back, r);
            let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
            assert_eq!(bits(&back.z), bits(&z));
        }
    }

    #[test]
    fn a_recipe_for_another_model_is_refused_clearly() {
        let r = Recipe::new(config("dcgan", 100), "live run", 5, None, vec![0.0; 100]);
        let e = r.check_model(&spec("mlp-gan", 100)).unwrap_err();
        let msg = e.to_string();
        assert!(matches!(e, RecipeError::WrongModel { .. }));
        assert!(msg.contains("DCGAN") && msg.contains("MLP GAN"), "{msg}");
        let e = r.check_model(&spec("dcgan", 2)).unwrap_err();
        assert!(e.to_string().contains("latent size 2"), "{e}");
        assert!(r.check_model(&spec("dcgan", 100)).is_ok());
    }

    #[test]
    fn bad_recipes_give_their_own_errors() {
        assert!(matches!(Recipe::parse("hello"), Err(RecipeError::Parse(_))));
        let r = Recipe::new(config("mlp-gan", 3), "x", 0, None, vec![1.0, 2.0, 3.0]);
        let short = r.to_text().replace("1 2 3", "1 2");
        assert_eq!(
            Recipe::parse(&short),
            Err(RecipeError::Length { found: 2, expected: 3 })
        );
        let newer = r.to_text().replace("\"version\":1", "\"version\":99");
        assert_eq!(Recipe::parse(&newer), Err(RecipeError::Version(99)));
        let nan = r.to_text().replace("1 2 3", "1 NaN 3");
        assert!(matches!(Recipe::parse(&nan), Err(RecipeError::Parse(m)) if m.contains("NaN")));
    }

    #[test]
    fn z_text_takes_recipes_or_plain_numbers() {
        let r = Recipe::new(config("mlp-gan", 2), "x", 0, None, vec![0.5, -1.25]);
        let text = format!("# two vectors\n{}\n1, 2\n", r.to_text());
        assert_eq!(parse_z_text(&text, 2), Ok(vec![0.5, -1.25, 1.0, 2.0]));
        assert!(parse_z_text("1 2 3", 2).unwrap_err().contains("line 1: 3 values"));
        assert!(parse_z_text("1 x", 2).unwrap_err().contains("'x' is not a number"));
        assert!(parse_z_text("", 2).is_err());
    }
}
