//! Integration tests: the live training window, driven headless with egui_kittest.
//! Play starts training and Pause stops it, Step advances exactly one iteration,
//! a new learning rate reaches the worker, a corrupt IDX folder dropped on the
//! window shows the banner while training continues on the old data, and a
//! model change asks before resetting. Also: the chart histories stay bounded.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use eframe::egui;
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT, Queryable};
use latent_lab::ui::{App, Charts, ThemeChoice};
use latent_lab::worker::{ErrorKind, StepPoint};

use crate::worker::{corrupt_idx_folder, tiny_data};

const LONG: Duration = Duration::from_secs(30);

use crate::window::{harness_of as harness, tiny_settings as settings, wait_for as wait};

fn step_of(app: &App) -> u64 {
    app.status().map_or(0, |s| s.step)
}

fn running(app: &App) -> bool {
    app.status().is_some_and(|s| s.running)
}

fn ready_harness() -> Harness<'static, App> {
    let mut h = harness(App::new_for_test(tiny_data(), settings()));
    assert!(
        wait(&mut h, LONG, |a| a.status().is_some_and(|s| s.ready)
            && a.sample_grids() > 0),
        "the app never became ready"
    );
    h
}

#[test]
fn play_starts_training_and_pause_stops_it() {
    let mut h = ready_harness();
    assert_eq!(step_of(h.state()), 0, "the window opens paused");
    h.get_by_label("Play").click();
    assert!(wait(&mut h, LONG, |a| step_of(a) >= 5), "Play did not start training");
    assert!(h.state().chart_points() > 0, "the charts received points");
    assert!(h.state().histograms() > 0, "the histogram received verdicts");

    h.get_by_label("Pause").click();
    assert!(wait(&mut h, LONG, |a| !running(a)), "Pause did not stop training");
    let at = step_of(h.state());
    let t = Instant::now();
    while t.elapsed() < Duration::from_millis(400) {
        h.step();
        std::thread::sleep(Duration::from_millis(10));
    }
    assert_eq!(step_of(h.state()), at, "training went on after Pause");
    assert!(h.query_by_label("Play").is_some(), "the button reads Play again");
}

#[test]
fn space_toggles_play_and_pause() {
    let mut h = ready_harness();
    h.key_press(egui::Key::Space);
    assert!(
        wait(&mut h, LONG, |a| running(a) && step_of(a) >= 2),
        "Space did not start training"
    );
    h.key_press(egui::Key::Space);
    assert!(wait(&mut h, LONG, |a| !running(a)), "Space did not pause");
}

#[test]
fn step_advances_exactly_one_iteration() {
    let mut h = ready_harness();
    h.get_by_label("Step").click();
    assert!(wait(&mut h, LONG, |a| step_of(a) == 1), "Step did nothing");
    let t = Instant::now();
    while t.elapsed() < Duration::from_millis(400) {
        h.step();
        std::thread::sleep(Duration::from_millis(10));
    }
    let s = h.state().status().expect("status");
    assert_eq!(
        (s.step, s.updates_of("d"), s.updates_of("g"), s.running),
        (1, 1, 1, false)
    );
    assert_eq!(h.state().chart_points(), 1, "one chart point per iteration");

    h.get_by_label("Step D").click();
    assert!(wait(&mut h, LONG, |a| a
        .status()
        .is_some_and(|s| s.updates_of("d") == 2)));
    h.get_by_label("Step G").click();
    assert!(wait(&mut h, LONG, |a| a
        .status()
        .is_some_and(|s| s.updates_of("g") == 2)));
    assert_eq!(step_of(h.state()), 1, "lone D and G updates are not iterations");
}

#[test]
fn a_new_learning_rate_reaches_the_worker() {
    let mut h = ready_harness();
    h.get_by_label("G learning rate").set_value_accesskit(0.001);
    h.get_by_label("D learning rate").set_value_accesskit(0.0005);
    let applied = |a: &App| {
        a.status()
            .is_some_and(|s| s.train.optimizer("g").lr == 0.001 && s.train.optimizer("d").lr == 0.0005)
    };
    assert!(
        wait(&mut h, LONG, applied),
        "the worker still has {:?}",
        h.state().status().map(|s| &s.train)
    );
    assert_eq!(h.state().settings().train.optimizer("g").lr, 0.001);
}

#[test]
fn the_average_switch_reaches_the_worker_and_gates_its_decay() {
    // The MLP GAN starts with samples from G's average (decay 0.999); switching it off in
    // the panel sends ema 0 to the worker and disables the decay, switching it on again
    // brings 0.999 back.
    let mut h = ready_harness();
    let ema = |a: &App| a.status().and_then(|s| s.model.config["ema"].as_f64());
    assert_eq!(ema(h.state()), Some(0.999), "the MLP GAN starts averaged");
    assert!(!h.get_by_label("Average's decay").accesskit_node().is_disabled());
    h.get_by_label("Samples from G's average").click();
    assert!(
        wait(&mut h, LONG, |a| ema(a) == Some(0.0)),
        "the worker still has ema {:?}",
        ema(h.state())
    );
    assert!(h.get_by_label("Average's decay").accesskit_node().is_disabled());
    h.get_by_label("Samples from G's average").click();
    assert!(
        wait(&mut h, LONG, |a| ema(a) == Some(0.999)),
        "the worker has ema {:?}",
        ema(h.state())
    );
}

#[test]
fn ds_reference_line_sits_at_half_the_real_label() {
    // The MLP GAN starts with real label 0.9: D's means settle at 0.45, and the chart's
    // reference says 0.45, not the paper's 0.5. Back at label 1 it says 0.5.
    let mut h = ready_harness();
    let label = |a: &App| a.status().and_then(|s| s.model.config["real_label"].as_f64());
    assert!(wait(&mut h, LONG, |a| label(a).is_some_and(|l| (l - 0.9).abs() < 1e-6)));
    h.run_steps(2);
    assert!(
        h.query_all_by_label("0.45").count() >= 1,
        "no 0.45 reference under label 0.9"
    );
    assert_eq!(
        h.query_all_by_label("0.5").count(),
        0,
        "a 0.5 reference under label 0.9"
    );
    h.get_by_label("Real label (D's target)").set_value_accesskit(1.0);
    assert!(
        wait(&mut h, LONG, |a| label(a) == Some(1.0)),
        "the worker has real label {:?}",
        label(h.state())
    );
    h.run_steps(2);
    assert!(
        h.query_all_by_label("0.5").count() >= 1,
        "no 0.5 reference under label 1"
    );
    assert_eq!(
        h.query_all_by_label("0.45").count(),
        0,
        "a 0.45 reference under label 1"
    );
}

/// A file dropped on the window (what winit reports on a drop).
#[derive(Debug)]
struct Dropped(PathBuf);

impl egui::DroppedFile for Dropped {
    fn path(&self) -> &Path {
        &self.0
    }
    fn bytes(&self) -> Result<Vec<u8>, String> {
        std::fs::read(&self.0).map_err(|e| e.to_string())
    }
}

#[test]
fn a_corrupt_idx_folder_shows_the_banner_while_training_continues() {
    let dir = corrupt_idx_folder();
    let mut h = ready_harness();
    h.get_by_label("Play").click();
    assert!(wait(&mut h, LONG, |a| step_of(a) >= 2));

    h.input_mut()
        .dropped_files
        .push(Arc::new(Dropped(dir.path().to_path_buf())));
    assert!(
        wait(&mut h, LONG, |a| a.banners().iter().any(|b| b.kind == ErrorKind::Data)),
        "no banner"
    );
    let banner = h.state().banners()[0].message.clone();
    assert!(
        banner.contains("train-images-idx3-ubyte"),
        "the banner names the file: {banner}"
    );
    assert!(
        h.query_by_label_contains("train-images-idx3-ubyte").is_some(),
        "the banner is on screen"
    );

    let at = step_of(h.state());
    assert!(wait(&mut h, LONG, |a| step_of(a) >= at + 3), "training stopped");
    let s = h.state().status().expect("status");
    assert!(s.running);
    assert_eq!(
        s.dataset.as_deref(),
        Some("tiny strokes"),
        "the previous dataset stays loaded"
    );

    h.get_by_label("Dismiss").click();
    assert!(wait(&mut h, LONG, |a| a.banners().is_empty()));
}

#[test]
fn a_model_change_asks_before_resetting() {
    let mut h = ready_harness();
    h.get_by_label("Step").click();
    assert!(wait(&mut h, LONG, |a| step_of(a) == 1));
    h.get_by_label("Latent size").set_value_accesskit(2.0);
    h.run_steps(2);
    assert!(
        h.query_by_label_contains("This change needs a reset").is_some(),
        "no warning that the change needs a reset"
    );
    h.get_by_label("Apply and reset…").click();
    h.run_steps(2);
    assert!(h.query_by_label("Reset training?").is_some(), "no confirmation asked");
    assert_eq!(step_of(h.state()), 1, "nothing is reset before the answer");
    h.get_by_label("Reset run").click();
    assert!(
        wait(&mut h, LONG, |a| a.status().is_some_and(|s| s.run == 2
            && s.model.latent_dim() == Some(2)
            && s.step == 0)),
        "the reset did not happen"
    );
    assert_eq!(h.state().chart_points(), 0, "the charts start over");
}

#[test]
fn the_window_is_accessible_and_the_theme_toggles() {
    let mut h = ready_harness();
    h.run_steps(3);
    h.check_accessibility();
    assert_eq!(h.state().settings().theme, ThemeChoice::Dark);
    h.get_by_label("Light theme").click();
    h.run_steps(2);
    assert_eq!(h.state().settings().theme, ThemeChoice::Light);
    assert_eq!(h.ctx.theme(), egui::Theme::Light);
    assert!(h.query_by_label("Dark theme").is_some());
}

#[test]
fn chart_history_stays_bounded_over_a_million_steps() {
    let mut charts = Charts::default();
    charts.set_family(latent_lab::family::find("mlp-gan"));
    // The MLP GAN's metrics, in its order: D loss, G loss, mean D(x), mean D(G(z)).
    let batch: Vec<StepPoint> = (0..1000)
        .map(|i| StepPoint {
            step: i,
            values: vec![1.0, 0.7, 0.6, 0.4],
        })
        .collect();
    let max_len = |charts: &Charts, key: &str| -> usize {
        charts
            .series(key)
            .unwrap_or_else(|| panic!("a GAN charts {key}"))
            .raw
            .max_len()
    };
    for k in 0..1000u64 {
        let shifted: Vec<StepPoint> = batch
            .iter()
            .map(|p| StepPoint {
                step: p.step + k * 1000 + 1,
                values: p.values.clone(),
            })
            .collect();
        charts.extend(&shifted);
        assert!(charts.len() <= max_len(&charts, "d_loss"));
    }
    assert_eq!(charts.series("d_loss").expect("D loss").raw.pushed(), 1_000_000);
    assert!(charts.len() <= 4500, "{} points", charts.len());
    let pts = charts.series("d_fake_mean").expect("mean D(G(z))").raw.points();
    assert!(pts[0].x < 1000.0, "the start of the run is still shown");
    assert_eq!(pts.last().map(|p| p.x), Some(1_000_000.0));
    assert!(pts.iter().all(|p| (p.y - 0.4).abs() < 1e-6));
}

/// The headless frame-time benchmark (slow: run with `cargo test --test tests -- --ignored bench`).
#[test]
#[ignore = "benchmark: trains for ~15 s"]
fn bench_frame_time_while_training() {
    let report = latent_lab::ui::bench_frames(10.0).expect("bench runs");
    println!("{report}");
    assert!(report.frames > 100);
}

#[test]
fn training_pauses_with_a_caption_when_d_wins() {
    use latent_lab::classroom::events::GameEvent;
    // G all but frozen, D fast: D soon scores every fake near 0 and keeps it so.
    let mut s = settings();
    s.pause_on_events = true;
    s.train.optimizers.get_mut("g").expect("G's optimizer").lr = 1e-9;
    s.train.optimizers.get_mut("d").expect("D's optimizer").lr = 2e-3;
    let mut h = harness(App::new_for_test(tiny_data(), s));
    assert!(wait(&mut h, LONG, |a| a.status().is_some_and(|s| s.ready)));
    h.get_by_label("Play").click();
    assert!(
        wait(&mut h, Duration::from_secs(120), |a| a.game_event().is_some()),
        "no event after {} steps",
        step_of(h.state())
    );
    let event = h.state().game_event().unwrap();
    assert!(matches!(event, GameEvent::DWins { steps: 200, .. }), "{event:?}");
    assert!(wait(&mut h, LONG, |a| !running(a)), "training did not pause");
    // Paused within a few steps of the event (the UI sees metrics in batches).
    let at = step_of(h.state());
    assert!(
        at >= event.step() && at < event.step() + 200,
        "paused at {at}, event at {}",
        event.step()
    );
    h.get_by_label_contains("D wins: for 200 steps");
    h.get_by_label("Continue").click();
    assert!(wait(&mut h, LONG, |a| step_of(a) > at), "Continue resumes training");
    assert!(h.state().game_event().is_none(), "the caption is dismissed");
}

/// The last-update line follows the newest step: after Step G and then three full Steps it
/// shows the last iteration, not the lone G update.
#[test]
fn the_last_update_line_follows_full_steps() {
    let mut h = ready_harness();
    h.get_by_label("Step G").click();
    assert!(wait(&mut h, LONG, |a| a
        .status()
        .is_some_and(|s| s.updates_of("g") == 1)));
    h.run_steps(3);
    assert!(
        h.query_by_label_contains("Last Step G (at step 0)").is_some(),
        "the G step is shown"
    );
    for n in 1..=3 {
        h.get_by_label("Step").click();
        assert!(wait(&mut h, LONG, |a| step_of(a) == n), "step {n}");
    }
    assert!(
        wait(&mut h, LONG, |a| a.chart_points() >= 3),
        "the iterations reached the charts"
    );
    h.run_steps(3);
    assert!(
        h.query_by_label_contains("Last Step G").is_none(),
        "the stale G line is gone"
    );
    assert!(
        h.query_by_label_contains("Last iteration (step 3)").is_some(),
        "the last iteration is shown"
    );
}

/// A learning rate typed above the old ceiling of 1 is kept as typed and flagged, not
/// silently turned into 1.0.
#[test]
fn a_typed_learning_rate_of_50_is_kept_and_flagged() {
    let mut h = ready_harness();
    assert!(h.query_by_label_contains("far above the usual").is_none());
    h.get_by_label("G learning rate").set_value_accesskit(50.0);
    h.run_steps(2);
    assert_eq!(h.state().settings().train.optimizer("g").lr, 50.0);
    assert!(
        wait(&mut h, LONG, |a| a
            .status()
            .is_some_and(|s| s.train.optimizer("g").lr == 50.0)),
        "the trainer got 50"
    );
    h.get_by_label_contains("G learning rate 50 is far above the usual");
}

/// In the Game tab the status bar shows the game's iteration and data, not the image
/// run's step and model.
#[test]
fn the_status_bar_shows_the_game_in_the_game_tab() {
    let mut s = settings();
    s.view = latent_lab::ui::View::Game;
    let mut h = harness(App::new_for_test(tiny_data(), s));
    assert!(wait(&mut h, LONG, |a| a.game().frame().is_some()
        && a.status().is_some_and(|s| s.game.is_some())));
    h.run_steps(2);
    h.get_by_label("The GAN game on 1-D Gaussian");
    h.get_by_label("Iteration 0");
    assert!(
        h.query_by_label_contains("· latent").is_none(),
        "the image run's model is not shown"
    );
}

/// Presenter mode at projector sizes (1280×720 and 1024×768): on every tab, in English
/// and Korean, nothing labelled runs past the window's right edge (what the issue saw: slider
/// labels, the "Principal directions" tab, charts cut off).
#[test]
fn presenter_mode_keeps_every_tab_inside_the_window_at_projector_sizes() {
    use egui_kittest::kittest::By;
    use latent_lab::ui::View;
    let mut problems = Vec::new();
    for (w, h_px) in [(1280.0, 720.0), (1024.0, 768.0)] {
        for lang in [latent_lab::ui::i18n::Lang::En, latent_lab::ui::i18n::Lang::Ko] {
            for view in [View::Train, View::Explore, View::Game] {
                let mut s = settings();
                s.presenter = true;
                s.lang = lang;
                s.view = view;
                let app = App::new_for_test(tiny_data(), s);
                let mut h = Harness::builder()
                    .with_size(egui::vec2(w, h_px))
                    .build_ui_state(|ui, app: &mut App| app.root_ui(ui), app);
                assert!(wait(&mut h, LONG, |a| a.status().is_some_and(|s| s.ready)));
                h.run_steps(8);
                // Bounding boxes are in physical pixels: the window is `w` wide.
                let right = f64::from(w) + 1.0;
                for node in h.query_all(By::new().predicate(|_| true)) {
                    let n = node.accesskit_node();
                    let label = n.label().unwrap_or_default();
                    let Some(r) = n.bounding_box() else {
                        continue;
                    };
                    if !label.is_empty() && r.width() > 0.0 && r.x1 > right {
                        problems.push(format!(
                            "{w}×{h_px} {lang:?} {view:?}: {label:?} ends at {:.0} > {right:.0}",
                            r.x1
                        ));
                    }
                }
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
