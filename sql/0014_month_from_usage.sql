-- purpose: the monthly message quota is counted from usage (the event log), not in a row every message of a tenant locks
DROP TABLE tenant_monthly_messages;
CREATE INDEX usage_daily_month ON usage_daily (tenant_id, day) WHERE metric IN ('messages_visitor', 'messages_operator', 'messages_bot');
