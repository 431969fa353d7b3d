//! Latent Lab's entry point: no subcommand opens the window; `train`, `sample`
//! and `bench` run headless (see `latent-lab --help`).

fn main() -> std::process::ExitCode {
    latent_lab::cli::main()
}
