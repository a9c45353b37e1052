//! The IAM credential report: passwords, MFA and access keys of every user and of the root user.
//!
//! AWS: "Getting credential reports for your AWS account"
//! (<https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_getting-report.html>). Authorization
//! details say nothing about credentials, so the credential-based audit checks need this CSV.
//! Cells that are not dates (`N/A`, `no_information`, `not_supported`) read as absent.

use super::AccountError;

/// One access key's columns.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AccessKey {
    /// `access_key_N_active`.
    pub active: bool,
    /// `access_key_N_last_rotated`: when the key was created or last rotated.
    pub last_rotated: Option<String>,
    /// `access_key_N_last_used_date`.
    pub last_used: Option<String>,
}

/// One row: a user, or the root user (`<root_account>`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CredentialRow {
    /// `user`.
    pub user: String,
    /// `arn`.
    pub arn: String,
    /// `user_creation_time`.
    pub created: Option<String>,
    /// `password_enabled` (`not_supported` for root reads as `true`: root always has a password).
    pub password_enabled: bool,
    /// `password_last_used`.
    pub password_last_used: Option<String>,
    /// `mfa_active`.
    pub mfa_active: bool,
    /// `access_key_1_*` and `access_key_2_*`.
    pub keys: [AccessKey; 2],
}

impl CredentialRow {
    /// Whether this is the root user's row.
    pub fn is_root(&self) -> bool {
        self.user == "<root_account>"
    }

    /// The active access keys.
    pub fn active_keys(&self) -> impl Iterator<Item = &AccessKey> {
        self.keys.iter().filter(|k| k.active)
    }
}

/// A credential report.
#[derive(Debug, Clone, Default)]
pub struct CredentialReport {
    /// Every row, in file order.
    pub rows: Vec<CredentialRow>,
}

const REQUIRED: [&str; 13] = [
    "user",
    "arn",
    "user_creation_time",
    "password_enabled",
    "password_last_used",
    "mfa_active",
    "access_key_1_active",
    "access_key_1_last_rotated",
    "access_key_1_last_used_date",
    "access_key_2_active",
    "access_key_2_last_rotated",
    "access_key_2_last_used_date",
    "password_last_changed",
];

fn date(cell: &str) -> Option<String> {
    monban_policy::condition::parse_date(cell).map(|_| cell.to_string())
}

impl CredentialReport {
    /// Reads the CSV (`aws iam get-credential-report --query Content --output text | base64 -d`).
    pub fn from_csv(text: &str, file: &str) -> Result<CredentialReport, AccountError> {
        let error =
            |line: usize, message: String| AccountError::CredentialReport { file: file.to_string(), line, message };
        // RFC 4180: a field holding a comma (IAM user names and paths may) is quoted.
        let mut reader = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(text.as_bytes());
        let mut records = reader.records();
        let header = match records.next() {
            Some(Ok(header)) => header,
            Some(Err(e)) => return Err(error(1, e.to_string())),
            None => return Err(error(1, "empty credential report".into())),
        };
        let columns: Vec<&str> = header.iter().map(str::trim).collect();
        let mut at = [0usize; REQUIRED.len()];
        for (slot, name) in at.iter_mut().zip(REQUIRED) {
            *slot = columns
                .iter()
                .position(|c| *c == name)
                .ok_or_else(|| error(1, format!("not a credential report: no `{name}` column")))?;
        }
        let mut rows = Vec::new();
        for record in records {
            let record = record.map_err(|e| error(e.position().map_or(0, |p| p.line() as usize), e.to_string()))?;
            let n = record.position().map_or(0, |p| p.line() as usize);
            if record.iter().all(|c| c.trim().is_empty()) {
                continue;
            }
            if record.len() < columns.len() {
                return Err(error(n, format!("expected {} cells, found {} (truncated?)", columns.len(), record.len())));
            }
            let cell = |i: usize| record.get(at[i]).unwrap_or_default();
            let flag = |i: usize| matches!(cell(i), "true" | "not_supported");
            rows.push(CredentialRow {
                user: cell(0).to_string(),
                arn: cell(1).to_string(),
                created: date(cell(2)),
                password_enabled: flag(3),
                password_last_used: date(cell(4)),
                mfa_active: cell(5) == "true",
                keys: [
                    AccessKey { active: cell(6) == "true", last_rotated: date(cell(7)), last_used: date(cell(8)) },
                    AccessKey { active: cell(9) == "true", last_rotated: date(cell(10)), last_used: date(cell(11)) },
                ],
            });
        }
        Ok(CredentialReport { rows })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEADER: &str = "user,arn,user_creation_time,password_enabled,password_last_used,password_last_changed,password_next_rotation,mfa_active,access_key_1_active,access_key_1_last_rotated,access_key_1_last_used_date,access_key_1_last_used_region,access_key_1_last_used_service,access_key_2_active,access_key_2_last_rotated,access_key_2_last_used_date,access_key_2_last_used_region,access_key_2_last_used_service,cert_1_active,cert_1_last_rotated,cert_2_active,cert_2_last_rotated";

    #[test]
    fn reads_root_and_users() {
        let text = format!("{HEADER}\n<root_account>,arn:aws:iam::111122223333:root,2020-01-01T00:00:00+00:00,not_supported,2024-12-30T00:00:00+00:00,not_supported,not_supported,false,true,2021-01-01T00:00:00+00:00,N/A,N/A,N/A,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A\n");
        let report = CredentialReport::from_csv(&text, "r.csv").unwrap();
        let root = &report.rows[0];
        assert!(root.is_root() && root.password_enabled && !root.mfa_active);
        assert_eq!(root.active_keys().count(), 1);
        assert_eq!(root.keys[0].last_used, None);
        // A user name with a comma is quoted and read back whole, not shifting the columns.
        let quoted = format!("{HEADER}\n\"a,true\",arn:aws:iam::111122223333:user/x,2020-01-01T00:00:00+00:00,false,N/A,N/A,N/A,false,false,N/A,N/A,N/A,N/A,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A\n");
        let report = CredentialReport::from_csv(&quoted, "r.csv").unwrap();
        assert_eq!((report.rows[0].user.as_str(), report.rows[0].mfa_active), ("a,true", false));
        let err = CredentialReport::from_csv("user,arn\nx,y", "r.csv").unwrap_err();
        assert!(err.to_string().contains("no `user_creation_time` column"), "{err}");
    }
}
