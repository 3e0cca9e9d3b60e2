-- Placeholder so that this branch's migrations are contiguous (tern refuses gaps): number 007
-- belongs to another branch. Delete this file when that branch's 007 is merged.
SELECT 1;
