-- Budget alerts and the log channel (issue 14): where a workspace's alerts go, at which
-- percentages of a budget (comma text such as '80,100'), and the channel recording every
-- delivered result. The alerts already sent are in alerts_sent (0006_budgets.sql).
ALTER TABLE limits ADD COLUMN alert_channel TEXT;
ALTER TABLE limits ADD COLUMN alert_at TEXT;
ALTER TABLE limits ADD COLUMN log_channel TEXT;
