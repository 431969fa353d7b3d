//! Helpers for the tests that drive the window through egui_kittest.

use std::time::{Duration, Instant};

use eframe::egui;
use egui_kittest::Harness;
use latent_lab::ui::{App, Settings};

use crate::worker::{tiny_data, tiny_model, tiny_train};

/// Settings with the tiny model and hyperparameters of the worker tests.
pub fn tiny_settings() -> Settings {
    Settings {
        model: tiny_model(),
        train: tiny_train(),
        ..Settings::default()
    }
}

/// A 1280×720 harness around `app`.
pub fn harness_of(app: App) -> Harness<'static, App> {
    Harness::builder()
        .with_size(egui::vec2(1280.0, 720.0))
        .build_ui_state(|ui, app: &mut App| app.root_ui(ui), app)
}

/// A 1280×720 harness around a test app on the tiny dataset with `settings`.
pub fn harness_with(settings: Settings) -> Harness<'static, App> {
    harness_of(App::new_for_test(tiny_data(), settings))
}

/// The window on the Explore tab with the shipped model `id` and `tool` chosen, in `lang`,
/// training the tiny model.
pub fn explorer_on(id: &str, tool: latent_lab::ui::Tool, lang: latent_lab::ui::i18n::Lang) -> Harness<'static, App> {
    harness_with(Settings {
        view: latent_lab::ui::View::Explore,
        lang,
        explore: latent_lab::ui::ExploreSettings {
            source: latent_lab::ui::Source::Pretrained(id.into()),
            tool,
            ..latent_lab::ui::ExploreSettings::default()
        },
        ..tiny_settings()
    })
}

/// Runs frames (the UI repaints continuously while training) until `cond` holds or
/// `timeout` passes; says whether it held.
pub fn wait_for(h: &mut Harness<'static, App>, timeout: Duration, cond: impl Fn(&App) -> bool) -> bool {
    let deadline = Instant::now() + timeout;
    loop {
        h.step();
        if cond(h.state()) {
            return true;
        }
        if Instant::now() > deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}
