//! The credential report (IAM User Guide, "Generate credential reports for your AWS account"):
//! one CSV row for the root user and each IAM user with the state of their password, MFA, access
//! keys and signing certificates. The CSV is the one `monban audit --credential-report` reads.

use std::time::{Duration, SystemTime};

use base64::Engine as _;
use monban_store::{AccessKey, UserCredentialKind};
use serde_json::{json, Value};

use super::*;

/// A report older than this is expired and a new one can be generated (the user guide: "If the
/// existing report is more than four hours old, IAM generates a new one").
const REPORT_LIFETIME: Duration = Duration::from_secs(4 * 3600);

/// The columns, in AWS's order.
const HEADER: &str = "user,arn,user_creation_time,password_enabled,password_last_used,password_last_changed,\
password_next_rotation,mfa_active,access_key_1_active,access_key_1_last_rotated,access_key_1_last_used_date,\
access_key_1_last_used_region,access_key_1_last_used_service,access_key_2_active,access_key_2_last_rotated,\
access_key_2_last_used_date,access_key_2_last_used_region,access_key_2_last_used_service,cert_1_active,\
cert_1_last_rotated,cert_2_active,cert_2_last_rotated";

/// A generated report: when, and its CSV.
#[derive(Debug, Clone)]
pub(crate) struct CredentialReport {
    generated: SystemTime,
    csv: String,
}

/// A CSV field (RFC 4180): quoted when it holds a comma, a quote or a line break, as IAM user names
/// and paths may hold commas.
fn field(text: &str) -> String {
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_string()
    }
}

/// The report's time form: ISO 8601 with a `+00:00` offset.
fn time(iso: &str) -> String {
    iso.strip_suffix('Z').map_or_else(|| iso.to_string(), |t| format!("{t}+00:00"))
}

fn or_na(value: Option<&str>) -> String {
    value.map_or_else(|| "N/A".to_string(), time)
}

/// The five columns of an access key.
fn key_columns(key: Option<&AccessKey>) -> [String; 5] {
    match key {
        None => ["false".into(), "N/A".into(), "N/A".into(), "N/A".into(), "N/A".into()],
        Some(k) => [
            (k.status == "Active").to_string(),
            time(&k.created),
            or_na(k.last_used.as_deref()),
            k.last_used_region.clone().unwrap_or_else(|| "N/A".into()),
            k.last_used_service.clone().unwrap_or_else(|| "N/A".into()),
        ],
    }
}

async fn build(call: &Call<'_>) -> Result<String, ApiError> {
    let (store, account) = (&call.state.store, call.account());
    let policy = store.password_policy(account).await?;
    let mut rows = vec![HEADER.to_string()];
    let root_keys = store.access_keys(account, None).await?;
    let created = store.account_created(account).await?.unwrap_or_else(|| call.now());
    let mut root = vec![
        "<root_account>".to_string(),
        call.iam_arn("root"),
        time(&created),
        "not_supported".into(),
        "no_information".into(),
        "not_supported".into(),
        "not_supported".into(),
        "false".into(),
    ];
    root.extend(key_columns(root_keys.first()));
    root.extend(key_columns(root_keys.get(1)));
    root.extend(["false".into(), "N/A".into(), "false".into(), "N/A".into()]);
    rows.push(root.join(","));
    for user in store.list_principals(account, User, "/").await? {
        let profile = store.login_profile(account, &user.name).await?;
        let keys = store.access_keys(account, Some(&user.name)).await?;
        let mfa = !store.user_mfa_devices(account, &user.name).await?.is_empty();
        let certificates =
            store.user_credentials(account, Some(&user.name), UserCredentialKind::SigningCertificate).await?;
        // A password set before monban recorded changes was set when its profile was created.
        let changed = profile.as_ref().map(|p| p.password_changed.clone().unwrap_or_else(|| p.created.clone()));
        let next_rotation = match (&changed, policy.as_ref().and_then(|p| p.max_age_days)) {
            (Some(changed), Some(days)) => monban_policy::condition::parse_date(changed).map_or("N/A".into(), |n| {
                time(&monban_policy::condition::format_date((n / 1_000_000_000) as i64 + days * 86_400))
            }),
            _ => "N/A".into(),
        };
        let mut row = vec![
            field(&user.name),
            field(&user.arn),
            time(&user.created),
            profile.is_some().to_string(),
            if profile.is_some() { "no_information".into() } else { "N/A".into() },
            or_na(changed.as_deref()),
            next_rotation,
            mfa.to_string(),
        ];
        row.extend(key_columns(keys.first()));
        row.extend(key_columns(keys.get(1)));
        for certificate in [certificates.first(), certificates.get(1)] {
            row.push(certificate.is_some_and(|c| c.status == "Active").to_string());
            row.push(or_na(certificate.map(|c| c.created.as_str())));
        }
        rows.push(row.join(","));
    }
    Ok(rows.join("\n") + "\n")
}

pub(super) async fn generate(call: &Call<'_>) -> Result<Value, ApiError> {
    call.authorize(Authorization::new("iam:GenerateCredentialReport", "*")).await?;
    let fresh = call
        .state
        .credential_report(call.account())
        .is_some_and(|r| call.context.now.duration_since(r.generated).unwrap_or_default() < REPORT_LIFETIME);
    if fresh {
        return Ok(json!({"State": "COMPLETE"}));
    }
    let csv = build(call).await?;
    call.state.set_credential_report(call.account(), CredentialReport { generated: call.context.now, csv });
    Ok(json!({"State": "STARTED", "Description": "No report exists. Starting a new report generation task"}))
}

pub(super) async fn get(call: &Call<'_>) -> Result<Value, ApiError> {
    call.authorize(Authorization::new("iam:GetCredentialReport", "*")).await?;
    // AWS's ReportNotPresent carries no message.
    let report = call.state.credential_report(call.account()).ok_or_else(|| ApiError::report_not_present(""))?;
    if call.context.now.duration_since(report.generated).unwrap_or_default() >= REPORT_LIFETIME {
        return Err(ApiError::report_expired(
            "The request was rejected because the most recent credential report has expired. To generate a new \
             credential report, use GenerateCredentialReport.",
        ));
    }
    Ok(json!({"Content": base64::engine::general_purpose::STANDARD.encode(&report.csv), "ReportFormat": "text/csv",
        "GeneratedTime": util::iso8601(report.generated)}))
}
