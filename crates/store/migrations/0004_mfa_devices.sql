-- Virtual MFA devices (IAM User Guide, "Assign a virtual MFA device"). The seed is encrypted by the
-- server before it reaches the store. `user_key` and `enabled` are set while the device is
-- assigned to a user; `last_step` is the newest TOTP time step accepted, so that a code is used
-- at most once.
CREATE TABLE mfa_devices (
    serial       TEXT PRIMARY KEY,
    account_id   TEXT NOT NULL,
    name_key     TEXT NOT NULL,
    name         TEXT NOT NULL,
    path         TEXT NOT NULL,
    seed         BLOB NOT NULL,
    created      TEXT NOT NULL,
    user_key     TEXT,
    enabled      TEXT,
    last_step    INTEGER,
    UNIQUE (account_id, name_key)
);
CREATE INDEX mfa_devices_by_user ON mfa_devices(account_id, user_key);

-- When a session's caller authenticated with MFA (aws:MultiFactorAuthPresent, aws:MultiFactorAuthAge).
ALTER TABLE sessions ADD COLUMN mfa_authenticated TEXT;
