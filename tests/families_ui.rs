//! Window tests of the new families: picking the VAE in the model menu trains a VAE and
//! shows its charts and KL bars instead of the GAN's; drawing on the explorer's canvas
//! encodes the drawing and moves the sliders' z to its code.

use std::time::Duration;

use eframe::egui;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use latent_lab::family::ModelSpec;
use latent_lab::ui::{App, ExploreSettings, Settings, Source, Tool, View};

const LONG: Duration = Duration::from_secs(60);

fn wait(h: &mut Harness<'static, App>, cond: impl Fn(&App) -> bool) -> bool {
    crate::window::wait_for(h, LONG, cond)
}

#[test]
fn picking_the_vae_trains_it_and_shows_its_charts() {
    let mut h = crate::window::harness_with(crate::window::tiny_settings());
    assert!(wait(&mut h, |a| a.status().is_some_and(|s| s.ready)));
    h.run_steps(2);
    // The GAN's charts and histogram first.
    assert!(h.query_by_label("Discriminator outputs").is_some());
    assert!(h.query_by_label("D's verdicts").is_some());
    assert!(h.query_by_label("Negative ELBO").is_none());

    h.get_by_role_and_label(egui::accesskit::Role::ComboBox, "Model")
        .click();
    h.run_steps(2);
    h.get_by_label("VAE").click();
    h.run_steps(2);
    apply_and_reset(&mut h, |s| s.model.family == "vae", "the run did not become a VAE");
    h.get_by_label("Play").click();
    assert!(wait(&mut h, |a| a.status().is_some_and(|s| s.step >= 5)
        && a.chart_points() >= 5));
    h.run_steps(2);
    for label in [
        "Negative ELBO",
        "Reconstruction",
        "KL divergence",
        "KL per latent dimension",
    ] {
        assert!(h.query_by_label(label).is_some(), "no {label:?} on the VAE's screen");
    }
    assert!(
        h.query_by_label("Discriminator outputs").is_none(),
        "the GAN's chart is still shown"
    );
    assert!(
        h.query_by_label("D's verdicts").is_none(),
        "the GAN's histogram is still shown"
    );
    // The VAE's panel offers β and the warm-up, not k or the generator loss.
    assert!(h.query_by_label("β (KL weight)").is_some());
    assert!(h.query_by_label("k (D steps per G step)").is_none());
    // One step button: an autoencoder has no D or G step.
    assert!(h.query_by_label("Step D").is_none());
}

#[test]
fn drawing_on_the_canvas_moves_the_sliders_to_its_code() {
    let settings = Settings {
        model: ModelSpec::of("vae").unwrap().with_latent_dim(4),
        train: latent_lab::train::TrainConfig {
            batch_size: 8,
            ..latent_lab::train::TrainConfig::for_family(latent_lab::family::find("vae").unwrap())
        },
        view: View::Explore,
        explore: ExploreSettings {
            source: Source::Live,
            tool: Tool::Draw,
            ..ExploreSettings::default()
        },
        ..Settings::default()
    };
    let mut h = crate::window::harness_with(settings);
    assert!(wait(&mut h, |a| a.status().is_some_and(|s| s.ready)));
    assert!(
        wait(&mut h, |a| a
            .explorer()
            .model
            .as_ref()
            .is_some_and(|m| m.encoder.is_some())),
        "the live VAE never reached the explorer"
    );
    h.run_steps(2);
    let before = h.state().explorer().z.clone();
    let canvas = h.get_by_label("Drawing canvas").rect();
    // A vertical stroke down the middle: a "1".
    let top = egui::pos2(canvas.center().x, canvas.min.y + canvas.height() * 0.2);
    let bottom = egui::pos2(canvas.center().x, canvas.min.y + canvas.height() * 0.8);
    h.hover_at(top);
    h.step();
    h.event(egui::Event::PointerButton {
        pos: top,
        button: egui::PointerButton::Primary,
        pressed: true,
        modifiers: egui::Modifiers::NONE,
    });
    h.step();
    for i in 1..=10 {
        h.hover_at(top + (bottom - top) * (i as f32 / 10.0));
        h.step();
    }
    h.event(egui::Event::PointerButton {
        pos: bottom,
        button: egui::PointerButton::Primary,
        pressed: false,
        modifiers: egui::Modifiers::NONE,
    });
    h.run_steps(3);
    let app = h.state();
    let ink = &app.explorer().canvas.ink;
    let inked = ink.iter().filter(|&&p| p > 128).count();
    assert!((20..200).contains(&inked), "the stroke inked {inked} pixels");
    // A column of ink in the middle, nothing in the corners.
    assert!(
        ink[14 * 28 + 14] > 128 || ink[14 * 28 + 13] > 128,
        "no ink where the stroke passed"
    );
    assert_eq!(ink[0], 0);
    let model = app.explorer().model.clone().unwrap();
    let code = model.encode_images(ink).unwrap().expect("the VAE encodes");
    assert_ne!(app.explorer().z, before, "z did not move");
    assert_eq!(app.explorer().z, code, "z is not the drawing's code");
    // And the sliders tool goes on from that z.
    h.get_by_label("Edit with the sliders").click();
    h.run_steps(2);
    assert_eq!(h.state().explorer().settings.tool, Tool::Sliders);
    assert_eq!(h.state().explorer().z, code);
}

/// After a change that needs a new run: the window says so, the reset is confirmed, and the
/// new run, once ready, satisfies `new_run` (else `what`).
fn apply_and_reset(
    h: &mut Harness<'static, App>,
    new_run: impl Fn(&latent_lab::worker::WorkerStatus) -> bool,
    what: &str,
) {
    assert!(h.query_by_label_contains("This change needs a reset").is_some());
    h.get_by_label("Apply and reset…").click();
    h.run_steps(2);
    h.get_by_label("Reset run").click();
    assert!(wait(h, |a| a.status().is_some_and(|s| s.ready && new_run(s))), "{what}");
}

/// The window on the tiny data with a new run of `family` (its defaults, batch 8), ready.
fn window_with(family: &str) -> Harness<'static, App> {
    let model = ModelSpec::of(family).unwrap();
    let train = latent_lab::train::TrainConfig {
        batch_size: 8,
        ..latent_lab::train::TrainConfig::for_family(model.family().unwrap())
    };
    let mut h = crate::window::harness_with(Settings {
        model,
        train,
        ..crate::window::tiny_settings()
    });
    assert!(wait(&mut h, |a| a
        .status()
        .is_some_and(|s| s.ready && s.model.family == family)));
    h.run_steps(2);
    h
}

#[test]
fn infogans_panel_offers_its_networks_and_a_new_network_needs_a_new_run() {
    let mut h = window_with("infogan");
    // The live rows: both λs, and no GAN-panel rows it does not take.
    assert!(h.query_by_label("λ (c₁ information)").is_some());
    assert!(h.query_by_label("λ (c₂, c₃ information)").is_some());
    assert!(h.query_by_label("Samples from G's average").is_none());
    // The networks: three to pick from, and a change asks for a new run.
    h.get_by_role_and_label(egui::accesskit::Role::ComboBox, "Networks")
        .click();
    h.run_steps(2);
    for net in [
        "the paper's, narrower (256 units)",
        "the paper's (fully connected layers)",
        "the DCGAN's",
    ] {
        assert!(h.query_by_label(net).is_some(), "no {net:?} in the menu");
    }
    h.get_by_label("the DCGAN's").click();
    h.run_steps(2);
    apply_and_reset(
        &mut h,
        |s| s.model.config["net"] == "dcgan",
        "the new run did not get the DCGAN's networks",
    );
}

#[test]
fn the_dcgans_panel_offers_fully_connected_layers_and_they_need_a_new_run() {
    let mut h = window_with("dcgan");
    // The GANs' live rows are there too.
    assert!(h.query_by_label("Samples from G's average").is_some());
    h.get_by_role_and_label(egui::accesskit::Role::ComboBox, "Fully connected layers")
        .click();
    h.run_steps(2);
    for choice in ["none (all convolutional, the paper's)", "256 units", "1,024 units"] {
        assert!(h.query_by_label(choice).is_some(), "no {choice:?} in the menu");
    }
    h.get_by_label("256 units").click();
    h.run_steps(2);
    apply_and_reset(
        &mut h,
        |s| s.model.config["fc_units"] == 256,
        "the new run did not get the 256-unit layers",
    );
    // The MLP GAN has no such row.
    let h = window_with("mlp-gan");
    assert!(h.query_by_label("Fully connected layers").is_none());
}

/// Four charts in presenter mode (InfoGAN's three and the judge's) are too narrow for their
/// notes: those move to the titles' hover, so that the plots and the sample grid below them
/// stay on the screen. Three charts (the GANs') keep theirs, and so does the window outside
/// presenter mode.
#[test]
fn in_presenter_mode_four_charts_move_their_notes_to_the_titles_hover() {
    let mi_note = "(the bound can reach H(c₁) = ln 10 ≈ 2.30 at most)";
    let d_note = "(both tend to 0.5 as G learns; to half the real label with label smoothing)";
    for (family, note) in [("infogan", mi_note), ("mlp-gan", d_note)] {
        let mut h = window_with(family);
        assert!(
            h.query_by_label(note).is_some(),
            "{family}: the note shows outside presenter mode"
        );
        h.key_press(egui::Key::F5);
        h.run_steps(3);
        assert!(h.state().settings().presenter);
        let inline = h.query_by_label(note).is_some();
        assert_eq!(
            inline,
            family != "infogan",
            "{family} in presenter mode: note shown {inline}"
        );
        if family == "infogan" {
            h.get_by_label("Mutual information").hover();
            for _ in 0..40 {
                h.run_steps(1);
                std::thread::sleep(Duration::from_millis(25));
            }
            assert!(h.query_by_label(note).is_some(), "the note is on the title's hover");
        }
    }
}
