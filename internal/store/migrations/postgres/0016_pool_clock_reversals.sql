-- The pool rules count from when the current owner got the customer (created,
-- claimed, assigned or transferred), not from its creation: a customer just
-- claimed is not returned for a follow-up gap that belonged to its previous
-- owner.
ALTER TABLE customers ADD COLUMN owned_since BIGINT;
UPDATE customers SET owned_since = COALESCE((SELECT max(t.valid_from) FROM record_team t
    WHERE t.tenant_id = customers.tenant_id AND t.record_type = 'customer' AND t.record_id = customers.id
      AND t.role_key = 'owner' AND t.valid_to IS NULL), created_at)
  WHERE owner_id IS NOT NULL;

-- A third return rule: no new opportunity within N days.
ALTER TABLE pools ADD COLUMN no_opportunity_days INTEGER NOT NULL DEFAULT 0;

-- A reversal (冲销) is a payment of the opposite amount that names the payment
-- it reverses; a payment is reversed at most once.
ALTER TABLE payments ADD COLUMN reverses_id BIGINT;
CREATE UNIQUE INDEX payments_reverses ON payments (tenant_id, reverses_id);
