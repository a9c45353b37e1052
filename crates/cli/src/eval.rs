//! `monban eval`: one request, or a batch of them, through the policy engine.

use std::io::{BufRead, Write};
use std::path::PathBuf;

use anyhow::Context as _;
use clap::{Args, ValueEnum};
use monban_policy::eval::{Explanation, StatementNote};
use monban_policy::{authorize, explain, EvaluationInput, Outcome};
use serde_json::{json, Value};

use crate::Exit;

/// How results are printed.
#[derive(Clone, Copy, ValueEnum)]
pub enum Format {
    /// For people.
    Text,
    /// One JSON object.
    Json,
}

/// Arguments of `monban eval`.
#[derive(Args)]
pub struct EvalArgs {
    /// The request file (docs/request-format.md), or `-` for standard input
    #[arg(required_unless_present = "batch")]
    request: Option<PathBuf>,
    /// Evaluate a JSON Lines file (or `-`) of requests, each with an optional `id`; prints one JSON
    /// line per request with `id` and `decision` (or `error`)
    #[arg(long, conflicts_with = "request")]
    batch: Option<PathBuf>,
    /// Output format
    #[arg(long, value_enum, default_value = "text")]
    format: Format,
}

fn read(path: &PathBuf) -> anyhow::Result<String> {
    if path.as_os_str() == "-" {
        let mut text = String::new();
        std::io::Read::read_to_string(&mut std::io::stdin(), &mut text).context("cannot read standard input")?;
        Ok(text)
    } else {
        std::fs::read_to_string(path).with_context(|| format!("cannot read `{}`", path.display()))
    }
}

/// Runs `monban eval`: exit 0 when allowed, 2 when denied, 1 on error (a batch exits 0 unless the
/// run itself fails).
pub fn run(args: EvalArgs) -> anyhow::Result<Exit> {
    if let Some(batch) = &args.batch {
        return run_batch(batch);
    }
    let Some(path) = &args.request else {
        return Err(crate::UsageError("give a request file or --batch".into()).into());
    };
    let text = read(path)?;
    let input = EvaluationInput::from_json(&text).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
    let explanation = explain(&input.request, &input.policies);
    let mut out = std::io::stdout().lock();
    match args.format {
        Format::Json => {
            serde_json::to_writer_pretty(&mut out, &explanation)?;
            writeln!(out)?;
        }
        Format::Text => write_text(&mut out, &input, &explanation)?,
    }
    Ok(if explanation.decision == Outcome::Allow { Exit::Ok } else { Exit::No })
}

/// Lines decided together: each worker takes a share of a chunk, and the chunk's answers are
/// written in input order before the next is read.
const CHUNK_LINES: usize = 4_096;

/// The answer to one batch line.
fn decide_line(number: usize, line: &str, compiled: &mut monban_policy::input::PolicyCache) -> String {
    match EvaluationInput::from_json_with(line, compiled) {
        // The id is echoed as written; the line is not parsed a second time for it.
        Ok(input) => {
            let decision = authorize(&input.request, &input.policies).outcome.as_str();
            format!("{{\"id\":{},\"decision\":\"{decision}\"}}", input.id.as_deref().unwrap_or("null"))
        }
        Err(e) => {
            let id = serde_json::from_str::<Value>(line).ok().and_then(|v| v.get("id").cloned());
            json!({"id": id.unwrap_or(Value::Null), "error": format!("line {}: {e}", number + 1)}).to_string()
        }
    }
}

/// `--batch`: one JSON request per line in, one answer per line out, in order. Lines are decided
/// on every core, each worker with its own compiled-policy cache, so a batch that shares its
/// policies costs reading its requests.
fn run_batch(path: &PathBuf) -> anyhow::Result<Exit> {
    let reader: Box<dyn BufRead> = if path.as_os_str() == "-" {
        Box::new(std::io::stdin().lock())
    } else {
        let file = std::fs::File::open(path).with_context(|| format!("cannot read `{}`", path.display()))?;
        Box::new(std::io::BufReader::new(file))
    };
    let workers = std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get);
    let mut caches: Vec<monban_policy::input::PolicyCache> = (0..workers).map(|_| Default::default()).collect();
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let mut lines = reader.lines().enumerate();
    loop {
        let mut chunk = Vec::with_capacity(CHUNK_LINES);
        // A line that cannot be read ends the run, after the lines before it are answered.
        let mut failed = None;
        for (number, line) in lines.by_ref().take(CHUNK_LINES) {
            match line {
                Ok(line) if line.trim().is_empty() => {}
                Ok(line) => chunk.push((number, line)),
                Err(e) => {
                    failed = Some(anyhow::Error::new(e).context(format!(
                        "cannot read line {} of `{}`",
                        number + 1,
                        path.display()
                    )));
                    break;
                }
            }
        }
        if chunk.is_empty() && failed.is_none() {
            break;
        }
        let share = chunk.len().div_ceil(workers).max(1);
        let answers = std::thread::scope(|scope| {
            let running: Vec<_> = chunk
                .chunks(share)
                .zip(caches.iter_mut())
                .map(|(part, cache)| {
                    scope.spawn(move || part.iter().map(|(n, line)| decide_line(*n, line, cache)).collect::<Vec<_>>())
                })
                .collect();
            running
                .into_iter()
                .map(|worker| worker.join().map_err(|_| anyhow::anyhow!("a batch worker stopped unexpectedly")))
                .collect::<anyhow::Result<Vec<Vec<String>>>>()
        })?;
        for answer in answers.iter().flatten() {
            writeln!(out, "{answer}")?;
        }
        if let Some(failed) = failed {
            out.flush()?;
            return Err(failed);
        }
    }
    out.flush()?;
    Ok(Exit::Ok)
}

fn statement_line(n: &StatementNote) -> String {
    let effect = match n.effect {
        monban_policy::Effect::Allow => "Allow",
        monban_policy::Effect::Deny => "Deny ",
    };
    let detail = match n.result {
        "applies" => match n.principal {
            Some(p) => format!(
                "applies (principal named: {})",
                serde_json::to_value(p).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default()
            ),
            None => "applies".to_string(),
        },
        "condition_failed" => format!(
            "condition failed: {} on `{}`{}",
            n.operator.as_deref().unwrap_or_default(),
            n.key.as_deref().unwrap_or_default(),
            if n.key_missing == Some(true) { " (key not in the context)" } else { "" }
        ),
        other => other.replace('_', " "),
    };
    format!("[{effect}] statement {}: {detail}", n.statement)
}

fn write_text(out: &mut impl Write, input: &EvaluationInput, e: &Explanation) -> std::io::Result<()> {
    let request = &input.request;
    let who = request.caller.arn.as_deref().unwrap_or("anonymous");
    writeln!(out, "{}: {who} → {} on {}", e.decision.as_str(), request.action(), request.resource)?;
    match (e.decision, e.missing_allow) {
        (Outcome::ImplicitDeny, Some(missing)) => {
            writeln!(out, "  because no {} allows {}", missing.phrase(), request.action())?;
        }
        (Outcome::ExplicitDeny, _) => writeln!(out, "  because a Deny statement applies")?,
        _ => {}
    }
    if !e.deciding_statements.is_empty() {
        writeln!(out, "deciding statements:")?;
        for n in &e.deciding_statements {
            writeln!(out, "  {} {}: {}", n.policy_type.phrase(), n.policy, statement_line(n))?;
        }
    }
    writeln!(out, "policies:")?;
    for p in &e.policies {
        let level = p.level.map(|l| format!(" level {l}")).unwrap_or_default();
        let name = p.name.as_deref().map(|n| format!(" ({n})")).unwrap_or_default();
        let applies = if p.applies { "" } else { " — does not apply to this caller" };
        writeln!(out, "  {}{level} #{}{name}{applies}", p.policy_type.phrase(), p.index)?;
        for s in &p.statements {
            writeln!(out, "    {}", statement_line(s))?;
        }
    }
    Ok(())
}
