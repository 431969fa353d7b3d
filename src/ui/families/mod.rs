//! One panel per model family: the family's own settings in the hyperparameter grid
//! (a GAN's loss and k, a VAE's β and KL warm-up, an autoencoder's reconstruction loss,
//! pix2pix's λ and loss, CycleGAN's λs and noise switch, InfoGAN's λs; and in the model grid,
//! pix2pix's task, CycleGAN's domains, InfoGAN's networks and the DCGAN's fully connected
//! layers).
//! The panels edit the family's config as JSON through its typed settings struct; every
//! other control (batch, optimizers, charts, histograms) is generic. Adding a family adds
//! its file here and one line in [`PANELS`].

use eframe::egui;

mod ae;
mod cyclegan;
mod gan;
mod infogan;
pub(super) mod pix2pix;
mod vae;

/// A family's panel.
pub trait FamilyPanel: Sync {
    /// The family ids it serves.
    fn families(&self) -> &'static [&'static str];
    /// The family's live settings as rows of a two-column grid; edits `config` in place.
    fn settings_ui(&self, ui: &mut egui::Ui, config: &mut serde_json::Value);
    /// The family's architecture settings (a change needs a new run) as rows of the model
    /// grid; edits `config` in place.
    fn architecture_ui(&self, _ui: &mut egui::Ui, _config: &mut serde_json::Value) {}
}

/// Every family's panel.
const PANELS: &[&dyn FamilyPanel] = &[
    &gan::GanPanel,
    &gan::DcganPanel,
    &ae::AePanel,
    &vae::VaePanel,
    &pix2pix::Pix2PixPanel,
    &cyclegan::CycleGanPanel,
    &infogan::InfoGanPanel,
];

/// The settings rows of family `id`'s panel, if it has one.
pub fn settings_ui(ui: &mut egui::Ui, id: &str, config: &mut serde_json::Value) {
    if let Some(p) = PANELS.iter().find(|p| p.families().contains(&id)) {
        p.settings_ui(ui, config);
    }
}

/// The architecture rows of family `id`'s panel, if it has any.
pub fn architecture_ui(ui: &mut egui::Ui, id: &str, config: &mut serde_json::Value) {
    if let Some(p) = PANELS.iter().find(|p| p.families().contains(&id)) {
        p.architecture_ui(ui, config);
    }
}

/// A loss weight's row of the settings grid: `label`, then a field over `range` that moves
/// by `speed` per point dragged and shows at most `decimals` decimals, with `help` on hover
/// (`label` and `help` already translated).
pub(super) fn weight_row<N: egui::emath::Numeric>(
    ui: &mut egui::Ui,
    label: &str,
    value: &mut N,
    range: std::ops::RangeInclusive<N>,
    speed: f64,
    decimals: usize,
    help: &str,
) {
    let l = ui.label(label);
    ui.add(
        egui::DragValue::new(value)
            .range(range)
            .speed(speed)
            .max_decimals(decimals),
    )
    .on_hover_text(help)
    .labelled_by(l.id);
    ui.end_row();
}

/// A choice's row of a grid: `label`, then a menu (`id` keeps its state apart) of `choices`,
/// each shown as `name` gives it, with `help` on hover where there is any (`label`, `help`
/// and the names already translated).
pub(super) fn choice_row<T: PartialEq + Copy, S: Into<egui::WidgetText>>(
    ui: &mut egui::Ui,
    id: &str,
    label: &str,
    value: &mut T,
    choices: impl IntoIterator<Item = T>,
    name: impl Fn(T) -> S,
    help: &str,
) {
    let l = ui.label(label);
    let response = egui::ComboBox::from_id_salt(id)
        .selected_text(name(*value))
        .show_ui(ui, |ui| {
            for c in choices {
                ui.selectable_value(value, c, name(c));
            }
        })
        .response;
    let response = if help.is_empty() {
        response
    } else {
        response.on_hover_text(help)
    };
    response.labelled_by(l.id);
    ui.end_row();
}

/// Edits a typed settings struct held as JSON: `edit` gets the struct; the JSON is
/// rewritten only if it changed (and left alone if it does not parse).
pub(super) fn edit_as<T>(config: &mut serde_json::Value, edit: impl FnOnce(&mut T))
where
    T: serde::Serialize + serde::de::DeserializeOwned + PartialEq + Clone,
{
    let Ok(before) = serde_json::from_value::<T>(config.clone()) else {
        return;
    };
    let mut after = before.clone();
    edit(&mut after);
    if after != before {
        *config = crate::family::to_json(&after);
    }
}
