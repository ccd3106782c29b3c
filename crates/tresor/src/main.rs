//! The `tresor` binary: the server, the administrator's console and the user's client in one.
// A command-line program prints: its results go to stdout and its questions and errors to stderr.
#![allow(clippy::print_stdout, clippy::print_stderr)]

mod cli;

use std::process::ExitCode;

use clap::Parser;

use crate::cli::Cli;
#[cfg(feature = "server")]
use crate::cli::{Command, ConfigCommand};

fn main() -> ExitCode {
    // Usage errors, --help and --version exit here, with clap's status (2 for a usage error).
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(err) => {
            eprintln!("error: cannot start the async runtime: {err}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(dispatch(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("{}", cli::error_line(&err));
            ExitCode::FAILURE
        }
    }
}

async fn dispatch(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        #[cfg(feature = "server")]
        Command::Server(args) => tresor::server::run(args).await,
        #[cfg(feature = "server")]
        Command::Config { command: ConfigCommand::Check { file } } => {
            tresor::config::check(&file)?;
            println!("{}: the configuration is valid", file.display());
            Ok(())
        }
        command => cli::run(&cli.global, command).await,
    }
}
