//! `monban eval`: one request or a batch of them through the policy engine.

use clap::Args;

use crate::Exit;

/// Arguments of `monban eval`.
#[derive(Args)]
pub struct EvalArgs {
    /// The request file (docs/request-format.md), or `-` for standard input
    request: Option<std::path::PathBuf>,
}

/// Runs `monban eval`.
pub fn run(_args: EvalArgs) -> anyhow::Result<Exit> {
    anyhow::bail!("not yet implemented")
}
