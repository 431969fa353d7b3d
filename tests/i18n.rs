//! Integration tests: the window in two languages. The language switch in the menu
//! bar changes the visible labels (Play ↔ 재생) and back; the choice is saved with
//! the settings (through eframe's storage) and a window reopened from them starts
//! in Korean; the explorer's tools draw in Korean without a missing glyph
//! (egui_kittest panics on one); presenter mode (F5 or the View menu) hides the
//! advanced controls and brings them back.

use std::collections::HashMap;
use std::time::Duration;

use eframe::egui;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use latent_lab::ui::i18n::Lang;
use latent_lab::ui::{App, ExploreSettings, STORAGE_KEY, Settings, Source, Tool, View};

const LONG: Duration = Duration::from_secs(60);

fn settings() -> Settings {
    crate::window::tiny_settings()
}

fn harness(settings: Settings) -> Harness<'static, App> {
    crate::window::harness_with(settings)
}

fn wait(h: &mut Harness<'static, App>, cond: impl Fn(&App) -> bool) -> bool {
    crate::window::wait_for(h, LONG, cond)
}

fn ready(settings: Settings) -> Harness<'static, App> {
    let mut h = harness(settings);
    assert!(
        wait(&mut h, |a| a.status().is_some_and(|s| s.ready) && a.sample_grids() > 0),
        "the app never became ready"
    );
    h.run_steps(2);
    h
}

/// eframe's storage, in memory (what the window writes to `window.ron`).
#[derive(Default)]
struct MemoryStorage(HashMap<String, String>);

impl eframe::Storage for MemoryStorage {
    fn get_string(&self, key: &str) -> Option<String> {
        self.0.get(key).cloned()
    }

    fn set_string(&mut self, key: &str, value: String) {
        self.0.insert(key.to_string(), value);
    }

    fn remove_string(&mut self, key: &str) {
        self.0.remove(key);
    }

    fn flush(&mut self) {}
}

#[test]
fn the_language_switch_changes_the_labels_and_is_remembered() {
    let mut h = ready(settings());
    assert_eq!(h.state().settings().lang, Lang::En);
    assert!(h.query_by_label("Play").is_some());

    // The menu bar names the other language in itself.
    h.get_by_label("한국어").click();
    h.run_steps(2);
    assert_eq!(h.state().settings().lang, Lang::Ko);
    assert!(h.query_by_label("재생").is_some(), "Play did not become 재생");
    assert!(h.query_by_label("Play").is_none(), "English Play is still shown");
    assert!(h.query_by_label("하이퍼파라미터").is_some());
    assert!(
        h.query_by_label("G 학습률").is_some(),
        "the learning-rate row is not translated"
    );
    h.get_by_label("재생").click();
    assert!(
        wait(&mut h, |a| a.status().is_some_and(|s| s.running && s.step >= 2)),
        "재생 did not start training"
    );
    h.get_by_label("일시 정지").click();
    assert!(
        wait(&mut h, |a| a.status().is_some_and(|s| !s.running)),
        "일시 정지 did not pause"
    );

    // Saved with the settings; a window reopened from them starts in Korean.
    let mut storage = MemoryStorage::default();
    eframe::App::save(h.state_mut(), &mut storage);
    let saved: Settings = eframe::get_value(&storage, STORAGE_KEY).expect("settings saved");
    assert_eq!(saved.lang, Lang::Ko);
    let reopened = ready(saved);
    assert!(
        reopened.query_by_label("재생").is_some(),
        "the reopened window is not in Korean"
    );
    assert!(reopened.query_by_label("Play").is_none());

    // And back.
    h.get_by_label("English").click();
    h.run_steps(2);
    assert_eq!(h.state().settings().lang, Lang::En);
    assert!(h.query_by_label("Play").is_some(), "재생 did not become Play again");
    assert!(h.query_by_label("재생").is_none());
}

#[test]
fn the_explorer_draws_every_tool_in_korean() {
    let s = Settings {
        lang: Lang::Ko,
        view: View::Explore,
        explore: ExploreSettings {
            source: Source::Pretrained("mlp-gan".into()),
            ..ExploreSettings::default()
        },
        ..settings()
    };
    let mut h = harness(s);
    assert!(
        wait(&mut h, |a| a.explorer().grid_images().is_some()),
        "the explorer never showed its grid"
    );
    h.run_steps(3);
    assert!(h.query_by_label("고를 수 있는 샘플").is_some());
    for tool in Tool::ALL {
        // The pixel-by-pixel tool is for autoregressive models only (its own test below).
        if !h.state().explorer().model.as_ref().is_some_and(|m| tool.applies_to(m)) {
            continue;
        }
        h.state_mut().explorer_mut().settings.tool = tool;
        h.run_steps(3);
        assert!(h.query_by_label(tool.label()).is_some(), "{tool:?} has no Korean tab");
    }
    // Interpolation with both ends chosen: strips, scores and their captions.
    let ex = h.state_mut().explorer_mut();
    ex.settings.tool = Tool::Interpolate;
    ex.a = Some(ex.sliders_pick());
    let mut b = ex.sliders_pick();
    b.z.iter_mut().for_each(|v| *v = -*v);
    ex.b = Some(b);
    assert!(wait(&mut h, |a| a.explorer().strip().is_some()), "no strips");
    h.run_steps(3);
    assert!(h.query_by_label("보간된 프레임").is_some());
}

#[test]
fn presenter_mode_hides_the_advanced_controls_and_brings_them_back() {
    let mut h = ready(settings());
    let advanced = ["G learning rate", "D optimizer", "Batch size", "Hyperparameters"];
    for label in advanced {
        assert!(
            h.query_by_label(label).is_some(),
            "{label} is missing before presenter mode"
        );
    }
    h.key_press(egui::Key::F5);
    h.run_steps(2);
    assert!(h.state().settings().presenter);
    for label in advanced {
        assert!(
            h.query_by_label(label).is_none(),
            "{label} still shows in presenter mode"
        );
    }
    assert!(h.query_by_label("Play").is_some(), "presenter mode keeps Play");
    h.key_press(egui::Key::F5);
    h.run_steps(2);
    assert!(!h.state().settings().presenter);
    for label in advanced {
        assert!(h.query_by_label(label).is_some(), "{label} did not come back");
    }

    // The same through the View menu, in Korean.
    h.get_by_label("한국어").click();
    h.run_steps(2);
    h.get_by_label("보기").click();
    h.run_steps(2);
    h.get_by_label("발표자 모드 (F5)").click();
    h.run_steps(2);
    assert!(
        h.state().settings().presenter,
        "the menu entry did not turn presenter mode on"
    );
    assert!(h.query_by_label("G 학습률").is_none());
    assert!(h.query_by_label("재생").is_some());
}

/// The notices of the first events come in the chosen language even before a frame is
/// drawn (eframe drains events in `logic`, before the first `ui` applies the look): the
/// issue saw "Restored the last run…" in English in the Korean window.
#[test]
fn notices_before_the_first_frame_are_in_the_chosen_language() {
    latent_lab::ui::i18n::set_lang(Lang::En);
    let settings = Settings {
        lang: Lang::Ko,
        ..crate::window::tiny_settings()
    };
    let mut app = App::new_for_test(crate::worker::tiny_data(), settings);
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while app.notice().is_none() && std::time::Instant::now() < deadline {
        app.pump();
        std::thread::sleep(Duration::from_millis(10));
    }
    let notice = app.notice().expect("a notice (the data loaded)").to_string();
    assert!(
        notice.chars().any(|c| ('가'..='힣').contains(&c)),
        "not Korean: {notice}"
    );
    latent_lab::ui::i18n::set_lang(Lang::En);
}
