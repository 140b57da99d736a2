//! The `clv` command: parses the command line and dispatches to one subcommand.

mod cli;

use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    match cli::run(cli::Cli::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) if cli::is_broken_pipe(&error) => ExitCode::SUCCESS,
        Err(error) => {
            let status = cli::exit_status(&error);
            eprintln!("{}: {error:#}", cli::status_label(status));
            ExitCode::from(status)
        }
    }
}
