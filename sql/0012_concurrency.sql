-- purpose: an operator's own max_concurrent (overrides the tenant's), and a version on tenants for compare-and-set updates
ALTER TABLE operator_memberships ADD COLUMN max_concurrent integer NULL CHECK (max_concurrent BETWEEN 1 AND 100);
ALTER TABLE tenants ADD COLUMN version bigint NOT NULL DEFAULT 1;
