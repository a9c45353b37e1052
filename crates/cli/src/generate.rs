//! `monban generate`: least privilege from activity. The policy that allows what a principal was
//! seen doing in CloudTrail records or monban's audit log, and nothing else, proven by the engine.

use std::io::Write;
use std::path::PathBuf;

use clap::{Args, ValueEnum};
use monban_analyzer::activity::{generate, records};
use monban_catalog::Catalog;

use crate::compare::read_policy;
use crate::Exit;

/// What `generate` prints.
#[derive(Clone, Copy, ValueEnum)]
pub enum Format {
    /// The policy document alone, ready for `aws iam put-role-policy` (a list of documents, with a
    /// warning, when one cannot hold it within IAM's size quota).
    Policy,
    /// For people: the proof, what was granted on any resource, what was denied or unknown.
    Report,
    /// Everything as one JSON object.
    Json,
}

/// Arguments of `monban generate`.
#[derive(Args)]
pub struct GenerateArgs {
    /// CloudTrail log files or directories of them, `aws cloudtrail lookup-events` output, or
    /// monban's audit.log
    #[arg(required = true)]
    sources: Vec<PathBuf>,
    /// The user, role (all its sessions) or assumed-role session (ARN); without it, one policy for
    /// each principal the records show
    #[arg(long)]
    principal: Option<String>,
    /// A policy the principal has now: the report adds what it grants that was never used
    #[arg(long)]
    existing: Option<PathBuf>,
    /// Only calls from this time on (ISO 8601 in UTC, as CloudTrail writes it: 2026-12-01 or
    /// 2026-12-01T09:30:00Z)
    #[arg(long, value_parser = parse_time)]
    since: Option<String>,
    /// Only calls before this time (same form)
    #[arg(long, value_parser = parse_time)]
    until: Option<String>,
    /// Grant more than this many resources under one path prefix as `prefix*`
    #[arg(long, default_value_t = generate::COLLAPSE)]
    collapse: usize,
    /// Output format
    #[arg(long, value_enum, default_value = "policy")]
    format: Format,
}

/// What each principal did in the records of `sources` within `window` (`since` inclusive,
/// `until` exclusive, either open): one [`generate::Generated`] per principal, or for `principal`
/// alone (the policy that allows nothing when it made no call). Events stream through; memory holds
/// what they add up to.
pub fn activity(
    catalog: &Catalog,
    sources: &[PathBuf],
    principal: Option<&str>,
    window: (Option<&str>, Option<&str>),
    collapse: usize,
) -> anyhow::Result<Vec<generate::Generated>> {
    let mut activity = generate::Activity::new(catalog).collapse_over(collapse);
    let mut seen = records::Seen::default();
    let (since, until) = (window.0.unwrap_or(""), window.1);
    records::read(sources, |event| {
        let in_window = event.time.as_str() >= since && until.is_none_or(|until| event.time.as_str() < until);
        if !in_window || !seen.first(&event) {
            return;
        }
        match principal {
            Some(principal) if generate::is_of(principal, &event) => activity.add(principal, &event),
            Some(_) => {}
            None => {
                if let Some(principal) = generate::principal_of(&event) {
                    activity.add(&principal, &event);
                }
            }
        }
    })?;
    let mut all = activity.finish();
    if let (Some(principal), true) = (principal, all.is_empty()) {
        // A principal with no calls: the policy that allows nothing.
        all = vec![generate::generate(catalog, principal, &[])];
    }
    Ok(all)
}

/// Runs `monban generate`: exit 0 when the engine allows every call each policy was generated
/// from with it, 2 when it does not (which would be a defect), 1 on error.
pub fn run(args: GenerateArgs) -> anyhow::Result<Exit> {
    let catalog = Catalog::embedded()?;
    let window = (args.since.as_deref(), args.until.as_deref());
    let all = activity(catalog, &args.sources, args.principal.as_deref(), window, args.collapse)?;
    let existing = args.existing.as_deref().map(read_policy).transpose()?;
    let mut out = std::io::stdout().lock();
    let mut proven = true;
    let mut documents = serde_json::Map::new();
    let mut reports = Vec::new();
    for generated in &all {
        let principal = &generated.principal;
        proven &= generated.verified_calls == generated.allowed_calls;
        let unused = existing.as_ref().and_then(|p| generated.unused(catalog, p));
        match args.format {
            Format::Policy if generated.split.is_empty() => {
                documents.insert(principal.clone(), generated.document.clone());
            }
            Format::Policy => {
                // Over the managed-policy size quota: the policies that together hold it.
                eprintln!(
                    "warning: the policy of {principal} is over IAM's {}-character quota for a managed policy; \
                     printed as {} policies that each fit",
                    monban_policy::quotas::Quota::PolicySize.value(),
                    generated.split.len()
                );
                documents.insert(principal.clone(), serde_json::Value::Array(generated.split.clone()));
            }
            Format::Report => {
                let mut text = generated.to_text();
                if let (Some(unused), Some(path)) = (&unused, &args.existing) {
                    text.push_str(&format!(
                        "\ngranted by {} but never used:\n{}",
                        path.display(),
                        unused.to_text(catalog)
                    ));
                }
                reports.push(serde_json::Value::String(text));
            }
            Format::Json => {
                let mut report = generated.to_json();
                if let Some(unused) = &unused {
                    report["unused"] = unused.to_json(catalog);
                }
                reports.push(report);
            }
        }
    }
    match (args.format, &args.principal) {
        // One principal: its policy alone, ready for `aws iam put-role-policy`.
        (Format::Policy, Some(principal)) => {
            let document = documents.remove(principal).unwrap_or_default();
            writeln!(out, "{}", serde_json::to_string_pretty(&document)?)?;
        }
        (Format::Policy, None) => writeln!(out, "{}", serde_json::to_string_pretty(&documents)?)?,
        (Format::Report, _) => {
            let texts: Vec<&str> = reports.iter().filter_map(serde_json::Value::as_str).collect();
            write!(out, "{}", texts.join("\n"))?;
        }
        (Format::Json, _) => writeln!(out, "{}", serde_json::to_string_pretty(&reports)?)?,
    }
    Ok(if proven { Exit::Ok } else { Exit::No })
}

/// A time as CloudTrail writes `eventTime` (`2026-12-01T09:30:00Z`, UTC), or a date: either is
/// compared as text with `eventTime`, which only these two forms allow.
fn parse_time(text: &str) -> Result<String, String> {
    let digits = |part: &str, n: usize| part.len() == n && part.bytes().all(|b| b.is_ascii_digit());
    let date_ok = |date: &str| matches!(date.split('-').collect::<Vec<_>>()[..], [y, m, d] if digits(y, 4) && digits(m, 2) && digits(d, 2));
    let ok = match text.split_once('T') {
        None => date_ok(text),
        Some((date, time)) => {
            date_ok(date)
                && time.strip_suffix('Z').is_some_and(|t| {
                    matches!(t.split(':').collect::<Vec<_>>()[..], [h, m, sec] if digits(h, 2) && digits(m, 2) && digits(sec, 2))
                })
        }
    };
    if ok {
        Ok(text.to_string())
    } else {
        Err("a UTC time is 2026-12-01 or 2026-12-01T09:30:00Z".into())
    }
}
