//! Server certificates (IAM User Guide, "Manage server certificates in IAM").

use super::*;

/// A server certificate; its private key is never stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerCertificate {
    /// The name, as uploaded.
    pub name: String,
    /// The unique id (`ASCA...`).
    pub id: String,
    /// The path.
    pub path: String,
    /// The ARN.
    pub arn: String,
    /// The PEM certificate.
    pub body: String,
    /// The PEM chain, if given.
    pub chain: Option<String>,
    /// The certificate's `notAfter`, ISO 8601.
    pub expiration: String,
    /// Upload time.
    pub uploaded: String,
}

impl Store {
    /// Stores a certificate and its tags; the name is unique in the account and the account holds
    /// at most its quota of certificates.
    pub async fn add_server_certificate(&self, account_id: &str, c: &ServerCertificate, tags: &[Tag]) -> Result<()> {
        let (account_id, c, tags) = (account_id.to_owned(), c.clone(), tags.to_vec());
        self.writes
            .write(move |tx| {
                let count: i64 = tx
                    .prepare_cached("SELECT COUNT(*) FROM server_certificates WHERE account_id = ?")?
                    .query_row(rusqlite::params![&account_id], |r| r.get(0))?;
                if count >= Quota::ServerCertificates.value() {
                    return Err(StoreError::LimitExceeded(Limit::Reached(Quota::ServerCertificates)));
                }
                let result = tx
                    .prepare_cached(
                        "INSERT INTO server_certificates (account_id, name_key, name, id, path, arn, body, chain, \
                         expiration, uploaded) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    )?
                    .execute(rusqlite::params![
                        &account_id,
                        key(&c.name),
                        &c.name,
                        &c.id,
                        &c.path,
                        &c.arn,
                        &c.body,
                        &c.chain,
                        &c.expiration,
                        &c.uploaded
                    ]);
                already_exists(result, || Existing::ServerCertificate(c.name.clone()))?;
                insert_tags(tx, &account_id, Owner::ServerCertificate, &key(&c.name), &tags)
            })
            .await
    }

    /// A certificate by name (case-insensitively).
    pub async fn server_certificate(&self, account_id: &str, name: &str) -> Result<Option<ServerCertificate>> {
        self.reader.one(
            "SELECT * FROM server_certificates WHERE account_id = ? AND name_key = ?",
            (account_id, key(name)),
            certificate_from_row,
        )
    }

    /// The account's certificates under a path prefix, by name.
    pub async fn server_certificates(&self, account_id: &str, path_prefix: &str) -> Result<Vec<ServerCertificate>> {
        self.reader.all(
            "SELECT * FROM server_certificates WHERE account_id = ? AND substr(path, 1, length(?2)) = ?2 \
             ORDER BY name_key",
            (account_id, path_prefix),
            certificate_from_row,
        )
    }

    /// Renames or moves a certificate; its tags follow it.
    pub async fn update_server_certificate(
        &self,
        account_id: &str,
        name: &str,
        new_name: &str,
        new_path: &str,
        new_arn: &str,
    ) -> Result<()> {
        let (account_id, name, new_name, new_path, new_arn) =
            (account_id.to_owned(), name.to_owned(), new_name.to_owned(), new_path.to_owned(), new_arn.to_owned());
        self.writes
            .write(move |tx| {
                let result = tx
                    .prepare_cached(
                        "UPDATE server_certificates SET name_key = ?, name = ?, path = ?, arn = ? \
                         WHERE account_id = ? AND name_key = ?",
                    )?
                    .execute(rusqlite::params![
                        key(&new_name),
                        &new_name,
                        &new_path,
                        &new_arn,
                        &account_id,
                        key(&name)
                    ]);
                let done = already_exists(result, || Existing::ServerCertificate(new_name.clone()))?;
                if done == 0 {
                    return Err(StoreError::NotFound(Missing::ServerCertificate(name.clone())));
                }
                tx.prepare_cached("UPDATE tags SET owner_key = ? WHERE account_id = ? AND kind = ? AND owner_key = ?")?
                    .execute(rusqlite::params![
                        key(&new_name),
                        &account_id,
                        Owner::ServerCertificate.as_str(),
                        key(&name)
                    ])?;
                Ok(())
            })
            .await
    }

    /// Deletes a certificate and its tags.
    pub async fn delete_server_certificate(&self, account_id: &str, name: &str) -> Result<()> {
        let (account_id, name) = (account_id.to_owned(), name.to_owned());
        self.writes
            .write(move |tx| {
                let done = tx
                    .prepare_cached("DELETE FROM server_certificates WHERE account_id = ? AND name_key = ?")?
                    .execute(rusqlite::params![&account_id, key(&name)])?;
                if done == 0 {
                    return Err(StoreError::NotFound(Missing::ServerCertificate(name.clone())));
                }
                delete_tags(tx, &account_id, Owner::ServerCertificate, &name)
            })
            .await
    }
}

fn certificate_from_row(r: &rusqlite::Row) -> Result<ServerCertificate> {
    Ok(ServerCertificate {
        name: r.get("name")?,
        id: r.get("id")?,
        path: r.get("path")?,
        arn: r.get("arn")?,
        body: r.get("body")?,
        chain: r.get("chain")?,
        expiration: r.get("expiration")?,
        uploaded: r.get("uploaded")?,
    })
}
