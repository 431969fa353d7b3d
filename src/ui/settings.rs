//! What the window remembers between sessions (through eframe's storage): theme,
//! text size, language, presenter mode, the hyperparameters in the editor, speed,
//! the last dataset, chart options and the explorer's choices. Every field has a default, so older or partial files still load.

use eframe::egui;

use serde::{Deserialize, Serialize};

use crate::family::ModelSpec;
use crate::train::TrainConfig;
use crate::worker::{DataSource, Speed};

/// The key under which eframe stores [`Settings`].
pub const STORAGE_KEY: &str = "latent-lab-settings";

/// Light or dark look.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum ThemeChoice {
    /// Dark background.
    #[default]
    Dark,
    /// Light background (better on many projectors).
    Light,
}

impl ThemeChoice {
    /// The egui theme.
    pub fn egui(self) -> egui::Theme {
        match self {
            ThemeChoice::Dark => egui::Theme::Dark,
            ThemeChoice::Light => egui::Theme::Light,
        }
    }

    /// The other one.
    pub fn toggled(self) -> Self {
        match self {
            ThemeChoice::Dark => ThemeChoice::Light,
            ThemeChoice::Light => ThemeChoice::Dark,
        }
    }
}

/// Persisted settings of the window.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Settings {
    /// Light or dark.
    pub theme: ThemeChoice,
    /// Larger text and widgets, for projectors (1.0 = normal).
    pub zoom: f32,
    /// The model in the editor (applied with a reset). Settings saved before the family
    /// interface (a GAN's kind and latent size) read as the default model.
    #[serde(deserialize_with = "or_default")]
    pub model: ModelSpec,
    /// The hyperparameters in the editor (applied at once, except the seed).
    pub train: TrainConfig,
    /// Speed cap.
    pub speed: Speed,
    /// The dataset used last.
    pub data: DataSource,
    /// Show the raw per-step curves.
    pub show_raw: bool,
    /// Show the smoothed curves.
    pub show_smoothed: bool,
    /// Smoothing time constant, in steps.
    pub smoothing_steps: f32,
    /// Show the debug panel (frame times).
    pub show_debug: bool,
    /// Save the run every few minutes and on exit, and restore it on start.
    pub autosave: bool,
    /// The screen shown: training or the latent explorer.
    pub view: View,
    /// The explorer's choices.
    pub explore: super::explorer::ExploreSettings,
    /// Presenter mode: large type, high contrast, advanced controls hidden (F5).
    pub presenter: bool,
    /// The language of the window.
    pub lang: super::i18n::Lang,
    /// Pause training when D wins, the samples collapse, or the game reaches equilibrium.
    pub pause_on_events: bool,
}

/// The window's two screens.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum View {
    /// Watch the GAN learn.
    #[default]
    Train,
    /// Explore a generator's latent space.
    Explore,
    /// Play Algorithm 1 step by step on toy 1-D and 2-D data.
    Game,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            theme: ThemeChoice::default(),
            zoom: 1.0,
            model: ModelSpec::default(),
            train: TrainConfig::for_family(crate::family::registry::DEFAULT),
            speed: Speed::default(),
            data: DataSource::Embedded,
            show_raw: true,
            show_smoothed: true,
            smoothing_steps: 50.0,
            show_debug: false,
            autosave: true,
            view: View::default(),
            explore: Default::default(),
            presenter: false,
            lang: Default::default(),
            pause_on_events: false,
        }
    }
}

/// Deserializes a `T`, or gives its default when the stored value has another shape (a
/// setting saved by an older version), instead of failing the whole settings.
fn or_default<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de> + Default,
{
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Either<T> {
        Value(T),
        Other(serde::de::IgnoredAny),
    }
    Ok(match Either::<T>::deserialize(deserializer)? {
        Either::Value(v) => v,
        Either::Other(_) => T::default(),
    })
}
