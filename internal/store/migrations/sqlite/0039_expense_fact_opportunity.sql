-- The fact of an expense incurred for an opportunity names the
-- opportunity as its record (docs/FACTS.md, expense.incurred), so that the
-- opportunity dimension finds it; the facts kept before are brought in
-- line here (the rollups keep no record, so they stay as they are).
UPDATE facts SET record_type = 'opportunity', record_id = (
        SELECT e.opportunity_id FROM expenses e WHERE e.tenant_id = facts.tenant_id AND e.id = facts.source_id)
    WHERE kind = 'expense.incurred' AND source_type = 'expense' AND record_type <> 'opportunity'
        AND EXISTS (SELECT 1 FROM expenses e WHERE e.tenant_id = facts.tenant_id AND e.id = facts.source_id AND e.opportunity_id IS NOT NULL);
