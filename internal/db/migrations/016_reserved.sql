-- Number 016 is unused: it was reserved for a branch that needed no migration. Kept so that
-- the numbers stay contiguous (tern refuses gaps).
SELECT 1;
