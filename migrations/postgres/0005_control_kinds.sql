-- Creative controls (issue 15): zoom, pan, upscale and blend are ledger kinds of their own;
-- Vary (Subtle) and Vary (Strong) stay kind 'vary', the strength in options_json.control.
-- Also the limit allow_low_moderation: whether `--moderation low` may be asked for here.
ALTER TABLE usage DROP CONSTRAINT usage_kind_check;
ALTER TABLE usage ADD CONSTRAINT usage_kind_check
    CHECK (kind IN ('generate', 'edit', 'vary', 'zoom', 'pan', 'upscale', 'blend'));

ALTER TABLE limits ADD COLUMN allow_low_moderation BOOLEAN;
