//! `monban serve`: the IAM and STS server.

use std::path::PathBuf;

use anyhow::Context as _;
use clap::Args;

use crate::Exit;

/// The address `monban serve` listens on unless told otherwise.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:4510";

/// Arguments of `monban serve`.
#[derive(Args)]
pub struct ServeArgs {
    /// Address and port to listen on (port 0 picks a free one)
    #[arg(long, default_value = DEFAULT_LISTEN)]
    listen: String,
    /// Where the database, the encryption key and the audit log live
    #[arg(long, default_value = ".monban")]
    data_dir: PathBuf,
    /// Keep all state in memory (nothing is written to disk, no audit log)
    #[arg(long)]
    ephemeral: bool,
    /// The account created on first start
    #[arg(long, default_value = "123456789012")]
    account_id: String,
    /// Root access key id to install (with --root-secret-access-key); generated when absent
    #[arg(long, env = "MONBAN_ROOT_ACCESS_KEY_ID", requires = "root_secret_access_key")]
    root_access_key_id: Option<String>,
    /// Root secret access key to install
    #[arg(long, env = "MONBAN_ROOT_SECRET_ACCESS_KEY", hide_env_values = true, requires = "root_access_key_id")]
    root_secret_access_key: Option<String>,
    /// The key that encrypts secret access keys at rest, as 64 hex digits; by default a random key
    /// is created in the data directory (`secret.key`, readable only by its owner)
    #[arg(long, env = "MONBAN_SECRET_KEY", hide_env_values = true)]
    secret_key: Option<String>,
    /// Development mode: enables POST /moto-api/reset (and /monban/reset), which wipes all state
    #[arg(long)]
    dev: bool,
}

/// Runs the server until it is stopped.
pub fn run(args: ServeArgs) -> anyhow::Result<Exit> {
    if args.account_id.len() != 12 || !args.account_id.bytes().all(|b| b.is_ascii_digit()) {
        anyhow::bail!("--account-id must be 12 digits, not `{}`", args.account_id);
    }
    let secret_key = args.secret_key.as_deref().map(parse_key).transpose()?;
    let runtime =
        tokio::runtime::Builder::new_multi_thread().enable_all().build().context("cannot start the runtime")?;
    runtime.block_on(async move {
        let config = monban_server::Config {
            account_id: args.account_id.clone(),
            root_access_key_id: args.root_access_key_id,
            root_secret_access_key: args.root_secret_access_key,
            data_dir: (!args.ephemeral).then(|| args.data_dir.clone()),
            dev: args.dev,
            secret_key,
        };
        let listener = tokio::net::TcpListener::bind(&args.listen)
            .await
            .with_context(|| format!("cannot listen on {}", args.listen))?;
        let server = monban_server::Server::start(config).await?;
        if let Some(root) = &server.generated_root {
            let shown = format!(
                "[default]\naws_access_key_id = {}\naws_secret_access_key = {}\n",
                root.access_key_id, root.secret_access_key
            );
            if args.ephemeral {
                eprintln!("root credentials for account {} (shown once):\n{shown}", args.account_id);
            } else {
                let path = args.data_dir.join("root-credentials");
                monban_server::write_private(&path, shown.as_bytes())
                    .with_context(|| format!("cannot write {}", path.display()))?;
                // The secret is not printed: terminals and CI logs keep what they show.
                eprintln!(
                    "root credentials for account {} written to {} (readable only by you)",
                    args.account_id,
                    path.display()
                );
            }
        }
        let address = listener.local_addr()?;
        println!("listening on http://{address}");
        std::io::Write::flush(&mut std::io::stdout())?;
        server.serve(listener).await.context("server stopped")?;
        Ok(Exit::Ok)
    })
}

/// Reads a 32-byte key written as 64 hex digits.
fn parse_key(text: &str) -> anyhow::Result<[u8; 32]> {
    let text = text.trim();
    if text.len() != 64 || !text.bytes().all(|b| b.is_ascii_hexdigit()) {
        anyhow::bail!("--secret-key (MONBAN_SECRET_KEY) must be 64 hex digits");
    }
    let mut key = [0u8; 32];
    for (i, byte) in key.iter_mut().enumerate() {
        *byte = u8::from_str_radix(&text[2 * i..2 * i + 2], 16)?;
    }
    Ok(key)
}
