-- Console passwords. monban offers no console sign-in, so only the profile's existence, creation
-- time and reset flag are kept: the password itself is never stored.
CREATE TABLE login_profiles (
    account_id       TEXT NOT NULL,
    user_key         TEXT NOT NULL,
    created          TEXT NOT NULL,
    reset_required   INTEGER NOT NULL,
    PRIMARY KEY (account_id, user_key)
);
