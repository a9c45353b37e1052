//! `monban account create`: another standalone account in a server's data directory, with its
//! own root user, written as a credentials file readable only by its owner, as `serve` writes the
//! first one. Run it while the server is stopped (the data directory is locked while it runs).

use std::path::PathBuf;

use anyhow::Context as _;
use clap::{Args, Subcommand};

use crate::serve::{parse_account_id, parse_key, write_root_credentials};
use crate::Exit;

#[derive(Args)]
pub struct AccountArgs {
    #[command(subcommand)]
    command: AccountCommand,
}

#[derive(Subcommand)]
enum AccountCommand {
    /// Create a standalone account with new root credentials in a stopped server's data directory
    Create(CreateArgs),
}

#[derive(Args)]
struct CreateArgs {
    /// The data directory of a server started once before
    #[arg(long, default_value = ".monban")]
    data_dir: PathBuf,
    /// The new account's id (12 digits); a new one is made when absent
    #[arg(long, value_parser = parse_account_id)]
    account_id: Option<String>,
    /// The key that encrypts secrets at rest, when the server is started with one (64 hex digits)
    #[arg(long, env = "MONBAN_SECRET_KEY", hide_env_values = true, value_parser = parse_key)]
    secret_key: Option<[u8; 32]>,
}

pub fn run(args: AccountArgs) -> anyhow::Result<Exit> {
    let AccountCommand::Create(args) = args.command;
    let runtime =
        tokio::runtime::Builder::new_current_thread().enable_all().build().context("cannot start the runtime")?;
    let (account, root) = runtime.block_on(monban_server::Server::create_account(
        &args.data_dir,
        args.account_id.as_deref(),
        args.secret_key,
    ))?;
    let file = write_root_credentials(&args.data_dir, &format!("root-credentials.{account}"), &root)?;
    println!("{account}");
    eprintln!("root credentials for account {account} written to {}", file.display());
    Ok(Exit::Ok)
}
