-- The limit allow_private (issue 15): whether people may ask for results only they see
-- (--private, Discord's `private` option). Unset inherits; the default is on.
ALTER TABLE limits ADD COLUMN allow_private INTEGER CHECK (allow_private IN (0, 1));
