-- purpose: the messages_per_month quota, counted atomically in the transaction that stores each message
CREATE TABLE tenant_monthly_messages (
    tenant_id  uuid NOT NULL REFERENCES tenants (tenant_id) ON DELETE CASCADE,
    month      date NOT NULL CHECK (extract(day FROM month) = 1),
    messages   integer NOT NULL DEFAULT 0 CHECK (messages >= 0),
    PRIMARY KEY (tenant_id, month)
);
