-- Budget alerts and the log channel: the same columns as migrations/sqlite/0007_alerts.sql,
-- which documents them.
ALTER TABLE limits ADD COLUMN alert_channel TEXT;
ALTER TABLE limits ADD COLUMN alert_at TEXT;
ALTER TABLE limits ADD COLUMN log_channel TEXT;
