-- Placeholder so that this branch's migrations are contiguous (tern refuses gaps): number 010
-- belongs to another branch. Delete this file when that branch's 010 is merged.
SELECT 1;
