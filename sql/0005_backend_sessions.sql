-- purpose: one open session per (tenant, external user, routing key), so a backend's concurrent calls resume rather than duplicate
CREATE UNIQUE INDEX sessions_one_open_per_user ON sessions (tenant_id, external_user_id, COALESCE(routing_key, ''))
    WHERE status <> 'closed' AND external_user_id IS NOT NULL;
