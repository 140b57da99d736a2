//! The command-line interface: one file per subcommand over the library.

mod fit;
mod predict;
mod progress;
mod simulate;
mod summarize;

use clap::{Parser, Subcommand};

/// clv: customer lifetime value from a purchase log.
#[derive(Parser, Debug)]
#[command(name = "clv", version, about, long_about = None, propagate_version = true)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Summarise a purchase log per customer: frequency, recency, age (T), mean spend, and the holdout.
    Summarize(summarize::SummarizeArgs),
    /// Fit a purchase-count model (BG/NBD, Pareto/NBD) to a summary by maximum likelihood.
    Fit(fit::FitArgs),
    /// Predict per customer: expected purchases over a horizon and P(alive).
    Predict(predict::PredictArgs),
    /// Draw a synthetic purchase log (or summary) from a model file.
    Simulate(simulate::SimulateArgs),
}

/// Runs the chosen subcommand.
pub fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Summarize(args) => summarize::run(args),
        Command::Fit(args) => fit::run(args),
        Command::Predict(args) => predict::run(args),
        Command::Simulate(args) => simulate::run(args),
    }
}

/// True when the error is a closed standard output (`clv summarize ... | head`): not a failure.
pub fn is_broken_pipe(error: &anyhow::Error) -> bool {
    error
        .chain()
        .any(|cause| cause.downcast_ref::<std::io::Error>().is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe))
}
