-- purpose: when each operator was last seen connected (any node), so abandoned assignments return to the queue
ALTER TABLE operator_memberships ADD COLUMN last_connected_at timestamptz NULL;
