-- Last-accessed data (IAM User Guide, "Refining permissions in AWS using last accessed
-- information"): for each principal, by unique id, and each action, the last attempt, allowed or
-- not, and where. A principal deleted takes its rows with it.
CREATE TABLE last_accessed (
    principal_id  TEXT NOT NULL REFERENCES principals(id) ON DELETE CASCADE,
    action        TEXT NOT NULL,
    time          TEXT NOT NULL,
    region        TEXT NOT NULL,
    PRIMARY KEY (principal_id, action)
);
