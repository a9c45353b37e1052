//! `monban serve`: the IAM and STS server.

use std::io::Write as _;
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
    #[arg(long, default_value = "123456789012", value_parser = parse_account_id)]
    account_id: String,
    /// The account's partition (aws, aws-cn or aws-us-gov): its ARNs and the regions requests may
    /// be signed for; fixed when the account is created
    #[arg(long, default_value = "aws", value_parser = parse_partition)]
    partition: monban_server::Partition,
    /// Root access key id to install (with --root-secret-access-key); generated when absent
    #[arg(long, env = "MONBAN_ROOT_ACCESS_KEY_ID", requires = "root_secret_access_key")]
    root_access_key_id: Option<String>,
    /// Root secret access key to install
    #[arg(long, env = "MONBAN_ROOT_SECRET_ACCESS_KEY", hide_env_values = true, requires = "root_access_key_id")]
    root_secret_access_key: Option<String>,
    /// The key that encrypts secret access keys at rest, as 64 hex digits; by default a random key
    /// is created in the data directory (`secret.key`, readable only by its owner)
    #[arg(long, env = "MONBAN_SECRET_KEY", hide_env_values = true, value_parser = parse_key)]
    secret_key: Option<[u8; 32]>,
    /// Development mode: enables POST /moto-api/reset (and /monban/reset), which wipes all state
    #[arg(long)]
    dev: bool,
    /// Print nothing per request (by default one line per call on stderr)
    #[arg(long)]
    quiet: bool,
    /// The per-request lines on stderr: text or json
    #[arg(long, value_enum, default_value = "text")]
    log_format: LogFormat,
    /// With --ephemeral: also write the CloudTrail-format audit log to this file
    #[arg(long, requires = "ephemeral")]
    audit_log: Option<PathBuf>,
}

fn parse_partition(text: &str) -> Result<monban_server::Partition, String> {
    monban_server::Partition::parse(text)
        .ok_or_else(|| format!("`{text}` is not a partition (aws, aws-cn or aws-us-gov)"))
}

/// The format of the per-request lines.
#[derive(Clone, Copy, clap::ValueEnum)]
enum LogFormat {
    /// `TIME CALLER ACTION RESULT[: MESSAGE]`.
    Text,
    /// One JSON object per line.
    Json,
}

/// Runs the server until it is stopped.
pub fn run(args: ServeArgs) -> anyhow::Result<Exit> {
    let secret_key = args.secret_key;
    let runtime =
        tokio::runtime::Builder::new_multi_thread().enable_all().build().context("cannot start the runtime")?;
    let root_given = args.root_access_key_id.is_some();
    runtime.block_on(async move {
        let config = monban_server::Config {
            account_id: args.account_id.clone(),
            root_access_key_id: args.root_access_key_id,
            root_secret_access_key: args.root_secret_access_key,
            data_dir: (!args.ephemeral).then(|| args.data_dir.clone()),
            dev: args.dev,
            secret_key,
            request_log: match (args.quiet, args.log_format) {
                (true, _) => monban_server::RequestLog::Off,
                (false, LogFormat::Text) => monban_server::RequestLog::Text,
                (false, LogFormat::Json) => monban_server::RequestLog::Json,
            },
            audit_log: args.audit_log.clone(),
            partition: args.partition,
        };
        let listener = tokio::net::TcpListener::bind(&args.listen)
            .await
            .with_context(|| format!("cannot listen on {}", args.listen))?;
        let server = monban_server::Server::start(config).await?;
        let endpoint = format!("http://{}", listener.local_addr()?);
        let region = args.partition.iam_region().to_string();
        let mut exports = vec![("AWS_ENDPOINT_URL", endpoint.clone()), ("AWS_DEFAULT_REGION", region)];
        let mut credentials_file = args.data_dir.join("root-credentials");
        match (&server.generated_root, args.ephemeral) {
            // In memory, the credentials exist nowhere else: shown once.
            (Some(root), true) => {
                exports.push(("AWS_ACCESS_KEY_ID", root.access_key_id.clone()));
                exports.push(("AWS_SECRET_ACCESS_KEY", root.secret_access_key.clone()));
            }
            (Some(root), false) => {
                credentials_file = write_root_credentials(&args.data_dir, "root-credentials", root)?;
                eprintln!("root credentials for account {} written to {}", args.account_id, credentials_file.display());
            }
            (None, _) => {}
        }
        if !args.ephemeral && !root_given && credentials_file.is_file() {
            // Point at the file rather than print the secret: terminals and CI logs keep what they show.
            let absolute = std::fs::canonicalize(&credentials_file)?;
            exports.push(("AWS_SHARED_CREDENTIALS_FILE", absolute.display().to_string()));
            exports.push(("AWS_PROFILE", "default".to_string()));
        }
        let line: Vec<String> = exports.iter().map(|(k, v)| format!("{k}={}", shell_quote(v))).collect();
        // A reader that closes stdout after the first line (a harness waiting for the address) must
        // not stop the server: write errors are ignored.
        let mut stdout = std::io::stdout().lock();
        let _ = writeln!(stdout, "listening on {endpoint}\nexport {}", line.join(" "));
        let _ = stdout.flush();
        drop(stdout);
        // Ctrl-C or SIGTERM: finish the calls in flight, write the audit queue, remove an in-memory
        // database's directory.
        server.serve_until(listener, stopped()).await.context("server stopped")?;
        Ok(Exit::Ok)
    })
}

/// Completes on Ctrl-C or, on Unix, SIGTERM.
async fn stopped() {
    let interrupt = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    {
        let terminate = async {
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(mut signal) => {
                    signal.recv().await;
                }
                Err(_) => std::future::pending::<()>().await,
            }
        };
        tokio::select! {
            () = interrupt => {}
            () = terminate => {}
        }
    }
    #[cfg(not(unix))]
    interrupt.await;
}

/// Writes generated root credentials as the AWS CLI's credentials file (profile `default`), readable
/// only by its owner, as `name` in `dir`. An existing file is never overwritten: the new file is
/// named after its key instead.
pub(crate) fn write_root_credentials(
    dir: &std::path::Path,
    name: &str,
    root: &monban_server::RootCredentials,
) -> anyhow::Result<PathBuf> {
    let contents = format!(
        "[default]\naws_access_key_id = {}\naws_secret_access_key = {}\n",
        root.access_key_id, root.secret_access_key
    );
    let mut path = dir.join(name);
    if path.exists() {
        path = dir.join(format!("root-credentials.{}", root.access_key_id));
    }
    monban_server::write_private(&path, contents.as_bytes())
        .with_context(|| format!("cannot write {}", path.display()))?;
    Ok(path)
}

/// A value as a POSIX shell word.
fn shell_quote(value: &str) -> String {
    let plain = |c: char| c.is_ascii_alphanumeric() || "+-./:=_@%,".contains(c);
    if !value.is_empty() && value.chars().all(plain) {
        value.to_string()
    } else {
        format!("'{}'", value.replace('\'', "'\\''"))
    }
}

/// An account id is 12 digits; anything else is a usage error before the server starts.
pub(crate) fn parse_account_id(text: &str) -> Result<String, String> {
    if text.len() == 12 && text.bytes().all(|b| b.is_ascii_digit()) {
        Ok(text.to_owned())
    } else {
        Err("an account id is 12 digits".to_owned())
    }
}

/// Reads a 32-byte key written as 64 hex digits.
pub(crate) fn parse_key(text: &str) -> Result<[u8; 32], String> {
    let bytes = hex::decode(text.trim()).ok().filter(|b| b.len() == 32);
    bytes.and_then(|b| b.try_into().ok()).ok_or_else(|| "the key is 64 hex digits".to_owned())
}
