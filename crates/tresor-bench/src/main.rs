//! `tresor-bench`: Tresor's load driver. It seeds a server, drives one scenario at a chosen concurrency for a
//! bounded time and reports requests/s, latency percentiles, errors and the server's memory; it also serves the
//! bare hello-world reference and measures the raw Argon2id rate, so that every figure in BENCHMARKS.md comes
//! from one tool on one machine.
// A command-line tool: its results and its progress notes are its output.
#![allow(clippy::print_stdout, clippy::print_stderr)]

mod cpu;
mod driver;
mod events;
mod guess;
mod hello;
mod histogram;
mod kdf;
mod listen;
mod memory;
mod raw;
mod report;
mod scenario;
mod seed;
mod seed_vault;
mod target;
mod vault_http;

use clap::{Parser, Subcommand};
use serde::Serialize;

#[derive(Debug, Parser)]
#[command(version, about = "Load driver for a Tresor server", max_term_width = 110)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Create bench users and groups (idempotent: what exists already is left alone).
    Seed(seed::SeedArgs),
    /// Drive a scenario for a bounded time and report throughput, latency, errors and server memory.
    Run(driver::RunArgs),
    /// Serve the bare axum + rustls hello-world reference on a self-signed certificate.
    Hello(hello::HelloArgs),
    /// Measure the raw Argon2id verification rate at the server's parameters.
    Argon2(kdf::KdfArgs),
    /// Flood one account with wrong passwords from one address while other users log in from another.
    Guess(guess::GuessArgs),
    /// Append server-log events at a steady rate through the real log, its files and a remote TCP receiver.
    Events(events::EventsArgs),
    /// Open many live-stream listeners and measure how long a change takes to reach them all.
    Listen(listen::ListenArgs),
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(e) => return fail(&anyhow::Error::from(e)),
    };
    match runtime.block_on(dispatch(cli.command)) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => fail(&e),
    }
}

async fn dispatch(command: Command) -> anyhow::Result<()> {
    match command {
        Command::Seed(args) => {
            let summary = seed::seed(&args).await?;
            if args.json {
                print_json(&summary)?;
            } else {
                let line =
                    |what: &str, c: &seed::StepCount| format!("{what} {} created, {} existing", c.created, c.existing);
                println!(
                    "seeded in {:.1}s: {}; {}; {}; {}; {}; {}",
                    summary.seconds,
                    line("users", &summary.users),
                    line("groups", &summary.groups),
                    line("memberships", &summary.memberships),
                    line("databases", &summary.vault.databases),
                    line("folders", &summary.vault.folders),
                    line("entries", &summary.vault.entries)
                );
            }
        }
        Command::Run(args) => {
            let report = driver::run(&args).await?;
            if args.json {
                print_json(&report)?;
            } else {
                print!("{}", report.to_text());
            }
        }
        Command::Hello(args) => hello::serve(&args).await?,
        Command::Guess(args) => {
            let report = guess::run(&args).await?;
            if args.json {
                print_json(&report)?;
            } else {
                print!("{}", report.to_text());
            }
        }
        Command::Events(args) => {
            let report = events::run(&args).await?;
            if args.json {
                print_json(&report)?;
            } else {
                print!("{}", report.to_text());
            }
        }
        Command::Listen(args) => {
            let report = listen::run(&args).await?;
            if args.json {
                print_json(&report)?;
            } else {
                print!("{}", report.to_text());
            }
        }
        Command::Argon2(args) => {
            // Synchronous and CPU-bound by design: it owns its threads, the async runtime just waits.
            let report = tokio::task::spawn_blocking(move || kdf::measure(&args).map(|r| (r, args.json))).await??;
            if report.1 {
                print_json(&report.0)?;
            } else {
                print!("{}", report.0.to_text());
            }
        }
    }
    Ok(())
}

fn print_json(value: &impl Serialize) -> anyhow::Result<()> {
    println!("{}", serde_json::to_string(value)?);
    Ok(())
}

/// The one-line reason convention of every Tresor command.
fn fail(e: &anyhow::Error) -> std::process::ExitCode {
    eprintln!("tresor-bench: {e:#}");
    std::process::ExitCode::FAILURE
}
