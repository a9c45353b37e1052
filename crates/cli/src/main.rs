//! `monban`: the one binary. Each subcommand lives in its own module; this file only dispatches and
//! turns results into exit codes.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// mimalloc instead of the system allocator: the engine's request reading, the analyses and the
/// server allocate many small short-lived values, which glibc's allocator serves several times
/// slower (measured on `eval --batch`; figures in the issue notes).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

mod account;
mod actions;
mod audit;
mod check;
mod compare;
mod effective;
mod escalation;
mod eval;
mod generate;
mod lint;
mod plan;
mod serve;
mod simulate;
mod unused;

/// Exit codes shared by every subcommand, so scripts can rely on them (the table is in the README).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// The request was allowed, the check passed, or the command simply succeeded.
    Ok = 0,
    /// The command could not run: unreadable or invalid input, a server that cannot start.
    Error = 1,
    /// The command ran and its answer is "no": denied, failed check, findings at or above the threshold.
    No = 2,
    /// The command line itself is wrong (sysexits' `EX_USAGE`), so a script can tell a typo from "no".
    Usage = 64,
}

/// A mistake in the command line found after parsing (a combination clap cannot express).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct UsageError(pub String);

impl From<Exit> for ExitCode {
    fn from(exit: Exit) -> Self {
        ExitCode::from(exit as u8)
    }
}

#[derive(Parser)]
#[command(name = "monban", version, about = "An AWS-compatible IAM policy engine, server and analyzer")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Decide a request against its policies exactly as AWS does, and explain why
    Eval(eval::EvalArgs),
    /// Look up AWS actions: access levels, resource types, condition keys; summarise a policy
    Actions(actions::ActionsArgs),
    /// Run the IAM, STS and Organizations server that the AWS CLI and SDKs use (SigV4 on every call)
    Serve(serve::ServeArgs),
    /// Accounts of a server's data directory: `account create` adds a standalone one with its root credentials
    Account(account::AccountArgs),
    /// Validate policies as IAM Access Analyzer does: errors, security warnings, warnings, suggestions
    Lint(lint::LintArgs),
    /// Show what NEW allows that EXISTING does not, exactly where decidable
    Compare(compare::CompareArgs),
    /// Access Analyzer's custom policy checks, offline: no-new-access, access-not-granted, no-public-access
    Check(check::CheckArgs),
    /// Audit accounts for the six IAM anti-patterns: credentials, MFA, root, permissions, unused, trust
    Audit(audit::AuditArgs),
    /// Find principals that can escalate to admin-equivalent permissions, with shortest paths
    Escalation(escalation::EscalationArgs),
    /// Show what a principal can do after groups, boundary and SCPs, by service and access level
    Effective(effective::EffectiveArgs),
    /// Generate the least-privilege policy of a principal from its activity, proven by the engine
    Generate(generate::GenerateArgs),
    /// Simulate actions on resources against policies, as IAM's policy simulator does, offline
    Simulate(simulate::SimulateArgs),
    /// Unused roles, users, keys, passwords and permissions, from activity (Access Analyzer's unused access)
    Unused(unused::UnusedArgs),
    /// The four steps' tables: needed permissions, those that can cause unacceptable impacts, and their overlap
    Plan(plan::PlanArgs),
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => {
            // Help and version go to stdout and succeed; every other parse error is a usage error.
            let _ = error.print();
            return if error.use_stderr() { Exit::Usage } else { Exit::Ok }.into();
        }
    };
    let result = match cli.command {
        Command::Eval(args) => eval::run(args),
        Command::Actions(args) => actions::run(args),
        Command::Serve(args) => serve::run(args),
        Command::Account(args) => account::run(args),
        Command::Lint(args) => lint::run(args),
        Command::Compare(args) => compare::run(args),
        Command::Check(args) => check::run(args),
        Command::Audit(args) => audit::run(args),
        Command::Escalation(args) => escalation::run(args),
        Command::Effective(args) => effective::run(args),
        Command::Generate(args) => generate::run(args),
        Command::Simulate(args) => simulate::run(args),
        Command::Unused(args) => unused::run(args),
        Command::Plan(args) => plan::run(args),
    };
    match result {
        Ok(exit) => exit.into(),
        Err(error) => {
            eprintln!("error: {error:#}");
            if error.is::<UsageError>() { Exit::Usage } else { Exit::Error }.into()
        }
    }
}
