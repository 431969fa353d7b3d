//! Checkpoints from the window: save and open through rfd dialogs, and the
//! autosave in the platform's data folder (every few minutes and on exit, written
//! atomically by the worker through the checkpoint module), which the next start
//! restores, paused.
//!
//! The data folder is `$LATENT_LAB_DATA_DIR` if set (tests use a temporary one),
//! otherwise eframe's per-platform folder: `$XDG_DATA_HOME/latent-lab` or
//! `~/.local/share/latent-lab` on Linux, `~/Library/Application Support/latent-lab`
//! on macOS, `%APPDATA%\latent-lab\data` on Windows.

use std::path::PathBuf;

use crate::worker::Command;

use super::app::App;
use super::i18n::tr;

/// Environment variable that overrides the data folder.
pub const DATA_DIR_ENV: &str = "LATENT_LAB_DATA_DIR";
/// File name of the autosave inside the data folder.
pub const AUTOSAVE_FILE: &str = "autosave.safetensors";

/// The folder for the autosave and the window's settings, if the platform has one.
pub fn data_dir() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os(DATA_DIR_ENV).filter(|d| !d.is_empty()) {
        return Some(PathBuf::from(dir));
    }
    eframe::storage_dir("latent-lab")
}

/// Where the autosave lives.
pub fn autosave_path() -> Option<PathBuf> {
    data_dir().map(|d| d.join(AUTOSAVE_FILE))
}

impl App {
    /// Asks where to save a checkpoint, then has the worker write it.
    pub(super) fn save_checkpoint_dialog(&mut self) {
        let step = self.status.as_ref().map_or(0, |s| s.step);
        let kind = self.status.as_ref().map_or("model", |s| s.model.family.as_str());
        if let Some(path) = rfd::FileDialog::new()
            .set_title(tr("Save checkpoint"))
            .add_filter(tr("Latent Lab checkpoint"), &["safetensors"])
            .set_file_name(format!("{kind}-step{step}.safetensors"))
            .save_file()
        {
            self.send(Command::SaveCheckpoint(path));
        }
    }

    /// Asks for a checkpoint, then has the worker load it (paused).
    pub(super) fn open_checkpoint_dialog(&mut self) {
        if let Some(path) = rfd::FileDialog::new()
            .set_title(tr("Open checkpoint"))
            .add_filter(tr("Latent Lab checkpoint"), &["safetensors"])
            .pick_file()
        {
            self.send(Command::LoadCheckpoint(path));
        }
    }

    /// The autosave file, if autosave is on.
    pub fn autosave_file(&self) -> Option<&std::path::Path> {
        self.autosave_path.as_deref()
    }
}
