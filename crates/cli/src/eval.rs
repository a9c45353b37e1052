//! `monban eval`: one request, or a batch of them, through the policy engine.

use std::io::{Read, Write};
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
    /// With --batch: a JSON object of named policies that lines refer to as `{"ref": "NAME"}`
    /// wherever a policy goes, so that a line carries a name instead of a document
    #[arg(long, requires = "batch")]
    policies: Option<PathBuf>,
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
        let library = match &args.policies {
            Some(path) => Some((read(path)?, path)),
            None => None,
        };
        return run_batch(batch, library.as_ref().map(|(text, path)| (text.as_str(), *path)));
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

/// Input is read in blocks of about this many bytes (cut at a line end); each block's lines are
/// decided by every core while the next block is read.
const BLOCK_BYTES: usize = 4 << 20;

/// Lines a thread takes at a time: small enough to share the end of a block evenly, large enough
/// that taking them costs nothing.
const LINES_PER_RUN: usize = 256;

/// Writes the answer to one batch line.
fn decide_line(number: usize, line: &str, compiled: &mut monban_policy::input::PolicyCache, out: &mut String) {
    use std::fmt::Write as _;
    match EvaluationInput::from_json_with(line, compiled) {
        // The id is echoed as written; the line is not parsed a second time for it.
        Ok(input) => {
            let decision = authorize(&input.request, &input.policies).outcome.as_str();
            out.push_str("{\"id\":");
            out.push_str(input.id.as_deref().unwrap_or("null"));
            out.push_str(",\"decision\":\"");
            out.push_str(decision);
            out.push_str("\"}\n");
        }
        Err(e) => {
            let id = serde_json::from_str::<Value>(line).ok().and_then(|v| v.get("id").cloned());
            let answer = json!({"id": id.unwrap_or(Value::Null), "error": format!("line {}: {e}", number + 1)});
            let _ = writeln!(out, "{answer}");
        }
    }
}

/// Fills `block` with the next whole lines: what `carry` held plus what `reader` gives, up to
/// about [`BLOCK_BYTES`], cut after the last line end (the rest is carried to the next block).
/// Empty at the end of the input. The block's memory is reused from one block to the next.
fn next_block(reader: &mut dyn Read, carry: &mut Vec<u8>, block: &mut Vec<u8>) -> std::io::Result<()> {
    const READ: usize = 1 << 20;
    block.clear();
    block.append(carry);
    let mut last_line_end = block.iter().rposition(|&b| b == b'\n');
    loop {
        if block.len() >= BLOCK_BYTES {
            if let Some(end) = last_line_end {
                carry.extend_from_slice(&block[end + 1..]);
                block.truncate(end + 1);
                return Ok(());
            }
        }
        let before = block.len();
        // `read_to_end` on a bounded reader appends without zeroing the memory first (and retries
        // interrupted reads).
        let n = match (&mut *reader).take(READ as u64).read_to_end(block) {
            Ok(n) => n,
            Err(e) => {
                block.truncate(before);
                return Err(e);
            }
        };
        if n == 0 {
            return Ok(());
        }
        if let Some(k) = block[before..].iter().rposition(|&b| b == b'\n') {
            last_line_end = Some(before + k);
        }
    }
}

/// `--batch`: one JSON request per line in, one answer per line out, in order. Lines are decided
/// on every core, each worker with its own compiled-policy cache, so a batch that shares its
/// policies costs reading its requests; with a policy library (`--policies`), lines name their
/// policies and cost little more than their action, resource and context. Input is read in
/// blocks, the next while the current one is decided.
fn run_batch(path: &PathBuf, library: Option<(&str, &PathBuf)>) -> anyhow::Result<Exit> {
    let mut reader: Box<dyn Read + Send> = if path.as_os_str() == "-" {
        Box::new(std::io::stdin())
    } else {
        Box::new(std::fs::File::open(path).with_context(|| format!("cannot read `{}`", path.display()))?)
    };
    let workers = std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get);
    let cache = || -> anyhow::Result<monban_policy::input::PolicyCache> {
        match library {
            None => Ok(Default::default()),
            Some((text, file)) => monban_policy::input::PolicyCache::with_library(text)
                .map_err(|e| anyhow::anyhow!("{}: {e}", file.display())),
        }
    };
    // One thread per core, this one included (it reads, then decides), each with its own cache.
    let mut caches: Vec<monban_policy::input::PolicyCache> =
        (0..workers.max(1)).map(|_| cache()).collect::<Result<_, _>>()?;
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let mut carry = Vec::new();
    let mut first_line = 0;
    // Two blocks: one decided while the other is read.
    let mut bytes = Vec::with_capacity(BLOCK_BYTES * 2);
    let mut spare = Vec::with_capacity(BLOCK_BYTES * 2);
    let mut read = next_block(&mut reader, &mut carry, &mut bytes);
    loop {
        // A read error ends the run; the lines of the blocks before it were answered.
        if let Err(e) = read {
            out.flush()?;
            return Err(anyhow::Error::new(e).context(format!(
                "cannot read line {} of `{}`",
                first_line + 1,
                path.display()
            )));
        }
        if bytes.is_empty() {
            break;
        }
        let text = match std::str::from_utf8(&bytes) {
            Ok(text) => text,
            Err(e) => {
                out.flush()?;
                let line = first_line + bytes[..e.valid_up_to()].iter().filter(|&&b| b == b'\n').count();
                anyhow::bail!("line {} of `{}` is not UTF-8", line + 1, path.display());
            }
        };
        let mut lines: Vec<(usize, &str)> = Vec::with_capacity(text.len() / 256);
        let mut count = 0;
        for (k, line) in text.split_terminator('\n').enumerate() {
            count = k + 1;
            let line = line.strip_suffix('\r').unwrap_or(line);
            if !line.trim().is_empty() {
                lines.push((first_line + k, line));
            }
        }
        first_line += count;
        // Lines are taken in small runs from a shared counter, by every worker and, once it has
        // read the next block, by this thread too: no one waits while work is left.
        let runs: Vec<&[(usize, &str)]> = lines.chunks(LINES_PER_RUN).collect();
        let taken = std::sync::atomic::AtomicUsize::new(0);
        let work = |cache: &mut monban_policy::input::PolicyCache| {
            let mut done: Vec<(usize, String)> = Vec::new();
            loop {
                let k = taken.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let Some(run) = runs.get(k) else { return done };
                let mut answers = String::with_capacity(run.len() * 40);
                for (n, line) in run.iter() {
                    decide_line(*n, line, cache, &mut answers);
                }
                done.push((k, answers));
            }
        };
        let (mine, helpers) = caches.split_at_mut(1);
        let (answers, next) = std::thread::scope(|scope| {
            let running: Vec<_> = helpers.iter_mut().map(|cache| scope.spawn(|| work(cache))).collect();
            // The next block is read while this one is decided, then this thread helps.
            let next = next_block(&mut reader, &mut carry, &mut spare);
            let mut answers = work(&mut mine[0]);
            for worker in running {
                match worker.join() {
                    Ok(done) => answers.extend(done),
                    Err(_) => return (Err(anyhow::anyhow!("a batch worker stopped unexpectedly")), next),
                }
            }
            (Ok(answers), next)
        });
        let mut answers = answers?;
        answers.sort_unstable_by_key(|(k, _)| *k);
        for (_, answer) in answers {
            out.write_all(answer.as_bytes())?;
        }
        read = next;
        std::mem::swap(&mut bytes, &mut spare);
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
