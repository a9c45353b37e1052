//! Virtual MFA devices: creation, assignment to a user, and the single use of each code.

use super::*;

/// The device columns with the assigned user's name as created.
const SELECT_DEVICES: &str = "SELECT d.*, p.name AS user_name FROM mfa_devices d LEFT JOIN principals p ON \
     p.account_id = d.account_id AND p.kind = 'user' AND p.name_key = d.user_key";

impl Store {
    /// Creates an unassigned virtual MFA device with its tags; the name is unique in the account.
    pub async fn create_mfa_device(&self, device: &MfaDevice, tags: &[Tag]) -> Result<()> {
        let (device, tags) = (device.clone(), tags.to_vec());
        self.writes
            .write(move |tx| {
                let result = tx
                    .prepare_cached(
                        "INSERT INTO mfa_devices (serial, account_id, name_key, name, path, seed, created) \
                         VALUES (?, ?, ?, ?, ?, ?, ?)",
                    )?
                    .execute(rusqlite::params![
                        &device.serial,
                        &device.account_id,
                        key(&device.name),
                        &device.name,
                        &device.path,
                        &device.seed,
                        &device.created
                    ]);
                already_exists(result, || Existing::MfaDevice)?;
                insert_tags(tx, &device.account_id, Owner::MfaDevice, &device.serial, &tags)
            })
            .await
    }

    /// A device by serial number.
    pub async fn mfa_device(&self, serial: &str) -> Result<Option<MfaDevice>> {
        self.reader.one(&format!("{SELECT_DEVICES} WHERE d.serial = ?"), [serial], mfa_device_from_row)
    }

    /// The account's devices, all or only the assigned (`Some(true)`) or unassigned ones.
    pub async fn mfa_devices(&self, account_id: &str, assigned: Option<bool>) -> Result<Vec<MfaDevice>> {
        self.reader.all(
            &format!(
                "{SELECT_DEVICES} WHERE d.account_id = ?1 AND (?2 IS NULL OR (d.user_key IS NOT NULL) = ?2) ORDER BY d.serial"
            ),
            (account_id, assigned),
            mfa_device_from_row,
        )
    }

    /// The devices assigned to a user.
    pub async fn user_mfa_devices(&self, account_id: &str, user: &str) -> Result<Vec<MfaDevice>> {
        self.reader.all(
            &format!("{SELECT_DEVICES} WHERE d.account_id = ? AND d.user_key = ? ORDER BY d.enabled"),
            (account_id, key(user)),
            mfa_device_from_row,
        )
    }

    /// Assigns an unassigned device to a user, recording `step` as the newest code used.
    pub async fn enable_mfa_device(
        &self,
        account_id: &str,
        user: &str,
        serial: &str,
        now: &str,
        step: i64,
    ) -> Result<()> {
        let (account_id, user_key, serial, now) = (account_id.to_owned(), key(user), serial.to_owned(), now.to_owned());
        self.writes
            .write(move |tx| {
                let count: i64 = tx
                    .prepare_cached("SELECT COUNT(*) FROM mfa_devices WHERE account_id = ? AND user_key = ?")?
                    .query_row(rusqlite::params![&account_id, &user_key], |r| r.get(0))?;
                let quota = Quota::MfaDevicesPerUser.value();
                if count >= quota {
                    return Err(StoreError::LimitExceeded(Limit::MfaDevicesPerUser(quota)));
                }
                let done = tx
                    .prepare_cached(
                        "UPDATE mfa_devices SET user_key = ?, enabled = ?, last_step = ?, drift_steps = 0 \
                         WHERE serial = ? AND account_id = ? AND user_key IS NULL",
                    )?
                    .execute(rusqlite::params![&user_key, &now, step, &serial, &account_id])?;
                if done == 0 {
                    return Err(StoreError::AlreadyExists(Existing::MfaDeviceInUse));
                }
                Ok(())
            })
            .await
    }

    /// Unassigns a device from the user it is assigned to.
    pub async fn deactivate_mfa_device(&self, account_id: &str, user: &str, serial: &str) -> Result<()> {
        self.execute_existing(
            Bound::new(
                "UPDATE mfa_devices SET user_key = NULL, enabled = NULL, last_step = NULL \
                     WHERE serial = ? AND account_id = ? AND user_key = ?",
                vec![Box::new(serial.to_owned()), Box::new(account_id.to_owned()), Box::new(key(user))],
            ),
            || StoreError::NotFound(Missing::MfaDevice(serial.to_string())),
        )
        .await
    }

    /// Deletes an unassigned device.
    pub async fn delete_mfa_device(&self, account_id: &str, serial: &str) -> Result<()> {
        let (account_id, serial) = (account_id.to_owned(), serial.to_owned());
        self.writes
            .write(move |tx| {
                let assigned: Option<Option<String>> = tx
                    .prepare_cached("SELECT user_key FROM mfa_devices WHERE serial = ? AND account_id = ?")?
                    .query_row(rusqlite::params![&serial, &account_id], |r| r.get(0))
                    .optional()?;
                match assigned {
                    None => Err(StoreError::NotFound(Missing::VirtualMfaDevice(serial.to_string()))),
                    Some(Some(_)) => Err(StoreError::Conflict(Conflict::MfaDeviceInUse)),
                    Some(None) => {
                        tx.prepare_cached("DELETE FROM mfa_devices WHERE serial = ?")?
                            .execute(rusqlite::params![&serial])?;
                        delete_tags(tx, &account_id, Owner::MfaDevice, &serial)
                    }
                }
            })
            .await
    }

    /// Records a device's clock drift and the newest step its resynchronizing codes used, if no
    /// code of that or a later step was used: false means the codes were already spent.
    pub async fn resync_mfa_device(&self, serial: &str, drift_steps: i64, step: i64) -> Result<bool> {
        let done = self
            .execute(Bound::new(
                "UPDATE mfa_devices SET drift_steps = ?1, last_step = ?2 WHERE serial = ?3 \
                     AND (last_step IS NULL OR last_step < ?2)",
                vec![Box::new(drift_steps), Box::new(step), Box::new(serial.to_owned())],
            ))
            .await?;
        Ok(done == 1)
    }

    /// Records that the code of time step `step` was used with a device, if no code of that or a
    /// later step was: false means the code was already spent (a replay).
    pub async fn spend_mfa_step(&self, serial: &str, step: i64) -> Result<bool> {
        let done = self
            .execute(Bound::new(
                "UPDATE mfa_devices SET last_step = ?1 WHERE serial = ?2 AND (last_step IS NULL OR last_step < ?1)",
                vec![Box::new(step), Box::new(serial.to_owned())],
            ))
            .await?;
        Ok(done == 1)
    }
}

fn mfa_device_from_row(r: &rusqlite::Row) -> Result<MfaDevice> {
    Ok(MfaDevice {
        serial: r.get("serial")?,
        account_id: r.get("account_id")?,
        name: r.get("name")?,
        path: r.get("path")?,
        seed: r.get("seed")?,
        created: r.get("created")?,
        user_name: r.get("user_name")?,
        enabled: r.get("enabled")?,
        drift_steps: r.get("drift_steps")?,
    })
}
